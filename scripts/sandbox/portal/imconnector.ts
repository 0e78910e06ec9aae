/**
 * The connector's messages (§3.7–§3.11): imconnector.send.messages / update.messages /
 * delete.messages, send.status.delivery / send.status.reading, chat.name.set. Elements fail one by
 * one inside an HTTP 200 (SUCCESS:false + ERRORS); arguments and the line fail the whole call.
 */
import { addMessage, chatFor, findChat } from './chats.js';
import { argConnector, argLine, flag, requireActiveLine, requireProvider } from './connectors.js';
import { connectorFiles } from './files.js';
import { takeElementRefusal } from './limits.js';
import { RestError, type Chat, type Ctx, type Res, type StoredMessage } from './model.js';
import type { PortalState } from './state.js';
import { isObj, listOf, lowerKeysDeep, phpEmpty, str, toInt } from './util.js';

type Item = Record<string, Record<string, unknown>>;

/** CONNECTOR/LINE/MESSAGES validation shared by send/update/delete/status methods (§3, §3.7). */
function messagesArgs(
  s: PortalState,
  c: Ctx,
  needs: string[],
  requireActive: boolean,
): { cn: string; line: number; items: Item[] } {
  const cn = argConnector(c.p);
  const line = argLine(c.p);
  const list = listOf(c.p['MESSAGES']);
  if (!list || list.length === 0) {
    throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'MESSAGES' is null or empty");
  }
  const items = list.map((raw, i) => {
    const el = lowerKeysDeep(raw);
    if (!isObj(el)) throw new RestError(400, 'ERROR_ARGUMENT', `MESSAGES[${i}] is not an array`);
    const out: Item = {};
    for (const k of needs) {
      const part = el[k];
      if (!isObj(part)) {
        throw new RestError(400, 'ERROR_ARGUMENT', `Argument 'MESSAGES[${i}][${k}]' is null or empty`);
      }
      out[k] = part;
    }
    for (const [k, v] of Object.entries(el)) if (!(k in out) && isObj(v)) out[k] = v;
    return out;
  });
  requireProvider(s, cn);
  if (requireActive) requireActiveLine(s, cn, line);
  return { cn, line, items };
}

/** The element echoed back in DATA.RESULT[] (§3.7 response). */
function echo(item: Item, userId: string): Record<string, unknown> {
  const message: Record<string, unknown> = { ...(item['message'] ?? {}) };
  if (message['date'] !== undefined) message['date'] = {}; // a PHP DateTime json-encodes as {}
  if (message['files'] === undefined) message['files'] = [];
  const chat: Record<string, unknown> = { ...(item['chat'] ?? {}) };
  if (chat['url'] !== undefined) {
    // §3.7 core: chat.url is not stored as a URL; it becomes the description
    chat['description'] = `Link to the original post: ${str(chat['url'])}`;
    delete chat['url'];
  }
  const out: Record<string, unknown> = { user: userId, message, chat };
  const extra: Record<string, unknown> = {};
  const skip = item['user']?.['skip_phone_validate'];
  if (skip !== undefined) extra['skip_phone_validate'] = skip;
  const disable = message['disable_crm'];
  if (disable !== undefined) extra['disable_tracker'] = disable;
  if (Object.keys(extra).length) out['extra'] = extra;
  return out;
}

/** The answer of the per-element methods: SUCCESS only when every element succeeded (§3.7). */
function perElement(results: Array<{ SUCCESS: boolean }>): Res {
  return { result: { SUCCESS: results.every((r) => r.SUCCESS), DATA: { RESULT: results } } };
}

/** One element of imconnector.send.messages: stored in its chat, or refused with ERRORS. */
function sendOne(
  s: PortalState,
  cn: string,
  line: number,
  item: Item,
): Record<string, unknown> & { SUCCESS: boolean } {
  const user = item['user'] ?? {};
  const message = item['message'] ?? {};
  const chatIn = item['chat'] ?? {};
  const errors: string[] = [];
  const extUser = str(user['id']).trim();
  const extChat = str(chatIn['id']).trim();
  const text = str(message['text']);
  const files = connectorFiles(s, message['files']);
  if (!extUser) errors.push('User ID (user.id) is required');
  if (!extChat) errors.push('Chat ID (chat.id) is required');
  if (!text.trim() && files.length === 0) errors.push('Message text or files are required');
  const refusal = errors.length ? undefined : takeElementRefusal(s);
  if (refusal) errors.push(refusal);
  if (errors.length) return { ...echo(item, extUser), SUCCESS: false, ERRORS: errors };
  const chat = chatFor(s, cn, line, extChat, extUser);
  if (!chat.name && str(chatIn['name'])) chat.name = str(chatIn['name']);
  const mid = message['id'];
  const date = toInt(message['date']);
  const manager = toInt(message['user_id']);
  addMessage(s, chat, {
    // §3.7 message.user_id: posted on behalf of a manager (no echo event: [unverified] → none)
    author: phpEmpty(message['user_id']) ? 'customer' : 'operator',
    ...(manager !== null && manager > 0 ? { authorId: manager } : {}),
    text,
    files, // recorded by url+name, with what downloading each url gave
    connectorMid: mid === undefined || mid === '' ? [] : (listOf(mid) ?? [mid]).map(str),
    date: date ?? Math.floor(Date.now() / 1000),
  });
  return {
    ...echo(item, String(chat.connectorUserId)),
    SUCCESS: true,
    session: { ID: String(chat.sessionId), CHAT_ID: String(chat.id) },
  };
}

export function mSendMessages(s: PortalState, c: Ctx): Res {
  const { cn, line, items } = messagesArgs(s, c, ['user', 'message', 'chat'], true);
  return perElement(items.map((item) => sendOne(s, cn, line, item)));
}

/** Message lookup by CONNECTOR_MID = message.id inside the element's chat (§3.8). */
function findByMid(
  s: PortalState,
  cn: string,
  line: number,
  item: Item,
): { chat?: Chat; msg?: StoredMessage; error?: string } {
  const extUser = str(item['user']?.['id']).trim();
  const extChat = str(item['chat']?.['id']).trim();
  const mid = str(item['message']?.['id']).trim();
  if (!extChat) return { error: 'Chat ID (chat.id) is required' };
  if (!mid) return { error: 'Message ID (message.id) is required' };
  const chat = findChat(s, cn, line, extChat, extUser);
  if (!chat) return { error: 'Chat not found' };
  const msg = (s.storeByChat.get(chat.id) ?? []).find((m) => !m.deleted && m.connectorMid.includes(mid));
  if (!msg) return { chat, error: `Message ${mid} not found in this chat` };
  return { chat, msg };
}

export function mUpdateMessages(s: PortalState, c: Ctx): Res {
  const { cn, line, items } = messagesArgs(s, c, ['user', 'message', 'chat'], true);
  const results = items.map((item) => {
    const found = findByMid(s, cn, line, item);
    const userId = found.chat ? String(found.chat.connectorUserId) : str(item['user']?.['id']);
    if (!found.msg) {
      return { ...echo(item, userId), SUCCESS: false, ERRORS: [found.error ?? 'Message not found'] };
    }
    const message = item['message'] ?? {};
    if (message['text'] !== undefined) found.msg.text = str(message['text']);
    if (message['files'] !== undefined) found.msg.files = connectorFiles(s, message['files']);
    found.msg.updatedTimes += 1;
    return { ...echo(item, userId), SUCCESS: true };
  });
  return perElement(results);
}

export function mDeleteMessages(s: PortalState, c: Ctx): Res {
  const { cn, line, items } = messagesArgs(s, c, ['message', 'chat'], true);
  const results = items.map((item) => {
    const found = findByMid(s, cn, line, item);
    const base = {
      user: found.chat ? String(found.chat.connectorUserId) : str(item['user']?.['id']),
      message: { id: str(item['message']?.['id']) },
      chat: { id: str(item['chat']?.['id']) },
    };
    if (!found.msg) return { ...base, SUCCESS: false, ERRORS: [found.error ?? 'Message not found'] };
    if (found.msg.author === 'customer' && !flag(s, cn, 'DEL_EXTERNAL_MESSAGES', true)) {
      return {
        ...base,
        SUCCESS: false,
        ERRORS: ['Deleting external messages is disabled for this connector (DEL_EXTERNAL_MESSAGES)'],
      };
    }
    found.msg.deleted = true;
    return { ...base, SUCCESS: true };
  });
  return perElement(results);
}

/** One element of send.status.delivery (§3.9): the error, or null once the message is marked. */
function deliveryAck(s: PortalState, cn: string, line: number, item: Item, i: number): string | null {
  const chatId = toInt(item['im']?.['chat_id']);
  const messageId = toInt(item['im']?.['message_id']);
  const ids = item['message']?.['id'];
  if (chatId === null || messageId === null) {
    return `MESSAGES[${i}]: im.chat_id and im.message_id are required`;
  }
  // §3.9: message.id is ALWAYS an array
  if (!Array.isArray(ids) && !isObj(ids)) {
    return `MESSAGES[${i}]: message.id must be an array of external ids`;
  }
  const msg = s.storeById.get(messageId);
  if (
    !msg ||
    msg.deleted ||
    msg.chatId !== chatId ||
    msg.connector !== cn ||
    msg.line !== line ||
    msg.author !== 'operator'
  ) {
    return `MESSAGES[${i}]: message ${messageId} not found in chat ${chatId}`;
  }
  // core stores message.id as CONNECTOR_MID and clears SENDING (§3.9)
  msg.connectorMid = (listOf(ids) ?? []).map(str).filter((x) => x !== '');
  msg.delivered = true;
  return null;
}

export function mStatusDelivery(s: PortalState, c: Ctx): Res {
  const { cn, line, items } = messagesArgs(s, c, ['im', 'message', 'chat'], false);
  const errors: string[] = [];
  for (const [i, item] of items.entries()) {
    const error = deliveryAck(s, cn, line, item, i);
    if (error !== null) errors.push(error);
  }
  const result: Record<string, unknown> = { SUCCESS: errors.length === 0, DATA: [] };
  if (errors.length) result['ERRORS'] = errors;
  return { result };
}

export function mStatusReading(s: PortalState, c: Ctx): Res {
  messagesArgs(s, c, ['im', 'chat'], false); // §3.10: validated, then a no-op
  return { result: { SUCCESS: true, DATA: [] } };
}

export function mChatNameSet(s: PortalState, c: Ctx): Res {
  const cn = argConnector(c.p);
  const line = argLine(c.p);
  const chatId = str(c.p['CHAT_ID']).trim();
  const name = str(c.p['NAME']).trim();
  if (!chatId) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'CHAT_ID' is null or empty");
  if (!name) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'NAME' is null or empty");
  requireProvider(s, cn);
  const group = flag(s, cn, 'CHAT_GROUP', false);
  const userId = str(c.p['USER_ID']).trim();
  if (!group && !userId) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'USER_ID' is null or empty"); // §3.11
  requireActiveLine(s, cn, line);
  const chat = findChat(s, cn, line, chatId, group ? '' : userId);
  if (!chat) throw new RestError(400, 'CHAT_RENAMING_FAILED', 'Chat not found');
  chat.name = name;
  return { result: { SUCCESS: true, DATA: { RESULT: {} } } };
}
