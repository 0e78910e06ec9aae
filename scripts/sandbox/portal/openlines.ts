/**
 * Open lines and operators' messages (§5): imopenlines.config.list.get / config.get, im.message.add
 * into an open-line chat, and (not in the reference: b24restdocs) imopenlines.operator.transfer and
 * imopenlines.crm.chat.get.
 */
import { addMessage } from './chats.js';
import { RestError, type Ctx, type PortalLine, type Res } from './model.js';
import type { PortalState } from './state.js';
import type { CrmBindingType, PortalTransfer } from './types.js';
import { listOf, obj, phpEmpty, str, toInt } from './util.js';

/** Where imopenlines.operator.transfer sends the chat: a user, or a line's queue. */
function transferTarget(c: Ctx): { toUserId: number | null; toQueue: number | null } {
  let userParam = c.p['USER_ID'];
  let queueParam = c.p['QUEUE_ID'];
  const transfer = str(c.p['TRANSFER_ID']);
  if (c.p['TRANSFER_ID'] !== undefined) {
    if (transfer.startsWith('queue')) queueParam = transfer.slice(5);
    else userParam = transfer;
  }
  if (userParam !== undefined) {
    const toUserId = toInt(userParam) ?? 0;
    if (toUserId <= 0) throw new RestError(400, 'USER_ID_EMPTY', "User ID can't be empty");
    return { toUserId, toQueue: null };
  }
  if (queueParam !== undefined) {
    const toQueue = toInt(queueParam) ?? 0;
    if (toQueue <= 0) throw new RestError(400, 'QUEUE_ID_EMPTY', "QUEUE ID can't be empty");
    return { toUserId: null, toQueue };
  }
  throw new RestError(400, 'TRANSFER_ID_EMPTY', "Queue ID or User ID can't be empty");
}

/**
 * imopenlines.operator.transfer (b24restdocs imopenlines/openlines/operators/…-transfer.md; checks
 * and errors as the core's Rest::operatorTransfer): `CHAT_ID`, `TRANSFER_ID` = a user id or
 * `queue<line>`. A chat that does not exist, or a user who is not an operator of the chat's line,
 * is `OPERATOR_WRONG`. Answers `true`.
 */
export function mOperatorTransfer(s: PortalState, c: Ctx): Res {
  const chatId = toInt(c.p['CHAT_ID']) ?? 0;
  if (chatId <= 0) throw new RestError(400, 'CHAT_ID_EMPTY', "Chat ID can't be empty");
  const { toUserId, toQueue } = transferTarget(c);
  const chat = s.chatsById.get(chatId);
  const line = chat ? s.lines.find((l) => l.ID === chat.line) : undefined;
  const operators = line?.QUEUE ?? s.users.map((u) => u.ID);
  const ok =
    chat !== undefined &&
    (toUserId !== null
      ? s.users.some((u) => u.ID === toUserId) && operators.includes(toUserId)
      : s.lines.some((l) => l.ID === toQueue));
  if (!ok || !chat) throw new RestError(400, 'OPERATOR_WRONG', 'You can not redirect to this operator');
  s.transferLog.push({ chatId, line: chat.line, toUserId, toQueue, byUserId: c.user.ID });
  return { result: true };
}

export function transfers(s: PortalState): PortalTransfer[] {
  return s.transferLog.map((t) => ({ ...t }));
}

export function bindChatToCrm(
  s: PortalState,
  o: { chatId: number; entity: CrmBindingType; id: number },
): void {
  if (!s.chatsById.has(o.chatId)) throw new Error(`bindChatToCrm: no chat ${o.chatId}`);
  s.chatCrm.set(o.chatId, { ...s.chatCrm.get(o.chatId), [o.entity]: o.id });
}

/**
 * imopenlines.crm.chat.get (b24restdocs imopenlines/openlines/chats/imopenlines-crm-chat-get.md;
 * checks in the order of the core's Rest::getCrmChats): `CRM_ENTITY_TYPE` lead|deal|company|contact
 * and `CRM_ENTITY` (an id; `CRM_ENTITY_ID` is not read), `ACTIVE_ONLY` Y (default) or N. Answers
 * `[{ CHAT_ID: "1763", CONNECTOR_ID, CONNECTOR_TITLE }]`, `[]` when no chat is bound or the record
 * does not exist. Sandbox sessions never close, so every chat is active.
 */
export function mCrmChatGet(s: PortalState, c: Ctx): Res {
  const type = str(c.p['CRM_ENTITY_TYPE']).toUpperCase();
  if (!type) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'CRM_ENTITY_TYPE' is null or empty");
  const raw = c.p['CRM_ENTITY'];
  if (phpEmpty(raw)) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'CRM_ENTITY' is null or empty");
  const id = toInt(raw);
  if (id === null || id <= 0) {
    throw new RestError(400, 'ERROR_ARGUMENT', "The value of an argument 'CRM_ENTITY' has an invalid type");
  }
  const chats = [...s.chatCrm.entries()]
    .filter(([, bound]) => bound[type as CrmBindingType] === id)
    .map(([chatId]) => s.chatsById.get(chatId))
    .filter((chat) => chat !== undefined);
  return {
    result: chats.map((chat) => ({
      CHAT_ID: String(chat.id),
      CONNECTOR_ID: chat.connector,
      CONNECTOR_TITLE: str(s.connectorsById.get(chat.connector)?.['NAME']),
    })),
  };
}

function lineRecord(l: PortalLine): Record<string, unknown> {
  return { ID: String(l.ID), ACTIVE: 'Y', LINE_NAME: l.LINE_NAME };
}

export function mConfigList(s: PortalState, c: Ctx): Res {
  const params = obj(c.p['PARAMS']);
  const lower: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(params)) lower[k.toLowerCase()] = v;
  const filter = obj(lower['filter']);
  const select = (listOf(lower['select']) ?? []).map((x) => str(x).toUpperCase()).filter(Boolean);
  let rows = s.lines.map((l) => lineRecord(l));
  rows = rows.filter((r) =>
    Object.entries(filter).every(([k, v]) => {
      const field = k.toUpperCase().replace(/^[=!@%<>]+/, '');
      const want = (listOf(v) ?? [v]).map((x) => str(x).toLowerCase());
      const match = want.includes(str(r[field]).toLowerCase());
      return k.startsWith('!') ? !match : match;
    }),
  );
  const order = obj(lower['order']);
  const [oField, oDir] = Object.entries(order)[0] ?? ['ID', 'ASC'];
  const of = oField.toUpperCase();
  rows.sort((a, b) => {
    const cmp = of === 'ID' ? Number(a['ID']) - Number(b['ID']) : str(a[of]).localeCompare(str(b[of]));
    return str(oDir).toUpperCase() === 'DESC' ? -cmp : cmp;
  });
  const offset = Math.max(0, toInt(lower['offset']) ?? 0);
  const limit = Math.min(200, Math.max(1, toInt(lower['limit']) ?? 50));
  rows = rows.slice(offset, offset + limit);
  if (select.length && !select.includes('*')) {
    rows = rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => select.includes(k))));
  }
  return { result: rows };
}

export function mConfigGet(s: PortalState, c: Ctx): Res {
  const id = toInt(c.p['CONFIG_ID']);
  if (id === null) throw new RestError(400, 'CONFIG_ID_EMPTY', "Argument 'CONFIG_ID' is null or empty");
  const l = s.lines.find((x) => x.ID === id);
  if (!l) throw new RestError(400, 'CONFIG_NOT_FOUND', 'Open line not found');
  return { result: { ...lineRecord(l), QUEUE: (l.QUEUE ?? s.users.map((u) => u.ID)).map(String) } };
}

/** im.message.add into an open-line chat (`DIALOG_ID=chat<ID>`). Echo to the connector is [unverified] (§5): none. */
export function mImMessageAdd(s: PortalState, c: Ctx): Res {
  const dialog = str(c.p['DIALOG_ID']).trim();
  const text = str(c.p['MESSAGE']);
  if (!dialog) throw new RestError(400, 'DIALOG_ID_EMPTY', 'Dialog ID can`t be empty');
  if (!text.trim() && c.p['ATTACH'] === undefined) {
    throw new RestError(400, 'MESSAGE_EMPTY', 'Message can`t be empty');
  }
  const m = /^chat(\d+)$/.exec(dialog);
  const chat = m ? s.chatsById.get(Number(m[1])) : undefined;
  if (!chat) throw new RestError(400, 'ACCESS_ERROR', 'You do not have access to the specified dialog');
  const id = addMessage(s, chat, {
    author: 'operator',
    authorId: c.user.ID,
    text,
    files: [],
    system: str(c.p['SYSTEM']).toUpperCase() === 'Y',
    byUserId: c.user.ID,
  });
  return { result: id };
}

/**
 * imopenlines.crm.message.add (b24restdocs imopenlines/openlines/messages/imopenlines-crm-message-add.md):
 * `CRM_ENTITY_TYPE`, `CRM_ENTITY`, `USER_ID` (a participant of the chat: here an operator of its line),
 * `CHAT_ID` (bound to that record), `MESSAGE` → the new message's id. Echo to the connector is
 * [unverified] (§12): none, as for im.message.add.
 */
export function mCrmMessageAdd(s: PortalState, c: Ctx): Res {
  for (const arg of ['CRM_ENTITY_TYPE', 'CRM_ENTITY', 'USER_ID', 'MESSAGE']) {
    if (phpEmpty(c.p[arg])) throw new RestError(400, 'ERROR_ARGUMENT', `Argument '${arg}' is null or empty`);
  }
  const type = str(c.p['CRM_ENTITY_TYPE']).toUpperCase() as CrmBindingType;
  const entityId = toInt(c.p['CRM_ENTITY']);
  const chat = s.chatsById.get(toInt(c.p['CHAT_ID']) ?? 0);
  if (!chat || entityId === null || s.chatCrm.get(chat.id)?.[type] !== entityId) {
    throw new RestError(400, 'CHAT_NOT_IN_CRM', 'Chat does not belong to the CRM object being checked');
  }
  const userId = toInt(c.p['USER_ID']) ?? 0;
  const line = s.lines.find((l) => l.ID === chat.line);
  const members = line?.QUEUE ?? s.users.map((u) => u.ID);
  if (!members.includes(userId)) {
    throw new RestError(400, 'CANCELED', 'You cannot send messages to the specified chat');
  }
  const id = addMessage(s, chat, {
    author: 'operator',
    text: str(c.p['MESSAGE']),
    files: [],
    byUserId: userId,
  });
  return { result: id };
}
