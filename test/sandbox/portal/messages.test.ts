/**
 * Tests the sandbox Bitrix24 portal itself against /work/shared/reference/bitrix24.md (section numbers
 * in the test names); nothing from src/ is used.
 * The connector's messages and files (§3.7, §3.8).
 */
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import {
  setup,
  teardown,
  rest,
  pick,
  portal,
  app,
  token,
  boot,
  registerAndActivate,
  customerMessage,
} from './harness.js';

describe('sandbox Bitrix24 portal', () => {
  beforeEach(setup);
  afterEach(teardown);

  describe('imconnector.send.messages (§3.7)', () => {
    beforeEach(async () => {
      await boot();
      await registerAndActivate(1);
    });

    it('validates CONNECTOR/LINE/MESSAGES and the line', async () => {
      const noLine = await rest(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        MESSAGES: [customerMessage('hi', 'm1')],
      });
      expect([noLine.status, noLine.body.error]).toEqual([400, 'ERROR_ARGUMENT']);
      const noMsgs = await rest(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [],
      });
      expect([noMsgs.status, noMsgs.body.error]).toEqual([400, 'ERROR_ARGUMENT']);
      const noChat = await rest(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [{ user: { id: '1' }, message: { text: 'x' } }],
      });
      expect([noChat.status, noChat.body.error]).toEqual([400, 'ERROR_ARGUMENT']);
      const inactive = await rest(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 2,
        MESSAGES: [customerMessage('hi', 'm1')],
      });
      expect([inactive.status, inactive.body.error]).toEqual([400, 'NOT_ACTIVE_LINE']);
      const wrongConn = await rest(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'zzz',
        LINE: 1,
        MESSAGES: [customerMessage('hi', 'm1')],
      });
      expect(wrongConn.body.error).toBe('IMCONNECTOR_NO_CORRECT_PROVIDER');
      expect(portal.messages()).toHaveLength(0);
    });

    it('per-element SUCCESS/ERRORS, session per USER_CODE, case-insensitive keys, files recorded', async () => {
      type R = { result: { SUCCESS: boolean; DATA: { RESULT: Array<Record<string, unknown>> } } };
      const r = await rest<R>(portal, 'imconnector.send.messages', {
        auth: token,
        connector: 'ACME_WA',
        line: '1',
        MESSAGES: [
          customerMessage('hola', 'g-1'),
          {
            USER: { ID: '5215550001' },
            MESSAGE: { ID: 'g-2', FILES: [{ URL: 'https://media.example/p.jpg', NAME: 'p.jpg' }] },
            CHAT: { ID: '5215550001', URL: 'https://wa.me/5215550001' },
          },
          { user: { id: '5215550001' }, message: { id: 'g-3' }, chat: { id: '5215550001' } },
          customerMessage('otro cliente', 'g-4', '5215550002'),
        ],
      });
      expect(r.status).toBe(200);
      const res = r.body.result.DATA.RESULT;
      expect(r.body.result.SUCCESS).toBe(false);
      expect(res.map((x) => x['SUCCESS'])).toEqual([true, true, false, true]);
      expect(res[2]?.['ERRORS']).toEqual(expect.arrayContaining([expect.any(String)]));
      const s0 = res[0]?.['session'] as { ID: string; CHAT_ID: string };
      const s1 = res[1]?.['session'] as { ID: string; CHAT_ID: string };
      const s3 = res[3]?.['session'] as { ID: string; CHAT_ID: string };
      expect(s0.CHAT_ID).toBe(s1.CHAT_ID);
      expect(s0.CHAT_ID).not.toBe(s3.CHAT_ID);
      expect(typeof s0.ID).toBe('string');
      expect(typeof res[0]?.['user']).toBe('string');
      expect(pick(res[1], 'chat.description')).toContain('https://wa.me/5215550001');

      const msgs = portal.messages({ line: 1, author: 'customer' });
      expect(msgs).toHaveLength(3);
      expect(msgs[0]).toMatchObject({
        text: 'hola',
        connectorMid: ['g-1'],
        externalChatId: '5215550001',
        chatId: Number(s0.CHAT_ID),
        date: 1773265993,
      });
      expect(msgs[1]?.files).toHaveLength(1);
      expect(msgs[1]?.files[0]).toMatchObject({ url: 'https://media.example/p.jpg', name: 'p.jpg' });
      // §3.7: the portal downloads each file url at call time; this host does not exist.
      expect(msgs[1]?.files[0]?.download?.status).toBeNull();
      expect(portal.downloads().map((d) => d.url)).toEqual(['https://media.example/p.jpg']);

      // a second call keeps the same chat for the same USER_CODE
      const again = await rest<R>(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [customerMessage('más', 'g-5')],
      });
      expect(pick(again.body.result.DATA.RESULT[0], 'session.CHAT_ID')).toBe(s0.CHAT_ID);
    });

    it('works form-encoded with bracket keys (§1.5)', async () => {
      const r = await rest<{ result: { SUCCESS: boolean } }>(
        portal,
        'imconnector.send.messages',
        {
          auth: token,
          CONNECTOR: 'acme_wa',
          LINE: 1,
          MESSAGES: [
            {
              user: { id: 'u1' },
              message: { id: 'f1', text: 'form', files: [{ url: 'https://x/y.pdf', name: 'y.pdf' }] },
              chat: { id: 'u1' },
            },
          ],
        },
        { form: true },
      );
      expect(r.body.result.SUCCESS).toBe(true);
      expect(portal.messages()[0]).toMatchObject({
        text: 'form',
        files: [{ url: 'https://x/y.pdf', name: 'y.pdf' }],
      });
    });

    it('update.messages finds by message.id in the chat; delete.messages removes (§3.8)', async () => {
      await rest(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [customerMessage('v1', 'g-1')],
      });
      type R = { result: { SUCCESS: boolean; DATA: { RESULT: Array<Record<string, unknown>> } } };
      const up = await rest<R>(portal, 'imconnector.update.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [customerMessage('v2', 'g-1'), customerMessage('zz', 'nope')],
      });
      expect(up.body.result.DATA.RESULT.map((x) => x['SUCCESS'])).toEqual([true, false]);
      expect(up.body.result.DATA.RESULT[1]?.['ERRORS']).toEqual([expect.stringContaining('nope')]);
      expect(up.body.result.DATA.RESULT[0]).not.toHaveProperty('session');
      expect(portal.messages()[0]).toMatchObject({ text: 'v2', updatedTimes: 1 });

      const del = await rest<R>(portal, 'imconnector.delete.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [{ user: { id: '5215550001' }, message: { id: 'g-1' }, chat: { id: '5215550001' } }],
      });
      expect(del.body.result.DATA.RESULT[0]).toMatchObject({
        SUCCESS: true,
        message: { id: 'g-1' },
        chat: { id: '5215550001' },
      });
      expect(portal.messages()).toHaveLength(0);
    });
  });

  describe('files sent by the connector (§3.7)', () => {
    beforeEach(async () => {
      await boot();
      await registerAndActivate(1);
    });

    it('downloads each file url at call time and records what it got', async () => {
      const url = `${app.url}/media/abc?exp=1&sig=x`;
      const r = await rest<{ result: { SUCCESS: boolean } }>(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [
          {
            user: { id: '5215550001' },
            message: { id: 'g-1', text: 'foto', files: [{ url, name: 'foto.png' }] },
            chat: { id: '5215550001' },
          },
        ],
      });
      expect(r.body.result.SUCCESS).toBe(true);
      expect(app.hits.map((h) => h.url).filter((u) => u.startsWith('/media/'))).toEqual([
        '/media/abc?exp=1&sig=x',
      ]);
      const [m] = portal.messages({ author: 'customer' });
      expect(m?.files[0]).toMatchObject({ url, name: 'foto.png' });
      expect(m?.files[0]?.download).toMatchObject({ url, status: 200, bytes: 2, contentType: 'text/plain' });
    });
  });
});
