/**
 * im.dialog.messages.get (not in reference/bitrix24.md: b24restdocs chats/messages/
 * im-dialog-messages-get.md; parameter checks, order and limits as the core's `dialogMessagesGet` and
 * `Chat::getMessages`): the messages the portal holds in a chat, whoever posted them, as an app reads
 * them back with its own token. A message only an event claims (posted to the app by anyone) is not
 * here: only what was stored in the chat is.
 */
import { RestError, type Chat, type Ctx, type Res, type StoredMessage } from './model.js';
import type { PortalState } from './state.js';
import { isoSeconds, str, toInt } from './util.js';

const LIMIT_DEFAULT = 20;
const LIMIT_MAX = 50;

/** `DIALOG_ID` `chat<ID>` (or `CHAT_ID`); a user's private dialog is not kept by the sandbox. */
function dialogChat(s: PortalState, c: Ctx): Chat | undefined {
  const chatParam = toInt(c.p['CHAT_ID']);
  const dialog = chatParam !== null && chatParam > 0 ? `chat${chatParam}` : str(c.p['DIALOG_ID']).trim();
  if (!/^(chat\d+|\d+)$/i.test(dialog)) {
    throw new RestError(400, 'DIALOG_ID_EMPTY', "Dialog ID can't be empty");
  }
  const m = /^chat(\d+)$/i.exec(dialog);
  return m ? s.chatsById.get(Number(m[1])) : undefined;
}

/**
 * Who may read an open-line chat: its members (whoever posted in it), and whoever may join it
 * through the open line's permissions: admins and the line's operators (core `Config::canJoin`).
 */
function mayRead(s: PortalState, c: Ctx, chat: Chat): boolean {
  if (c.user.ADMIN) return true;
  const line = s.lines.find((l) => l.ID === chat.line);
  if ((line?.QUEUE ?? s.users.map((u) => u.ID)).includes(c.user.ID)) return true;
  return (s.storeByChat.get(chat.id) ?? []).some((m) => m.authorId === c.user.ID);
}

function idParam(c: Ctx, name: 'FIRST_ID' | 'LAST_ID', code: string): number | undefined {
  const raw = c.p[name];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(str(raw))) {
    throw new RestError(400, code, `${name === 'FIRST_ID' ? 'First' : 'Last'} ID can't be string`);
  }
  return Number(str(raw));
}

/** The messages asked for: after FIRST_ID oldest first, else the latest (before LAST_ID) newest first. */
function selection(list: StoredMessage[], c: Ctx): StoredMessage[] {
  const asked = toInt(c.p['LIMIT']);
  const limit = asked === null || asked <= 0 ? LIMIT_DEFAULT : Math.min(asked, LIMIT_MAX);
  const first = idParam(c, 'FIRST_ID', 'FIRST_ID_STRING');
  if (first !== undefined) return list.filter((m) => m.id > first).slice(0, limit);
  const last = idParam(c, 'LAST_ID', 'LAST_ID_STRING');
  const before = last !== undefined && last > 0 ? list.filter((m) => m.id < last) : list;
  return before.slice(-limit).reverse();
}

function paramsOf(m: StoredMessage): Record<string, unknown> | null {
  const p: Record<string, unknown> = {};
  if (m.fileIds.length && !m.deleted) p['FILE_ID'] = [...m.fileIds];
  if (m.deleted) p['IS_DELETED'] = 'Y';
  else if (m.updatedTimes > 0) p['IS_EDITED'] = 'Y';
  if (m.connectorMid.length) p['CONNECTOR_MID'] = [...m.connectorMid];
  return Object.keys(p).length ? p : null;
}

function userOf(s: PortalState, chat: Chat, id: number): Record<string, unknown> {
  const u = s.users.find((x) => x.ID === id);
  const connector = !u && id === chat.connectorUserId;
  const first = u?.NAME ?? (chat.name || 'Guest');
  const last = u?.LAST_NAME ?? '';
  return {
    id,
    name: [first, last].filter(Boolean).join(' '),
    first_name: first,
    last_name: last,
    work_position: u?.WORK_POSITION ?? '',
    color: '#df532d',
    avatar: '',
    gender: 'M',
    birthday: '',
    extranet: connector,
    network: false,
    bot: false,
    connector,
    external_auth_id: connector ? 'imconnector' : 'default',
    status: 'online',
    idle: false,
    last_activity_date: false,
    mobile_last_date: false,
    departments: u?.UF_DEPARTMENT ?? [],
    absent: false,
    phones: false,
  };
}

function filesOf(s: PortalState, chat: Chat, picked: StoredMessage[]): Array<Record<string, unknown>> {
  return picked
    .filter((m) => !m.deleted)
    .flatMap((m) =>
      m.files.map((f, i) => {
        const id = m.fileIds[i] ?? 0;
        const show = `${s.url}/bitrix/components/bitrix/im.messenger/show.file.php?fileId=${id}`;
        return {
          id,
          chatId: chat.id,
          date: isoSeconds(m.date * 1000),
          type: f.type === 'image' ? 'image' : 'file',
          preview: '',
          name: f.name,
          size: f.size ?? 0,
          status: 'done',
          progress: 100,
          authorId: m.authorId,
          authorName: str(userOf(s, chat, m.authorId)['name']),
          urlPreview: '',
          urlShow: show,
          urlDownload: `${s.url}/bitrix/components/bitrix/im.messenger/download.file.php?fileId=${id}`,
        };
      }),
    );
}

export function mDialogMessagesGet(s: PortalState, c: Ctx): Res {
  const chat = dialogChat(s, c);
  if (!chat || !mayRead(s, c, chat)) {
    throw new RestError(403, 'ACCESS_ERROR', 'You do not have access to the specified dialog');
  }
  const picked = selection(s.storeByChat.get(chat.id) ?? [], c);
  const authors = [...new Set(picked.map((m) => m.authorId).filter((a) => a > 0))];
  return {
    result: {
      messages: picked.map((m) => ({
        id: m.id,
        chat_id: chat.id,
        author_id: m.authorId,
        date: isoSeconds(m.date * 1000),
        text: m.deleted ? '' : m.text,
        params: paramsOf(m),
      })),
      users: authors.map((a) => userOf(s, chat, a)),
      files: filesOf(s, chat, picked),
      chat_id: chat.id,
    },
  };
}
