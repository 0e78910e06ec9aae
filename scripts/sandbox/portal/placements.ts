/**
 * The app on the portal (§6.2, §6.3): app.info, app.option.set / get, placement.bind / unbind / get,
 * and where a placement opens with which PLACEMENT_OPTIONS (§4.7 for SETTING_CONNECTOR).
 */
import { lineKey } from './connectors.js';
import { RestError, type Ctx, type Res } from './model.js';
import type { PortalState } from './state.js';
import { obj, str } from './util.js';

export function mAppInfo(s: PortalState, c?: Ctx): Res {
  return {
    result: {
      ID: s.appId,
      CODE: c?.appCode ?? s.opts.clientId,
      VERSION: 1,
      STATUS: 'L',
      INSTALLED: s.installed && s.finished, // §1.4: false until installFinish
      PAYMENT_EXPIRED: 'N',
      DAYS: null,
      LANGUAGE_ID: s.lang,
      LICENSE: `${s.lang}_project`,
      LICENSE_TYPE: 'project',
      LICENSE_FAMILY: 'project',
    },
  };
}

export function mAppOptionSet(s: PortalState, c: Ctx): Res {
  const options = obj(c.p['OPTIONS']);
  if (Object.keys(options).length === 0) {
    throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'options' is null or empty");
  }
  for (const [k, v] of Object.entries(options)) s.appOptions.set(k, v);
  return { result: true };
}

export function mAppOptionGet(s: PortalState, c: Ctx): Res {
  const key = str(c.p['OPTION']);
  if (key) return { result: s.appOptions.get(key) ?? null };
  return { result: Object.fromEntries(s.appOptions) };
}

function requireAdmin(c: Ctx): void {
  if (!c.user.ADMIN) {
    throw new RestError(403, 'ACCESS_DENIED', 'Access denied! Available only for administrators');
  }
}

export function mPlacementBind(s: PortalState, c: Ctx): Res {
  requireAdmin(c);
  const placement = str(c.p['PLACEMENT']).toUpperCase();
  const handler = str(c.p['HANDLER']);
  if (!placement) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'PLACEMENT' is null or empty");
  if (!handler) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'HANDLER' is null or empty");
  if (s.placements.some((x) => x.placement === placement && x.handler === handler)) {
    throw new RestError(400, 'ERROR_PLACEMENT_HANDLER_EXISTS', 'Handler already binded');
  }
  s.placements.push({ placement, handler, title: str(c.p['TITLE']) });
  return { result: true };
}

export function mPlacementUnbind(s: PortalState, c: Ctx): Res {
  requireAdmin(c);
  const placement = str(c.p['PLACEMENT']).toUpperCase();
  const handler = str(c.p['HANDLER']);
  let count = 0;
  for (let i = s.placements.length - 1; i >= 0; i--) {
    const x = s.placements[i];
    if (x && x.placement === placement && (!handler || x.handler === handler)) {
      s.placements.splice(i, 1);
      count += 1;
    }
  }
  return { result: { count } };
}

/** placement.get: the connectors' SETTING_CONNECTOR (bound by imconnector.register), then the app's own. */
export function mPlacementGet(s: PortalState): Res {
  const auto = [...s.connectorsById.values()].map((cn) => ({
    placement: 'SETTING_CONNECTOR',
    userId: 0,
    handler: str(cn['PLACEMENT_HANDLER']),
    options: [],
    title: str(cn['NAME']),
    description: '',
  }));
  const bound = s.placements.map((x) => ({
    placement: x.placement,
    userId: 0,
    handler: x.handler,
    options: [],
    title: x.title,
    description: '',
  }));
  return { result: [...auto, ...bound] };
}

export interface PlacementTarget {
  url: string;
  placement: string;
  options: Record<string, unknown>;
}

/** SETTING_CONNECTOR's PLACEMENT_OPTIONS (§4.7) from the connector's state on `line`; its handler URL. */
function settingConnector(
  s: PortalState,
  o: { line?: number | undefined; connector?: string | undefined },
): { handler: string; options: Record<string, unknown> } {
  const cn = (o.connector ?? [...s.connectorsById.keys()][0] ?? '').toLowerCase();
  const conn = s.connectorsById.get(cn);
  if (!conn) throw new Error('sandbox portal: SETTING_CONNECTOR needs a registered connector');
  const line = o.line ?? s.lines[0]?.ID ?? 1;
  const st = s.lineStates.get(lineKey(cn, line));
  const active = !!st?.active;
  const options = {
    CONNECTOR: cn,
    LINE: String(line),
    STATUS: active && !st?.error,
    ACTIVE_STATUS: active,
    CONNECTION_STATUS: active,
    REGISTER_STATUS: active,
    ERROR_STATUS: !!st?.error,
    URI: `/contact_center/connector/?ID=${cn}&IFRAME=Y&IFRAME_TYPE=SIDE_SLIDER`,
  };
  return { handler: str(conn['PLACEMENT_HANDLER']), options };
}

/** URL and PLACEMENT_OPTIONS of a placement as the portal fills them (§4.7 for SETTING_CONNECTOR). */
export function placementTarget(
  s: PortalState,
  o: {
    placement: string;
    url?: string | undefined;
    line?: number | undefined;
    connector?: string | undefined;
    options?: Record<string, unknown> | undefined;
  },
): PlacementTarget {
  const placement = o.placement.toUpperCase();
  let url = o.url;
  let options: Record<string, unknown> = { ...(o.options ?? {}) };
  if (placement === 'SETTING_CONNECTOR') {
    const sc = settingConnector(s, o);
    url ??= sc.handler;
    options = { ...sc.options, ...options };
  }
  url ??= placement === 'DEFAULT' && s.appUrl ? s.appUrl : s.installUrl;
  if (!url) throw new Error('sandbox portal: openPlacement needs a url');
  return { url, placement, options };
}
