/** Event handlers (§2.1): event.bind / event.unbind / event.get and the list of events. */
import { RestError, type Ctx, type Res } from './model.js';
import type { PortalState } from './state.js';
import { str, toInt } from './util.js';

/** Event names `event.bind` accepts (§0 step 2, §1.3, §1.8, §4, plus the common CRM ones). */
export const KNOWN_EVENTS = new Set(
  [
    'ONAPPINSTALL',
    'ONAPPUNINSTALL',
    'ONAPPUPDATE',
    'ONAPPPAYMENT',
    'ONIMCONNECTORMESSAGEADD',
    'ONIMCONNECTORMESSAGEUPDATE',
    'ONIMCONNECTORMESSAGEDELETE',
    'ONIMCONNECTORLINEDELETE',
    'ONIMCONNECTORSTATUSDELETE',
    'ONIMCONNECTORDIALOGSTART',
    'ONIMCONNECTORDIALOGFINISH',
    'ONOPENLINEMESSAGEADD',
    'ONOPENLINEMESSAGEUPDATE',
    'ONOPENLINEMESSAGEDELETE',
    'ONSESSIONSTART',
    'ONSESSIONFINISH',
    'ONUSERADD',
    'ONOFFLINEEVENT',
    ...['LEAD', 'DEAL', 'CONTACT', 'COMPANY', 'ACTIVITY'].flatMap((e) => [
      `ONCRM${e}ADD`,
      `ONCRM${e}UPDATE`,
      `ONCRM${e}DELETE`,
    ]),
  ].sort(),
);

export function mEventBind(s: PortalState, c: Ctx): Res {
  const event = str(c.p['EVENT']).toUpperCase();
  const handler = str(c.p['HANDLER']);
  if (!event) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'EVENT' is null or empty");
  if (!handler) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'HANDLER' is null or empty");
  if (!KNOWN_EVENTS.has(event)) throw new RestError(400, 'ERROR_EVENT_NOT_FOUND', 'Event not found');
  try {
    const h = new URL(handler);
    if (h.protocol !== 'http:' && h.protocol !== 'https:') throw new Error('scheme');
  } catch {
    throw new RestError(400, 'ERROR_ARGUMENT', 'Wrong handler URL');
  }
  const offline = str(c.p['EVENT_TYPE']).toLowerCase() === 'offline';
  const authType = toInt(c.p['AUTH_TYPE']) ?? 0;
  if (!c.user.ADMIN && (offline || (authType !== 0 && authType !== c.user.ID))) {
    throw new RestError(403, 'ACCESS_DENIED', 'Access denied!');
  }
  // non-admins bind on behalf of themselves (§2.1 auth_type)
  const effectiveAuthType = !c.user.ADMIN ? c.user.ID : authType;
  const dup = s.bindingList.some(
    (b) =>
      b.event === event && b.handler === handler && b.authType === effectiveAuthType && b.offline === offline,
  );
  // §2.1: re-binding the same event+handler → ERROR_HANDLER_ALREADY_EXIST (reference: "expect it")
  if (dup) throw new RestError(400, 'ERROR_HANDLER_ALREADY_EXIST', 'Handler already exists!');
  s.seq.binding += 1;
  s.bindingList.push({ id: s.seq.binding, event, handler, authType: effectiveAuthType, offline });
  return { result: true };
}

export function mEventUnbind(s: PortalState, c: Ctx): Res {
  if (!c.user.ADMIN) throw new RestError(403, 'ACCESS_DENIED', 'Access denied!');
  const event = str(c.p['EVENT']).toUpperCase();
  const handler = str(c.p['HANDLER']);
  const hasAuthType = c.p['AUTH_TYPE'] !== undefined;
  const authType = toInt(c.p['AUTH_TYPE']) ?? 0;
  const offline = str(c.p['EVENT_TYPE']).toLowerCase() === 'offline';
  const before = s.bindingList.length;
  s.bindingList = s.bindingList.filter(
    (b) =>
      !(
        (!event || b.event === event) &&
        (!handler || b.handler === handler) &&
        (!hasAuthType || b.authType === authType) &&
        b.offline === offline
      ),
  );
  return { result: { count: before - s.bindingList.length } };
}

export function mEventGet(s: PortalState): Res {
  return {
    result: s.bindingList.map((b) => ({
      event: b.event,
      handler: b.handler,
      auth_type: String(b.authType),
      offline: b.offline ? 1 : 0,
    })),
  };
}

export function bindings(s: PortalState): Array<{ event: string; handler: string }> {
  return s.bindingList.map((b) => ({ event: b.event, handler: b.handler }));
}
