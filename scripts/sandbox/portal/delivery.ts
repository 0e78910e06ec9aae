/**
 * Events out (§2.2, §4): what an operator does in the portal (send §4.1, edit §4.2, delete §4.3)
 * reaches the connector's app as OnImConnectorMessage* events, form-encoded as PHP does, with an
 * `auth` block; so do a deleted line (§4.5) and a connector switched off on a line (§4.6).
 * `postEvent` forges any event. Nothing is delivered before installFinish (§1.4).
 */
import { addMessage, chatFor } from './chats.js';
import { flag, lineKey, lineUp } from './connectors.js';
import { httpPost } from './http.js';
import type { Chat, HandlerResponse, PortalUser } from './model.js';
import { APP_SCOPE, eventAccessToken } from './oauth.js';
import type { PortalState } from './state.js';
import type { SandboxPortal } from './types.js';
import { defaultAdmin, defaultOperator, userById } from './users.js';
import { phpHttpBuildQuery } from './util.js';

/** The part of an event `auth` block that names the portal (§2.2). */
export function commonAuth(s: PortalState): Record<string, string> {
  return {
    domain: s.domain,
    server_endpoint: `${s.oauthUrl}/rest/`,
    client_endpoint: `${s.url}/rest/`,
    member_id: s.memberId,
  };
}

/**
 * `auth` block of an event (§2.2) for `userId`'s access token: every value a string, the
 * application_token of this installation; ONAPPINSTALL adds the refresh token (§1.3).
 */
export function tokenAuth(
  s: PortalState,
  userId: number,
  t: { accessToken: string; expiresAt: number; refreshToken?: string },
): Record<string, string> {
  return {
    access_token: t.accessToken,
    expires: String(Math.floor(t.expiresAt / 1000)),
    expires_in: String(s.ttlSec),
    scope: APP_SCOPE,
    domain: s.domain,
    server_endpoint: `${s.oauthUrl}/rest/`,
    status: 'L',
    client_endpoint: `${s.url}/rest/`,
    member_id: s.memberId,
    user_id: String(userId),
    ...(t.refreshToken === undefined ? {} : { refresh_token: t.refreshToken }),
    application_token: s.appToken,
  };
}

/** `auth` block of an event (§2.2) with the token events of `userId` carry. */
function eventAuth(s: PortalState, userId: number): Record<string, string> {
  const t = eventAccessToken(s, userId);
  return tokenAuth(s, userId, { accessToken: t.token, expiresAt: t.expiresAt });
}

function canDeliver(s: PortalState): boolean {
  return s.installed && s.finished; // §1.4
}

function deliver(
  s: PortalState,
  handler: string,
  handlerId: number,
  event: string,
  data: unknown,
  auth: Record<string, string>,
): Promise<{ status: number; body: string }> {
  const body = phpHttpBuildQuery({
    event,
    event_handler_id: String(handlerId),
    data,
    ts: String(Math.floor(Date.now() / 1000)),
    auth,
  });
  s.log(`event ${event} → ${handler}`);
  return httpPost(handler, body, {}, s.inflight);
}

/** Delivers `event` to every online handler bound to it, in order, with `operator`'s auth unless bound for another. */
export async function deliverToBound(
  s: PortalState,
  event: string,
  data: unknown,
  operator: PortalUser,
): Promise<HandlerResponse[]> {
  const responses: HandlerResponse[] = [];
  for (const b of s.bindingList.filter((x) => x.event === event && !x.offline)) {
    const r = await deliver(s, b.handler, b.id, event, data, eventAuth(s, b.authType || operator.ID));
    responses.push({ handler: b.handler, status: r.status });
  }
  return responses;
}

/** The operator's text as the connector gets it: `[b]Name:[/b][br] text` when signed (§4.1 core prefix). */
function signed(operator: PortalUser, text: string, signature: boolean): string {
  const name = [operator.NAME, operator.LAST_NAME].filter(Boolean).join(' ');
  return signature ? `[b]${name}:[/b][br] ${text}` : text;
}

/** The chat an operator writes in: the latest one of `externalChatId` on `line`, else a new one there. */
function operatorChat(s: PortalState, line: number, externalChatId: string): Chat {
  const chat = [...s.chatsByCode.values()]
    .reverse()
    .find((x) => x.line === line && x.externalChatId === externalChatId && s.connectorsById.has(x.connector));
  if (chat) return chat;
  const cn = [...s.connectorsById.keys()].find((id) => lineUp(s, id, line));
  if (!cn) {
    throw new Error(
      `sandbox portal: no chat ${externalChatId} on line ${line} and no active connector there`,
    );
  }
  return chatFor(s, cn, line, externalChatId, externalChatId);
}

export async function operatorSend(
  s: PortalState,
  o: Parameters<SandboxPortal['operatorSend']>[0],
): Promise<{ messageId: number; chatId: number; responses: HandlerResponse[] }> {
  const operator = o.userId !== undefined ? userById(s, o.userId) : defaultOperator(s);
  const chat = operatorChat(s, o.line, o.externalChatId);
  const files = (o.files ?? []).map((f) => ({ name: f.name, link: f.link, type: f.type, size: f.size }));
  // The event describes each file with the core's keys (§4.1) plus the newer `downloadLink`, `mime`.
  const eventFiles = (o.files ?? []).map((f) => ({
    name: f.name,
    type: f.type,
    link: f.link,
    size: String(f.size),
    ...(f.downloadLink ? { downloadLink: f.downloadLink } : {}),
    ...(f.mime ? { mime: f.mime } : {}),
  }));
  // The portal keeps the message as the operator wrote it, without the name prefix the connector gets.
  const messageId = addMessage(s, chat, { author: 'operator', authorId: operator.ID, text: o.text, files });
  // only the app that registered the connector gets it, only when the line is up (§4)
  if (!canDeliver(s) || !lineUp(s, chat.connector, chat.line)) {
    s.log(
      `operatorSend: message ${messageId} not delivered (installed=${s.installed}, finished=${s.finished})`,
    );
    return { messageId, chatId: chat.id, responses: [] };
  }
  const signature = o.signature ?? flag(s, chat.connector, 'NEED_SIGNATURE', true);
  const message: Record<string, unknown> = {
    user_id: String(operator.ID),
    text: signed(operator, o.text, signature),
  };
  if (eventFiles.length) message['files'] = eventFiles;
  const data = {
    CONNECTOR: chat.connector,
    LINE: String(chat.line),
    MESSAGES: [
      {
        im: { chat_id: String(chat.id), message_id: String(messageId) },
        message,
        chat: { id: chat.externalChatId },
      },
    ],
  };
  const responses = await deliverToBound(s, 'ONIMCONNECTORMESSAGEADD', data, operator);
  return { messageId, chatId: chat.id, responses };
}

/** An operator edits (§4.2, with `text`) or deletes (§4.3) a message; the event goes out when it may. */
export async function operatorChange(
  s: PortalState,
  messageId: number,
  event: 'ONIMCONNECTORMESSAGEUPDATE' | 'ONIMCONNECTORMESSAGEDELETE',
  text?: string,
): Promise<HandlerResponse[]> {
  const msg = s.storeById.get(messageId);
  if (!msg || msg.deleted || msg.author !== 'operator') {
    throw new Error(`sandbox portal: no operator message ${messageId}`);
  }
  const update = event === 'ONIMCONNECTORMESSAGEUPDATE';
  if (update) {
    msg.text = text ?? '';
    msg.updatedTimes += 1;
  } else {
    msg.deleted = true;
  }
  // §3.9: only messages with a CONNECTOR_MID reach the connector; §3.1 flags (default true).
  const allowed = flag(s, msg.connector, update ? 'EDIT_INTERNAL_MESSAGES' : 'DEL_INTERNAL_MESSAGES', true);
  if (msg.connectorMid.length === 0 || !allowed || !canDeliver(s)) {
    s.log(`${event}: message ${messageId} changed in the portal only`);
    return [];
  }
  const im = { chat_id: String(msg.chatId), message_id: String(msg.id) };
  const chat = { id: msg.externalChatId };
  const signature = flag(s, msg.connector, 'NEED_SIGNATURE', true);
  const operator = defaultOperator(s);
  const messages = update
    ? // §4.2: message.id is the array of external ids from the delivery ack
      [{ im, message: { id: [...msg.connectorMid], text: signed(operator, msg.text, signature) }, chat }]
    : // §4.3: one element per stored external id, message.id a string
      msg.connectorMid.map((id) => ({ im, message: { id }, chat }));
  const data = { CONNECTOR: msg.connector, LINE: String(msg.line), MESSAGES: messages };
  return deliverToBound(s, event, data, operator);
}

/**
 * An admin deletes an open line (§4.5): the line goes, with every connector's state on it, and the
 * app hears OnImConnectorLineDelete whose `data` is the bare line id.
 */
export function deleteLine(s: PortalState, line: number): Promise<HandlerResponse[]> {
  const at = s.lines.findIndex((l) => l.ID === line);
  if (at < 0) throw new Error(`sandbox portal: no open line ${line}`);
  s.lines.splice(at, 1);
  for (const cn of s.connectorsById.keys()) s.lineStates.delete(lineKey(cn, line));
  return canDeliver(s)
    ? deliverToBound(s, 'ONIMCONNECTORLINEDELETE', line, defaultAdmin(s))
    : Promise.resolve([]);
}

/**
 * A user switches a connector off on a line in the Contact Center (§4.6): its state there goes, as
 * with imconnector.activate ACTIVE=0 (§3.4), and the app hears OnImConnectorStatusDelete with
 * lower-case `data` keys `{connector, line}`.
 */
export function disableConnector(
  s: PortalState,
  o: { line: number; connector: string },
): Promise<HandlerResponse[]> {
  s.lineStates.delete(lineKey(o.connector, o.line));
  const data = { connector: o.connector, line: o.line };
  return canDeliver(s)
    ? deliverToBound(s, 'ONIMCONNECTORSTATUSDELETE', data, defaultAdmin(s))
    : Promise.resolve([]);
}

export async function postEvent(
  s: PortalState,
  o: {
    event: string;
    data: unknown;
    handler?: string;
    auth?: Record<string, string | undefined>;
  },
): Promise<Array<{ handler: string; status: number; body: string }>> {
  const event = o.event.toUpperCase();
  const targets = o.handler
    ? [
        {
          handler: o.handler,
          id: s.bindingList.find((b) => b.event === event && b.handler === o.handler)?.id ?? 0,
          authType: 0,
        },
      ]
    : s.bindingList
        .filter((b) => b.event === event)
        .map((b) => ({ handler: b.handler, id: b.id, authType: b.authType }));
  const out: Array<{ handler: string; status: number; body: string }> = [];
  for (const t of targets) {
    const auth: Record<string, string> = s.installed
      ? eventAuth(s, t.authType || defaultAdmin(s).ID)
      : { ...commonAuth(s), application_token: s.appToken };
    for (const [k, v] of Object.entries(o.auth ?? {})) {
      if (v === undefined) delete auth[k];
      else auth[k] = v;
    }
    const r = await deliver(s, t.handler, t.id, event, o.data, auth);
    out.push({ handler: t.handler, status: r.status, body: r.body });
  }
  return out;
}
