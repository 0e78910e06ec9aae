/**
 * Open-line chats and their messages as the portal stores them: one chat per USER_CODE (§3.7), the
 * connector's users, and the message store every area writes to and `messages()` reads.
 */
import type { Chat, StoredMessage } from './model.js';
import type { PortalState } from './state.js';
import type { PortalChatMessage } from './types.js';

function connectorUserId(s: PortalState, cn: string, externalUserId: string): number {
  const xml = `${cn}|${externalUserId}`; // XML_ID of the connector user (§3.7)
  let id = s.connectorUsers.get(xml);
  if (id === undefined) {
    s.seq.connectorUser += 1;
    id = s.seq.connectorUser;
    s.connectorUsers.set(xml, id);
  }
  return id;
}

/** One stable Bitrix24 chat per USER_CODE `connector|LINE|chat.id|user.id` (§3.7). */
export function chatFor(
  s: PortalState,
  cn: string,
  line: number,
  externalChatId: string,
  externalUserId: string,
): Chat {
  const code = `${cn}|${line}|${externalChatId}|${externalUserId}`;
  let chat = s.chatsByCode.get(code);
  if (!chat) {
    s.seq.chat += 1;
    s.seq.session += 1;
    chat = {
      id: s.seq.chat,
      sessionId: s.seq.session,
      line,
      connector: cn,
      externalChatId,
      externalUserId,
      connectorUserId: connectorUserId(s, cn, externalUserId),
      name: '',
    };
    s.chatsByCode.set(code, chat);
    s.chatsById.set(chat.id, chat);
  }
  return chat;
}

export function findChat(
  s: PortalState,
  cn: string,
  line: number,
  externalChatId: string,
  externalUserId: string,
): Chat | undefined {
  if (externalUserId) return s.chatsByCode.get(`${cn}|${line}|${externalChatId}|${externalUserId}`);
  return [...s.chatsByCode.values()].find(
    (x) => x.connector === cn && x.line === line && x.externalChatId === externalChatId,
  );
}

/**
 * Stores a new message in `chat`, numbered next, and returns its id; unset fields are a fresh message's.
 * The author is the chat's connector user for a customer's message unless `authorId` says otherwise.
 */
export function addMessage(
  s: PortalState,
  chat: Chat,
  m: Pick<StoredMessage, 'author' | 'text' | 'files'> &
    Partial<Pick<StoredMessage, 'connectorMid' | 'date' | 'system' | 'byUserId' | 'authorId'>>,
): number {
  s.seq.message += 1;
  const fileIds = m.files.map(() => (s.seq.file += 1));
  const stored: StoredMessage = {
    id: s.seq.message,
    chatId: chat.id,
    line: chat.line,
    connector: chat.connector,
    externalChatId: chat.externalChatId,
    externalUserId: chat.externalUserId,
    author: m.author,
    text: m.text,
    files: m.files,
    connectorMid: m.connectorMid ?? [],
    delivered: false,
    date: m.date ?? Math.floor(Date.now() / 1000),
    updatedTimes: 0,
    deleted: false,
    system: m.system ?? false,
    ...(m.byUserId !== undefined ? { byUserId: m.byUserId } : {}),
    authorId: m.authorId ?? (m.author === 'customer' ? chat.connectorUserId : 0),
    fileIds,
  };
  s.store.push(stored);
  s.storeById.set(stored.id, stored);
  const list = s.storeByChat.get(stored.chatId);
  if (list) list.push(stored);
  else s.storeByChat.set(stored.chatId, [stored]);
  return stored.id;
}

export function messages(
  s: PortalState,
  filter?: { line?: number; author?: 'customer' | 'operator' },
): PortalChatMessage[] {
  return s.store
    .filter((m) => !m.deleted)
    .filter((m) => filter?.line === undefined || m.line === filter.line)
    .filter((m) => filter?.author === undefined || m.author === filter.author)
    .map(({ deleted: _d, system: _s, byUserId: _u, authorId: _a, fileIds: _f, ...m }) => ({
      ...m,
      files: m.files.map((f) => ({ ...f, ...(f.download ? { download: { ...f.download } } : {}) })),
      connectorMid: [...m.connectorMid],
    }));
}

/** Every line of one chat as the agents see it, system lines and who wrote each included. */
export function chatLines(
  s: PortalState,
  chatId: number,
): Array<{
  id: number;
  author: 'customer' | 'operator';
  system: boolean;
  byUserId: number | null;
  text: string;
}> {
  return (s.storeByChat.get(chatId) ?? [])
    .filter((m) => !m.deleted)
    .map((m) => ({
      id: m.id,
      author: m.author,
      system: m.system,
      byUserId: m.byUserId ?? null,
      text: m.text,
    }));
}
