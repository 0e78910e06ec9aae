/**
 * The app's installation (§1.1–§1.4, §1.8) and its iframe pages (§1.2): the install page POSTed in
 * a frame (or ONAPPINSTALL without UI), installFinish, uninstall with ONAPPUNINSTALL, and any
 * placement opened the way Bitrix24 opens it.
 */
import { dropConnector } from './connectors.js';
import { commonAuth, tokenAuth } from './delivery.js';
import { httpPost } from './http.js';
import type { HandlerResponse } from './model.js';
import { APP_SCOPE, newTokens, revokeAll } from './oauth.js';
import { placementTarget } from './placements.js';
import type { PortalState } from './state.js';
import type { SandboxPortal } from './types.js';
import { defaultAdmin, userById } from './users.js';
import { hex, phpHttpBuildQuery } from './util.js';

/** The iframe URL's query (§1.2): DOMAIN/PROTOCOL/LANG and a per-render APP_SID. */
export function iframeQuery(s: PortalState, target: string, lang = s.lang): string {
  const u = new URL(target);
  u.searchParams.set('DOMAIN', s.domain);
  u.searchParams.set('PROTOCOL', '0');
  u.searchParams.set('LANG', lang);
  u.searchParams.set('APP_SID', hex(16)); // per-render frame id, NOT the application token (§1.2)
  return u.toString();
}

/** The form fields of an iframe POST (§1.2): a fresh token pair of the viewing user. */
export function iframeFields(
  s: PortalState,
  userId: number,
  placement: string,
  options: Record<string, unknown>,
) {
  const t = newTokens(s, userId);
  return {
    AUTH_ID: t.accessToken,
    AUTH_EXPIRES: String(s.ttlSec),
    REFRESH_ID: t.refreshToken,
    SERVER_ENDPOINT: `${s.oauthUrl}/rest/`,
    ...(s.opts.iframeApplicationToken === false ? {} : { APPLICATION_TOKEN: s.appToken }),
    APPLICATION_SCOPE: APP_SCOPE,
    member_id: s.memberId,
    status: 'L',
    PLACEMENT: placement,
    PLACEMENT_OPTIONS: JSON.stringify(options),
  };
}

/** The standard iframe POST (§1.2). */
function iframePost(
  s: PortalState,
  target: string,
  userId: number,
  placement: string,
  options: Record<string, unknown>,
): Promise<{ status: number; body: string }> {
  const body = phpHttpBuildQuery(iframeFields(s, userId, placement, options));
  return httpPost(iframeQuery(s, target), body, {}, s.inflight);
}

/** §1.1/§1.3: the no-UI install's ONAPPINSTALL, with the installing user's tokens. */
function onAppInstall(s: PortalState, userId: number): string {
  const t = newTokens(s, userId);
  return phpHttpBuildQuery({
    event: 'ONAPPINSTALL',
    data: { VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: s.lang },
    ts: String(Math.floor(Date.now() / 1000)),
    auth: tokenAuth(s, userId, t),
  });
}

export async function installApp(
  s: PortalState,
  o: { installUrl: string; mode?: 'ui' | 'callback'; userId?: number },
): Promise<{ status: number; body: string }> {
  const userId = o.userId ?? defaultAdmin(s).ID;
  userById(s, userId);
  if (!s.installed) {
    // a fresh installation: new application token, nothing bound, nothing registered yet
    s.appToken = hex(16);
    s.installed = true;
    s.finished = false;
    s.bindingList = [];
  }
  s.installUrl = o.installUrl;
  const mode = o.mode ?? 'ui';
  s.log(`install (${mode}) → ${o.installUrl}`);
  if (mode === 'ui') return iframePost(s, o.installUrl, userId, 'DEFAULT', {});
  // §1.1/§1.3: no-UI install — ONAPPINSTALL server-to-server; complete immediately
  s.finished = true;
  return httpPost(o.installUrl, onAppInstall(s, userId), {}, s.inflight);
}

export function finishInstall(s: PortalState): void {
  if (!s.installed) throw new Error('sandbox portal: finishInstall() before installApp()');
  s.finished = true; // §1.4: from now on events are delivered
}

export async function uninstallApp(s: PortalState, o?: { clean?: boolean }): Promise<HandlerResponse[]> {
  if (!s.installed) return [];
  const targets = s.finished ? s.bindingList.filter((b) => b.event === 'ONAPPUNINSTALL') : [];
  const token = s.appToken;
  // §1.8: API access is revoked first; the core unregisters the app's connectors (statuses,
  // placement) and drops its event handlers
  revokeAll(s);
  for (const id of [...s.connectorsById.keys()]) dropConnector(s, id);
  s.bindingList = [];
  s.placements.length = 0;
  s.robots.clear(); // the app's automation rules go with it
  s.installed = false;
  s.finished = false;
  s.log(`uninstall (clean=${o?.clean ? 1 : 0})`);
  const out: HandlerResponse[] = [];
  for (const b of targets) {
    const body = phpHttpBuildQuery({
      event: 'ONAPPUNINSTALL',
      event_handler_id: String(b.id),
      data: { LANGUAGE_ID: s.lang, CLEAN: o?.clean ? '1' : '0' },
      ts: String(Math.floor(Date.now() / 1000)),
      auth: { ...commonAuth(s), application_token: token }, // no tokens (§1.8)
    });
    const r = await httpPost(b.handler, body, {}, s.inflight);
    out.push({ handler: b.handler, status: r.status });
  }
  return out;
}

export async function openPlacement(
  s: PortalState,
  o: Parameters<SandboxPortal['openPlacement']>[0],
): Promise<{ status: number; body: string }> {
  if (!s.installed) throw new Error('sandbox portal: the app is not installed');
  const userId = o.userId ?? defaultAdmin(s).ID;
  userById(s, userId);
  const t = placementTarget(s, o);
  return iframePost(s, t.url, userId, t.placement, t.options);
}
