/**
 * System notifications (not in reference/bitrix24.md; shapes and errors as Bitrix24's REST docs give
 * them, b24restdocs api-reference/chats/notifications/im-notify-system-add.md): `im.notify.system.add`
 * with `USER_ID` (recipient), `MESSAGE`, optional `MESSAGE_OUT` (the e-mail/push text), `TAG` (a new
 * notification with the same tag replaces the user's earlier one) and `SUB_TAG`; scope `im`, only
 * from an application's token. Answers the notification's id.
 */
import { RestError, type Ctx, type Res } from './model.js';
import type { PortalState } from './state.js';
import { str, toInt } from './util.js';

export interface PortalNotification {
  id: number;
  userId: number;
  message: string;
  tag: string | null;
}

export function mNotifySystemAdd(s: PortalState, c: Ctx): Res {
  const userId = toInt(c.p['USER_ID']) ?? 0;
  const message = str(c.p['MESSAGE']);
  if (userId <= 0) throw new RestError(400, 'USER_ID_EMPTY', 'Recipient ID not specified');
  if (!message.trim()) throw new RestError(400, 'MESSAGE_EMPTY', 'Message text can`t be empty');
  if (!s.users.some((u) => u.ID === userId)) {
    throw new RestError(400, 'USER_ID_EMPTY', 'Recipient ID not specified');
  }
  const tag = str(c.p['TAG']).trim() || null;
  const at = tag ? s.notifications.findIndex((n) => n.userId === userId && n.tag === tag) : -1;
  const n: PortalNotification = { id: ++s.notificationSeq, userId, message, tag };
  if (at >= 0) s.notifications.splice(at, 1, n);
  else s.notifications.push(n);
  return { result: n.id };
}

/** What each user holds in the notifications panel (a tag's later notification replaced the earlier). */
export function notifications(s: PortalState): PortalNotification[] {
  return s.notifications.map((n) => ({ ...n }));
}
