/**
 * Automation rules of the app (reference bitrix24.md §5.9; parameters, answers and error codes as
 * b24restdocs bizproc-robot-add.md, -update.md, -list.md, -delete.md and bizproc-event-send.md give
 * them): bizproc.robot.add / update / list / delete, bizproc.event.send, and a workflow reaching a
 * robot (`invokeRobot`): the form POST Bitrix24 sends to the robot's HANDLER (event_token,
 * workflow_id, code, document_id, document_type, properties, use_subscription, ts, auth), the same
 * fields public robot handlers read.
 */
import { tokenAuth } from './delivery.js';
import { httpPost } from './http.js';
import { RestError, type Ctx, type Res } from './model.js';
import { eventAccessToken } from './oauth.js';
import type { PortalState } from './state.js';
import type { RobotAnswer, SandboxPortal } from './types.js';
import { defaultAdmin } from './users.js';
import { hex, isObj, obj, phpEmpty, phpHttpBuildQuery, str, toInt } from './util.js';

const fail = (description: string, code = 'ERROR_ACTIVITY_VALIDATION_FAILURE') =>
  new RestError(400, code, description);

function requireAdmin(c: Ctx): void {
  if (!c.user.ADMIN) throw new RestError(403, 'ACCESS_DENIED', 'Access denied!');
}

/** The handler must be http(s) and on the application's own domain (robot-add.md). */
function checkHandler(s: PortalState, handler: string): void {
  let u: URL;
  try {
    u = new URL(handler);
  } catch {
    throw fail('Wrong handler URL', 'ERROR_WRONG_HANDLER_URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw fail('Unsupported handler protocol', 'ERROR_UNSUPPORTED_PROTOCOL');
  }
  const appHost = s.installUrl ? new URL(s.installUrl).host : u.host;
  if (u.host !== appHost) throw fail('Wrong handler URL', 'ERROR_WRONG_HANDLER_URL');
}

function checkProperties(value: unknown): void {
  if (value === undefined) return;
  if (!isObj(value)) throw fail('Wrong properties array!');
  for (const [key, p] of Object.entries(value)) {
    if (!/^[a-zA-Z][a-zA-Z0-9_]*$/.test(key)) throw fail(`Wrong property key ${key}!`);
    if (phpEmpty(obj(p)['Name'] ?? obj(p)['NAME'])) throw fail(`Empty property NAME ${key}!`);
  }
}

function checkFields(s: PortalState, f: Record<string, unknown>): void {
  checkHandler(s, str(f['HANDLER']));
  if (phpEmpty(f['NAME'])) throw fail('Empty activity NAME!');
  checkProperties(f['PROPERTIES']);
  checkProperties(f['RETURN_PROPERTIES']);
}

function robotCode(c: Ctx): string {
  const code = str(c.p['CODE']);
  if (!code) throw fail('Empty activity code!');
  if (!/^[a-zA-Z0-9._-]+$/.test(code)) throw fail('Wrong activity code!');
  return code;
}

export function mRobotAdd(s: PortalState, c: Ctx): Res {
  requireAdmin(c);
  if (Object.keys(c.p).filter((k) => k !== 'auth').length === 0) throw fail('Empty data!');
  const code = robotCode(c);
  if (s.robots.has(code)) {
    throw new RestError(
      400,
      'ERROR_ACTIVITY_ALREADY_INSTALLED',
      'Activity or Automation rule already installed!',
    );
  }
  const { auth: _auth, ...fields } = c.p;
  checkFields(s, fields);
  s.robots.set(code, fields);
  return { result: true };
}

export function mRobotUpdate(s: PortalState, c: Ctx): Res {
  requireAdmin(c);
  const code = robotCode(c);
  const current = s.robots.get(code);
  if (!current) throw new RestError(400, 'ERROR_ACTIVITY_NOT_FOUND', 'Activity or Robot not found!');
  const fields = obj(c.p['FIELDS']);
  if (Object.keys(fields).length === 0) throw fail('No fields to update');
  const next = { ...current, ...fields };
  checkFields(s, next);
  s.robots.set(code, next);
  return { result: true };
}

export function mRobotList(s: PortalState, c: Ctx): Res {
  requireAdmin(c);
  return { result: [...s.robots.keys()] };
}

export function mRobotDelete(s: PortalState, c: Ctx): Res {
  requireAdmin(c);
  const code = robotCode(c);
  if (!s.robots.delete(code)) {
    throw new RestError(400, 'ERROR_ACTIVITY_NOT_FOUND', 'Activity or Robot not found!');
  }
  return { result: true };
}

/**
 * bizproc.event.send: `EVENT_TOKEN` (of a robot call whose robot waits: USE_SUBSCRIPTION=Y),
 * `RETURN_VALUES`, `LOG_MESSAGE`. Every answer is kept for `robotAnswers()`. A token the portal never
 * issued, or of a robot that does not wait, is refused (sandbox's wording; the page says only that
 * the method "may return an error code and text from the business process").
 */
export function mEventSend(s: PortalState, c: Ctx): Res {
  const token = str(c.p['EVENT_TOKEN']);
  if (!token) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'EVENT_TOKEN' is null or empty");
  const issued = s.robotCalls.get(token);
  if (!issued) throw new RestError(400, 'ERROR_EVENT_TOKEN', 'Workflow or activity not found');
  if (!issued.waits) {
    throw new RestError(400, 'ERROR_EVENT_TOKEN', 'The activity does not wait for an answer');
  }
  s.robotAnswers.push({
    eventToken: token,
    code: issued.code,
    returnValues: obj(c.p['RETURN_VALUES']),
    logMessage: str(c.p['LOG_MESSAGE']),
    byUserId: c.user.ID,
  });
  return { result: true };
}

/** A workflow reaches the robot: Bitrix24 posts the call to its HANDLER. */
export async function invokeRobot(
  s: PortalState,
  o: Parameters<SandboxPortal['invokeRobot']>[0],
): Promise<{ status: number; body: string; eventToken: string }> {
  const robot = s.robots.get(o.code);
  if (!robot) throw new Error(`sandbox portal: no robot ${o.code}`);
  const eventToken = o.eventToken ?? `${hex(8)}.${hex(4)}|A${hex(3)}|${hex(16)}.${hex(32)}`;
  const waits = str(robot['USE_SUBSCRIPTION']).toUpperCase() === 'Y';
  s.robotCalls.set(eventToken, { code: o.code, waits });
  const userId = toInt(robot['AUTH_USER_ID']) ?? defaultAdmin(s).ID;
  const t = eventAccessToken(s, userId);
  const doc = o.document ?? ['crm', 'CCrmDocumentDeal', 'DEAL_1'];
  const body = phpHttpBuildQuery({
    workflow_id: `${hex(4)}.${hex(4)}`,
    code: o.code,
    document_id: doc,
    document_type: [doc[0], doc[1], doc[2]?.split('_')[0] ?? ''],
    event_token: eventToken,
    properties: o.properties,
    use_subscription: waits ? 'Y' : 'N',
    timeout_duration: '0',
    ts: String(Math.floor(Date.now() / 1000)),
    auth: { ...tokenAuth(s, userId, { accessToken: t.token, expiresAt: t.expiresAt }), ...(o.auth ?? {}) },
  });
  const r = await httpPost(str(robot['HANDLER']), body, {}, s.inflight);
  return { ...r, eventToken };
}

export function robotAnswers(s: PortalState): RobotAnswer[] {
  return s.robotAnswers.map((a) => ({ ...a, returnValues: { ...a.returnValues } }));
}

export function robots(s: PortalState): Array<{ code: string; fields: Record<string, unknown> }> {
  return [...s.robots.entries()].map(([code, fields]) => ({ code, fields: { ...fields } }));
}
