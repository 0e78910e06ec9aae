/**
 * Tests the sandbox Bitrix24 portal itself against /work/shared/reference/bitrix24.md (section numbers
 * in the test names); nothing from src/ is used.
 * Events in and out (§2.1, §2.2, §4.1–§4.3, §4.5, §4.6, §3.9), operator files (§4.1) and uninstall
 * (§1.8).
 */
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import {
  setup,
  teardown,
  CLIENT_ID,
  CLIENT_SECRET,
  rest,
  oauth,
  formOf,
  pick,
  portal,
  app,
  token,
  refresh,
  boot,
  registerAndActivate,
  customerMessage,
} from './harness.js';

describe('sandbox Bitrix24 portal', () => {
  beforeEach(setup);
  afterEach(teardown);

  describe('events (§2.1, §2.2, §4.1, §3.9)', () => {
    beforeEach(async () => {
      await boot({}, false);
      await registerAndActivate(1);
      await rest(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [customerMessage('hola', 'g-1')],
      });
      app.hits.length = 0;
    });

    it('event.bind: unknown event, duplicate, get, unbind', async () => {
      const handler = `${app.url}/b24/events`;
      const a = await rest(portal, 'event.bind', { auth: token, event: 'OnImConnectorMessageAdd', handler });
      expect(a.body.result).toBe(true);
      const dup = await rest(portal, 'event.bind', {
        auth: token,
        event: 'ONIMCONNECTORMESSAGEADD',
        handler,
      });
      expect([dup.status, dup.body.error]).toEqual([400, 'ERROR_HANDLER_ALREADY_EXIST']);
      const bad = await rest(portal, 'event.bind', { auth: token, event: 'OnNothing', handler });
      expect([bad.status, bad.body.error]).toEqual([400, 'ERROR_EVENT_NOT_FOUND']);
      expect(portal.bindings()).toEqual([{ event: 'ONIMCONNECTORMESSAGEADD', handler }]);
      const got = await rest<{ result: Array<Record<string, unknown>> }>(portal, 'event.get', {
        auth: token,
      });
      expect(got.body.result[0]).toMatchObject({
        event: 'ONIMCONNECTORMESSAGEADD',
        handler,
        auth_type: '0',
        offline: 0,
      });
      const un = await rest<{ result: { count: number } }>(portal, 'event.unbind', {
        auth: token,
        event: 'OnImConnectorMessageAdd',
        handler,
      });
      expect(un.body.result.count).toBe(1);
      expect(portal.bindings()).toEqual([]);
    });

    it('OnImConnectorMessageAdd: only after installFinish, form-encoded with bracket keys, signed text', async () => {
      const handler = `${app.url}/b24/events`;
      await rest(portal, 'event.bind', { auth: token, event: 'OnImConnectorMessageAdd', handler });

      const before = await portal.operatorSend({ line: 1, externalChatId: '5215550001', text: 'antes' });
      expect(before.responses).toEqual([]);
      expect(app.hits).toHaveLength(0);

      portal.finishInstall();
      const sent = await portal.operatorSend({
        line: 1,
        externalChatId: '5215550001',
        text: 'Hola [b]cliente[/b]',
        files: [{ name: 'doc.pdf', type: 'file', link: 'https://disk.example/doc.pdf', size: 1234 }],
      });
      expect(sent.responses).toEqual([{ handler, status: 200 }]);
      const hit = app.hits[0];
      expect(hit?.contentType).toBe('application/x-www-form-urlencoded');
      expect(hit?.raw).toContain('data%5BMESSAGES%5D%5B0%5D%5Bim%5D%5Bchat_id%5D=');
      expect(hit?.raw).toContain('auth%5Bapplication_token%5D=');
      const f = formOf(hit);
      expect(f['event']).toBe('ONIMCONNECTORMESSAGEADD');
      expect(typeof f['event_handler_id']).toBe('string');
      expect(f['ts']).toMatch(/^\d+$/);
      expect(pick(f, 'data.CONNECTOR')).toBe('acme_wa');
      expect(pick(f, 'data.LINE')).toBe('1');
      const m = (pick(f, 'data.MESSAGES') as Array<Record<string, unknown>>)[0];
      expect(pick(m, 'im.chat_id')).toBe(String(sent.chatId));
      expect(pick(m, 'im.message_id')).toBe(String(sent.messageId));
      expect(pick(m, 'message.user_id')).toBe('2');
      expect(pick(m, 'message.text')).toBe('[b]Bruno Agente:[/b][br] Hola [b]cliente[/b]');
      expect(pick(m, 'message.files')).toEqual([
        { name: 'doc.pdf', type: 'file', link: 'https://disk.example/doc.pdf', size: '1234' },
      ]);
      expect(pick(m, 'chat.id')).toBe('5215550001');
      const auth = f['auth'] as Record<string, unknown>;
      expect(auth['application_token']).toBe(portal.applicationToken);
      expect(auth['member_id']).toBe(portal.memberId);
      expect(auth['domain']).toBe(portal.domain);
      expect(auth['user_id']).toBe('2');
      for (const v of Object.values(auth)) expect(typeof v).toBe('string');
      // the event's token works for REST
      expect((await rest(portal, 'profile', { auth: String(auth['access_token']) })).status).toBe(200);

      const plain = await portal.operatorSend({
        line: 1,
        externalChatId: '5215550001',
        text: 'sin firma',
        signature: false,
      });
      expect(pick((pick(formOf(app.hits[1]), 'data.MESSAGES') as unknown[])[0], 'message.text')).toBe(
        'sin firma',
      );
      expect(plain.chatId).toBe(sent.chatId);
      expect(portal.messages({ author: 'operator' }).map((x) => x.text)).toEqual([
        'antes',
        'Hola [b]cliente[/b]',
        'sin firma',
      ]);
    });

    it('send.status.delivery needs message.id as an array; marks delivered and stores connectorMid', async () => {
      await rest(portal, 'event.bind', {
        auth: token,
        event: 'OnImConnectorMessageAdd',
        handler: `${app.url}/b24/events`,
      });
      portal.finishInstall();
      const sent = await portal.operatorSend({ line: 1, externalChatId: '5215550001', text: 'hola' });
      const el = (id: unknown) => ({
        im: { chat_id: sent.chatId, message_id: sent.messageId },
        message: { id, date: 1773760000 },
        chat: { id: '5215550001' },
      });
      const bad = await rest<{ result: { SUCCESS: boolean } }>(portal, 'imconnector.send.status.delivery', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [el('wamid.1')],
      });
      expect(bad.body.result.SUCCESS).toBe(false);
      expect(portal.messages({ author: 'operator' })[0]?.delivered).toBe(false);
      const good = await rest<{ result: { SUCCESS: boolean; DATA: unknown } }>(
        portal,
        'imconnector.send.status.delivery',
        { auth: token, CONNECTOR: 'acme_wa', LINE: 1, MESSAGES: [el(['wamid.1'])] },
        { form: true },
      );
      expect(good.body.result).toEqual({ SUCCESS: true, DATA: [] });
      expect(portal.messages({ author: 'operator' })[0]).toMatchObject({
        delivered: true,
        connectorMid: ['wamid.1'],
      });
      const reading = await rest<{ result: { SUCCESS: boolean } }>(
        portal,
        'imconnector.send.status.reading',
        { auth: token, CONNECTOR: 'acme_wa', LINE: 1, MESSAGES: [el(['wamid.1'])] },
      );
      expect(reading.body.result.SUCCESS).toBe(true);
    });

    it('OnImConnectorMessageUpdate/Delete go out only for acknowledged messages, shaped per §4.2/§4.3', async () => {
      const handler = `${app.url}/b24/events`;
      for (const event of ['OnImConnectorMessageUpdate', 'OnImConnectorMessageDelete']) {
        await rest(portal, 'event.bind', { auth: token, event, handler });
      }
      portal.finishInstall();
      const unacked = await portal.operatorSend({ line: 1, externalChatId: '5215550001', text: 'uno' });
      expect(await portal.operatorEdit({ messageId: unacked.messageId, text: 'uno bis' })).toEqual([]);
      expect(app.hits).toHaveLength(0);
      expect(portal.messages({ author: 'operator' })[0]?.text).toBe('uno bis');

      const sent = await portal.operatorSend({ line: 1, externalChatId: '5215550001', text: 'dos' });
      await rest(portal, 'imconnector.send.status.delivery', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [
          {
            im: { chat_id: sent.chatId, message_id: sent.messageId },
            message: { id: ['gs-1', 'gs-2'], date: 1773760000 },
            chat: { id: '5215550001' },
          },
        ],
      });
      expect(await portal.operatorEdit({ messageId: sent.messageId, text: 'dos bis' })).toEqual([
        { handler, status: 200 },
      ]);
      const upd = formOf(app.hits[0]);
      expect(upd['event']).toBe('ONIMCONNECTORMESSAGEUPDATE');
      const um = (pick(upd, 'data.MESSAGES') as Array<Record<string, unknown>>)[0];
      expect(pick(um, 'im.message_id')).toBe(String(sent.messageId));
      expect(pick(um, 'message.id')).toEqual(['gs-1', 'gs-2']);
      expect(pick(um, 'message.text')).toBe('[b]Bruno Agente:[/b][br] dos bis');
      expect(pick(um, 'chat.id')).toBe('5215550001');

      expect(await portal.operatorDelete({ messageId: sent.messageId })).toEqual([{ handler, status: 200 }]);
      const del = formOf(app.hits[1]);
      expect(del['event']).toBe('ONIMCONNECTORMESSAGEDELETE');
      const dm = pick(del, 'data.MESSAGES') as Array<Record<string, unknown>>;
      // one element per stored external id, message.id a string
      expect(dm.map((x) => pick(x, 'message.id'))).toEqual(['gs-1', 'gs-2']);
      expect(portal.messages({ author: 'operator' }).map((x) => x.text)).toEqual(['uno bis']);
    });

    it('serves operator files at link (public or private) and downloadLink (auth= required)', async () => {
      const pub = portal.addFile({ name: 'a b.png', contentType: 'image/png', data: Buffer.from('png') });
      const priv = portal.addFile({
        name: 'c.pdf',
        contentType: 'application/pdf',
        data: Buffer.from('pdf'),
        linkRequiresAuth: true,
      });
      expect(pub).toMatchObject({ name: 'a b.png', type: 'image', size: 3, mime: 'image/png' });
      expect(pub.downloadLink).toMatch(/^\/rest\/download\.json\?token=/);
      const get = async (u: string) => {
        const r = await fetch(u);
        return [r.status, r.status === 200 ? await r.text() : ''];
      };
      expect(await get(pub.link)).toEqual([200, 'png']);
      expect(await get(priv.link)).toEqual([401, '']);
      expect(await get(`${priv.link}?auth=${token}`)).toEqual([200, 'pdf']);
      expect(await get(`${portal.url}${pub.downloadLink ?? ''}`)).toEqual([401, '']);
      expect(await get(`${portal.url}${pub.downloadLink ?? ''}&auth=${token}`)).toEqual([200, 'png']);
      portal.expireAccessTokens();
      expect(await get(`${priv.link}?auth=${token}`)).toEqual([401, '']);
      expect(portal.fileRequests().map((r) => [r.status, r.withAuth])).toEqual([
        [200, false],
        [401, false],
        [200, true],
        [401, false],
        [200, true],
        [401, true],
      ]);
    });

    it('§4.5/§4.6: a deleted line sends OnImConnectorLineDelete with the bare line id; a connector switched off sends OnImConnectorStatusDelete {connector, line}', async () => {
      const handler = `${app.url}/b24/events`;
      for (const event of ['OnImConnectorLineDelete', 'OnImConnectorStatusDelete']) {
        await rest(portal, 'event.bind', { auth: token, event, handler });
      }
      await registerAndActivate(2);
      // Nothing goes out before installFinish (§1.4), but the connector is off all the same.
      expect(await portal.disableConnector({ line: 2, connector: 'acme_wa' })).toEqual([]);
      expect(portal.lineStatus(2, 'acme_wa').active).toBe(false);
      await registerAndActivate(2);
      portal.finishInstall();

      expect(await portal.disableConnector({ line: 2, connector: 'acme_wa' })).toEqual([
        { handler, status: 200 },
      ]);
      const off = formOf(app.hits[0]);
      expect(off['event']).toBe('ONIMCONNECTORSTATUSDELETE');
      expect(off['data']).toEqual({ connector: 'acme_wa', line: '2' });
      expect(pick(off, 'auth.application_token')).toBe(portal.applicationToken);
      const status = await rest<{ result: Record<string, unknown> }>(portal, 'imconnector.status', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 2,
      });
      expect(status.body.result).toMatchObject({ CONFIGURED: false, STATUS: false });

      expect(await portal.deleteLine({ line: 1 })).toEqual([{ handler, status: 200 }]);
      const gone = formOf(app.hits[1]);
      expect([gone['event'], gone['data']]).toEqual(['ONIMCONNECTORLINEDELETE', '1']);
      expect(app.hits[1]?.raw).toContain('&data=1&');
      expect(portal.lineStatus(1, 'acme_wa').active).toBe(false);
      const line = await rest(portal, 'imopenlines.config.get', { auth: token, CONFIG_ID: 1 });
      expect([line.status, line.body.error]).toEqual([400, 'CONFIG_NOT_FOUND']);
    });

    it('postEvent forges events with auth overrides; uninstall sends ONAPPUNINSTALL without tokens and revokes everything', async () => {
      const handler = `${app.url}/b24/events`;
      await rest(portal, 'event.bind', { auth: token, event: 'OnAppUninstall', handler });
      portal.finishInstall();
      const forged = await portal.postEvent({
        event: 'OnImConnectorMessageAdd',
        data: { CONNECTOR: 'acme_wa', LINE: 1 },
        handler,
        auth: { application_token: 'forged', access_token: undefined },
      });
      expect(forged).toEqual([{ handler, status: 200, body: 'ok' }]);
      const ff = formOf(app.hits[0]);
      expect(pick(ff, 'auth.application_token')).toBe('forged');
      expect(pick(ff, 'auth.access_token')).toBeUndefined();

      const appToken = portal.applicationToken;
      const r = await portal.uninstallApp({ clean: true });
      expect(r).toEqual([{ handler, status: 200 }]);
      const f = formOf(app.hits[1]);
      expect(f['event']).toBe('ONAPPUNINSTALL');
      expect(pick(f, 'data.CLEAN')).toBe('1');
      expect(pick(f, 'auth.application_token')).toBe(appToken);
      expect(pick(f, 'auth.access_token')).toBeUndefined();
      expect(pick(f, 'auth.refresh_token')).toBeUndefined();
      expect(portal.isInstalled()).toBe(false);
      expect(portal.applicationToken).toBe('');
      expect(portal.bindings()).toEqual([]);
      expect(portal.connectors()).toEqual([]);
      expect(portal.lineStatus(1, 'acme_wa').active).toBe(false);
      expect((await rest(portal, 'profile', { auth: token })).status).toBe(401);
      const ref = await oauth(portal, {
        grant_type: 'refresh_token',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        refresh_token: refresh,
      });
      expect(ref.body['error']).toBe('invalid_grant');
    });
  });
});
