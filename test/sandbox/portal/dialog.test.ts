/**
 * Tests the sandbox Bitrix24 portal itself against b24restdocs chats/messages/im-dialog-messages-get.md
 * (not in /work/shared/reference/bitrix24.md) and the core's `dialogMessagesGet`; nothing from src/ is
 * used. What a chat holds is what was posted in it: a customer's message, an operator's, a note; an
 * event posted to the app by anyone else is not there.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  app,
  boot,
  customerMessage,
  pick,
  portal,
  registerAndActivate,
  rest,
  setup,
  teardown,
  token,
} from './harness.js';

interface Answer {
  messages: Array<{
    id: number;
    chat_id: number;
    author_id: number;
    date: string;
    text: string;
    params: Record<string, unknown> | null;
  }>;
  users: Array<{ id: number; name: string; connector: boolean }>;
  files: Array<{ id: number; chatId: number; name: string; size: number; type: string }>;
  chat_id: number;
}

describe('sandbox Bitrix24 portal', () => {
  beforeEach(setup);
  afterEach(teardown);

  describe('im.dialog.messages.get (b24restdocs chats/messages)', () => {
    let chatId: number;
    beforeEach(async () => {
      await boot();
      await registerAndActivate(1);
      const r = await rest(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [customerMessage('hola', 'g-1')],
      });
      chatId = Number(pick(r.body, 'result.DATA.RESULT.0.session.CHAT_ID'));
    });

    const read = (params: Record<string, unknown>, auth = token) =>
      rest<{ result: Answer }>(portal, 'im.dialog.messages.get', { auth, ...params });

    it('holds what was posted in the chat: the customer’s, the operator’s (without the name prefix), with author and files', async () => {
      const op = await portal.operatorSend({
        line: 1,
        externalChatId: '5215550001',
        text: 'Le envío la [b]factura[/b]',
        userId: 2,
        files: [{ name: 'factura.pdf', type: 'file', link: `${portal.url}/disk/ab/factura.pdf`, size: 2048 }],
      });
      const r = await read({ DIALOG_ID: `chat${chatId}` });
      expect(r.status).toBe(200);
      const a = r.body.result;
      expect(a.chat_id).toBe(chatId);
      // Without FIRST_ID: the latest messages, newest first.
      expect(a.messages.map((m) => m.text)).toEqual(['Le envío la [b]factura[/b]', 'hola']);
      const [mine, customer] = a.messages;
      expect(mine).toMatchObject({ id: op.messageId, chat_id: chatId, author_id: 2 });
      expect(mine?.date).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
      const fileIds = mine?.params?.['FILE_ID'] as number[];
      expect(fileIds).toHaveLength(1);
      expect(a.files).toEqual([
        expect.objectContaining({ id: fileIds[0], chatId, name: 'factura.pdf', size: 2048, type: 'file' }),
      ]);
      expect(customer?.params).toEqual({ CONNECTOR_MID: ['g-1'] });
      expect(a.users).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ id: 2, name: 'Bruno Agente', connector: false }),
          expect.objectContaining({ id: customer?.author_id, connector: true }),
        ]),
      );
    });

    it('FIRST_ID: the messages after it, oldest first; LIMIT at most 50; LAST_ID: before it, newest first', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 55; i++) {
        ids.push(
          (await portal.operatorSend({ line: 1, externalChatId: '5215550001', text: `m${i}` })).messageId,
        );
      }
      const after = await read({ DIALOG_ID: `chat${chatId}`, FIRST_ID: ids[9], LIMIT: 3 });
      expect(after.body.result.messages.map((m) => m.text)).toEqual(['m10', 'm11', 'm12']);
      const capped = await read({ CHAT_ID: chatId, FIRST_ID: 0, LIMIT: 500 });
      expect(capped.body.result.messages).toHaveLength(50);
      expect(capped.body.result.messages[0]?.text).toBe('hola');
      const before = await read({ DIALOG_ID: `chat${chatId}`, LAST_ID: ids[3], LIMIT: 2 });
      expect(before.body.result.messages.map((m) => m.text)).toEqual(['m2', 'm1']);
      const defaults = await read({ DIALOG_ID: `chat${chatId}` });
      expect(defaults.body.result.messages).toHaveLength(20);
    });

    it('an event posted to the app without a message in the chat leaves the chat as it was', async () => {
      await rest(portal, 'event.bind', {
        auth: token,
        event: 'OnImConnectorMessageAdd',
        handler: `${app.url}/b24/events`,
      });
      await portal.postEvent({
        event: 'ONIMCONNECTORMESSAGEADD',
        data: {
          CONNECTOR: 'acme_wa',
          LINE: '1',
          MESSAGES: [
            {
              im: { chat_id: String(chatId), message_id: '99999999' },
              message: { user_id: '2', text: 'forged' },
              chat: { id: '5215550001' },
            },
          ],
        },
      });
      const a = (await read({ DIALOG_ID: `chat${chatId}`, FIRST_ID: 0 })).body.result;
      expect(a.messages.map((m) => m.text)).toEqual(['hola']);
    });

    it('edits and deletions show in params; the text of a deleted message is gone', async () => {
      await rest(portal, 'event.bind', {
        auth: token,
        event: 'OnImConnectorMessageAdd',
        handler: `${app.url}/b24/events`,
      });
      const a = await portal.operatorSend({ line: 1, externalChatId: '5215550001', text: 'uno' });
      const b = await portal.operatorSend({ line: 1, externalChatId: '5215550001', text: 'dos' });
      await portal.operatorEdit({ messageId: a.messageId, text: 'uno bis' });
      await portal.operatorDelete({ messageId: b.messageId });
      const got = (await read({ DIALOG_ID: `chat${chatId}`, FIRST_ID: a.messageId - 1 })).body.result;
      expect(got.messages.map((m) => [m.text, m.params])).toEqual([
        ['uno bis', { IS_EDITED: 'Y' }],
        ['', { IS_DELETED: 'Y' }],
      ]);
    });

    it('refuses a missing dialog, a non-numeric FIRST_ID, and a chat it does not know', async () => {
      const none = await read({});
      expect([none.status, (none.body as unknown as { error: string }).error]).toEqual([
        400,
        'DIALOG_ID_EMPTY',
      ]);
      const bad = await read({ DIALOG_ID: `chat${chatId}`, FIRST_ID: 'abc' });
      expect([bad.status, (bad.body as unknown as { error: string }).error]).toEqual([
        400,
        'FIRST_ID_STRING',
      ]);
      const unknown = await read({ DIALOG_ID: 'chat999999' });
      expect([unknown.status, (unknown.body as unknown as { error: string }).error]).toEqual([
        403,
        'ACCESS_ERROR',
      ]);
    });

    it('runs inside batch, one request for several chats', async () => {
      const r = await rest(portal, 'batch', {
        auth: token,
        halt: 0,
        cmd: {
          a: `im.dialog.messages.get?DIALOG_ID=chat${chatId}&FIRST_ID=0&LIMIT=50`,
          b: 'im.dialog.messages.get?DIALOG_ID=chat999999',
        },
      });
      expect(r.status).toBe(200);
      expect(pick(r.body, 'result.result.a.messages.0.text')).toBe('hola');
      expect(pick(r.body, 'result.result_error.b.error')).toBe('ACCESS_ERROR');
    });
  });
});
