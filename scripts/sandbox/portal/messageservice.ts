/**
 * The app as an SMS provider (reference bitrix24.md §5.9; parameters, answers and error texts as
 * b24restdocs api-reference/messageservice/*.md give them): messageservice.sender.add / list /
 * delete, messageservice.message.status.update, and a user or an automation rule sending an SMS
 * through the app's provider (`sendSms`): the form POST Bitrix24 makes to the provider's HANDLER with
 * module_id, bindings (crm) or workflow_id / document_id / document_type (bizproc), properties,
 * type, code, message_id, message_to, message_body, ts and auth. A binding is CRM's
 * `{OWNER_TYPE_ID, OWNER_ID}` (the page only says "an array of message bindings to CRM entities").
 */
import { tokenAuth } from './delivery.js';
import { httpPost } from './http.js';
import { RestError, type Ctx, type Res } from './model.js';
import { eventAccessToken } from './oauth.js';
import type { PortalState } from './state.js';
import type { SandboxPortal } from './types.js';
import { defaultAdmin } from './users.js';
import { hex, isObj, phpEmpty, phpHttpBuildQuery, str } from './util.js';

const STATUSES = new Set(['queued', 'sent', 'delivered', 'undelivered', 'failed']);
const fail = (description: string, code = 'ERROR_SENDER_VALIDATION_FAILURE') =>
  new RestError(400, code, description);

function requireAdmin(c: Ctx): void {
  if (!c.user.ADMIN) throw new RestError(403, 'ACCESS_DENIED', 'Access denied!');
}

function senderCode(c: Ctx): string {
  const code = str(c.p['CODE']);
  if (!code) throw fail('Empty sender code!');
  if (!/^[a-zA-Z0-9._-]+$/.test(code)) throw fail('Wrong sender code!');
  return code;
}

export function mSenderAdd(s: PortalState, c: Ctx): Res {
  requireAdmin(c);
  if (Object.keys(c.p).filter((k) => k !== 'auth').length === 0) throw fail('Empty data!');
  const code = senderCode(c);
  if (phpEmpty(c.p['NAME'])) throw fail('Empty sender NAME!');
  const type = str(c.p['TYPE']);
  if (!type) throw fail('Empty sender message TYPE!');
  if (type.toUpperCase() !== 'SMS') throw fail('Unknown sender message TYPE!');
  if (s.smsSenders.has(code)) {
    throw new RestError(400, 'ERROR_SENDER_ALREADY_INSTALLED', 'Sender already installed!');
  }
  const handler = str(c.p['HANDLER']);
  try {
    new URL(handler);
  } catch {
    throw fail('Wrong sender handler!');
  }
  const { auth: _auth, ...fields } = c.p;
  s.smsSenders.set(code, fields);
  return { result: true };
}

export function mSenderList(s: PortalState, c: Ctx): Res {
  requireAdmin(c);
  return { result: [...s.smsSenders.keys()] };
}

export function mSenderDelete(s: PortalState, c: Ctx): Res {
  requireAdmin(c);
  const code = senderCode(c);
  if (!s.smsSenders.delete(code)) throw new RestError(400, 'ERROR_SENDER_NOT_FOUND', 'Sender not found!');
  return { result: true };
}

/** Status of a message the portal gave the provider; every update is kept for `smsStatuses()`. */
export function mMessageStatusUpdate(s: PortalState, c: Ctx): Res {
  senderCode(c);
  const id = str(c.p['MESSAGE_ID']);
  const msg = s.smsMessages.get(id);
  if (!id || !msg) throw new RestError(400, 'ERROR_MESSAGE_NOT_FOUND', 'Message not found!');
  const status = str(c.p['STATUS']);
  if (!STATUSES.has(status)) {
    throw new RestError(400, 'ERROR_MESSAGE_STATUS_INCORRECT', 'Message status incorrect!');
  }
  msg.statuses.push(status);
  return { result: true };
}

/** A user (CRM card) or a rule sends an SMS through the provider `code`: the POST to its HANDLER. */
export async function sendSms(
  s: PortalState,
  o: Parameters<SandboxPortal['sendSms']>[0],
): Promise<{ status: number; body: string; messageId: string }> {
  const sender = s.smsSenders.get(o.code);
  if (!sender) throw new Error(`sandbox portal: no SMS provider ${o.code}`);
  const messageId = o.messageId ?? hex(16);
  if (!s.smsMessages.has(messageId)) s.smsMessages.set(messageId, { code: o.code, statuses: [] });
  const userId = defaultAdmin(s).ID;
  const t = eventAccessToken(s, userId);
  const fromCrm = (o.moduleId ?? 'crm') === 'crm';
  const doc = o.document ?? ['crm', 'CCrmDocumentDeal', 'DEAL_1'];
  const body = phpHttpBuildQuery({
    module_id: fromCrm ? 'crm' : 'bizproc',
    ...(fromCrm
      ? {
          bindings: (o.bindings ?? []).map((b) => ({
            OWNER_TYPE_ID: String(b.ownerTypeId),
            OWNER_ID: String(b.ownerId),
          })),
        }
      : {
          workflow_id: `${hex(4)}.${hex(4)}`,
          document_id: doc,
          document_type: [doc[0], doc[1], doc[2]?.split('_')[0] ?? ''],
        }),
    properties: { phone_number: o.to, message_text: o.text },
    type: 'SMS',
    code: o.code,
    message_id: messageId,
    message_to: o.to,
    message_body: o.text,
    ts: String(Math.floor(Date.now() / 1000)),
    auth: { ...tokenAuth(s, userId, { accessToken: t.token, expiresAt: t.expiresAt }), ...(o.auth ?? {}) },
  });
  const r = await httpPost(str(sender['HANDLER']), o.rawBody ?? body, {}, s.inflight);
  return { ...r, messageId };
}

export function smsSenders(s: PortalState): Array<{ code: string; fields: Record<string, unknown> }> {
  return [...s.smsSenders.entries()].map(([code, fields]) => ({
    code,
    fields: isObj(fields) ? { ...fields } : {},
  }));
}

export function smsStatuses(s: PortalState, messageId: string): string[] {
  return [...(s.smsMessages.get(messageId)?.statuses ?? [])];
}
