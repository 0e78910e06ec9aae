/**
 * Tests the sandbox Bitrix24 portal itself for what sending templates uses (reference bitrix24.md
 * §5.9, and beyond it b24restdocs bizproc-robot/*.md, crm-deal-contact-items-get.md,
 * imopenlines-crm-message-add.md); nothing from src/ is used.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  app,
  boot,
  customerMessage,
  formOf,
  portal,
  registerAndActivate,
  rest,
  setup,
  teardown,
  token,
} from './harness.js';

const ROBOT = {
  CODE: 'send_tpl',
  NAME: { en: 'Send template' },
  USE_SUBSCRIPTION: 'Y',
  PROPERTIES: { phone: { Name: 'Phone', Type: 'string' } },
  RETURN_PROPERTIES: { sent: { Name: 'Sent', Type: 'bool' } },
};

describe('sandbox Bitrix24 portal', () => {
  beforeEach(setup);
  afterEach(teardown);

  describe('§5.9 automation rules (b24restdocs bizproc-robot-*.md)', () => {
    it('adds a robot once (ERROR_ACTIVITY_ALREADY_INSTALLED), updates and lists it', async () => {
      await boot();
      const add = (p: Record<string, unknown>) => rest(portal, 'bizproc.robot.add', { auth: token, ...p });
      expect((await add({ ...ROBOT, HANDLER: `${app.url}/robot` })).body).toMatchObject({ result: true });
      const again = await add({ ...ROBOT, HANDLER: `${app.url}/robot` });
      expect(again.status).toBe(400);
      expect(again.body.error).toBe('ERROR_ACTIVITY_ALREADY_INSTALLED');
      const upd = await rest(portal, 'bizproc.robot.update', {
        auth: token,
        CODE: 'send_tpl',
        FIELDS: { HANDLER: `${app.url}/robot2` },
      });
      expect(upd.body).toMatchObject({ result: true });
      expect((await rest(portal, 'bizproc.robot.list', { auth: token })).body.result).toEqual(['send_tpl']);
      expect(portal.robots()[0]?.fields['HANDLER']).toBe(`${app.url}/robot2`);
      const missing = await rest(portal, 'bizproc.robot.update', {
        auth: token,
        CODE: 'nope',
        FIELDS: { NAME: 'x' },
      });
      expect(missing.body.error).toBe('ERROR_ACTIVITY_NOT_FOUND');
    });

    it('validates code, handler, name and property keys as the page lists', async () => {
      await boot();
      const add = (p: Record<string, unknown>) =>
        rest(portal, 'bizproc.robot.add', { auth: token, ...ROBOT, HANDLER: `${app.url}/robot`, ...p });
      expect((await add({ CODE: 'bad code' })).body.error_description).toBe('Wrong activity code!');
      expect((await add({ HANDLER: 'ftp://x/robot' })).body.error).toBe('ERROR_UNSUPPORTED_PROTOCOL');
      expect((await add({ HANDLER: 'https://elsewhere.example/robot' })).body.error).toBe(
        'ERROR_WRONG_HANDLER_URL',
      );
      expect((await add({ NAME: '' })).body.error_description).toBe('Empty activity NAME!');
      expect((await add({ PROPERTIES: { '1phone': { Name: 'x' } } })).body.error_description).toBe(
        'Wrong property key 1phone!',
      );
      expect((await add({ PROPERTIES: { phone: { Type: 'string' } } })).body.error_description).toBe(
        'Empty property NAME phone!',
      );
      const agent = portal.issueTokens({ userId: 2 }).accessToken;
      const denied = await rest(portal, 'bizproc.robot.add', {
        auth: agent,
        ...ROBOT,
        HANDLER: `${app.url}/robot`,
      });
      expect(denied.body.error).toBe('ACCESS_DENIED');
    });

    it('posts a workflow’s call to the handler and takes one answer per event token', async () => {
      await boot();
      await rest(portal, 'bizproc.robot.add', { auth: token, ...ROBOT, HANDLER: `${app.url}/robot` });
      const call = await portal.invokeRobot({
        code: 'send_tpl',
        properties: { phone: '+5491100000001', params: ['a', 'b'] },
        document: ['crm', 'CCrmDocumentLead', 'LEAD_7'],
      });
      const form = formOf(app.hits.at(-1));
      expect(form).toMatchObject({
        event_token: call.eventToken,
        code: 'send_tpl',
        document_id: ['crm', 'CCrmDocumentLead', 'LEAD_7'],
        properties: { phone: '+5491100000001', params: ['a', 'b'] },
        use_subscription: 'Y',
        auth: { member_id: portal.memberId, application_token: portal.applicationToken },
      });
      const answer = await rest(portal, 'bizproc.event.send', {
        auth: token,
        EVENT_TOKEN: call.eventToken,
        RETURN_VALUES: { sent: 'Y' },
        LOG_MESSAGE: 'ok',
      });
      expect(answer.body).toMatchObject({ result: true });
      expect(portal.robotAnswers()).toEqual([
        expect.objectContaining({
          eventToken: call.eventToken,
          returnValues: { sent: 'Y' },
          logMessage: 'ok',
        }),
      ]);
      const unknown = await rest(portal, 'bizproc.event.send', { auth: token, EVENT_TOKEN: 'never-issued' });
      expect(unknown.status).toBe(400);
    });
  });

  describe('CRM cards and chats (beyond the reference: b24restdocs pages)', () => {
    it('crm.deal.contact.items.get lists a deal’s contacts, the first primary', async () => {
      await boot();
      const a = portal.addCrmContact({ name: 'A', phone: '+5491100000001', assignedById: 1 });
      const b = portal.addCrmContact({ name: 'B', phone: '+5491100000002', assignedById: 1 });
      const deal = portal.addCrmDeal({ title: 'Deal', contactIds: [a, b] });
      const r = await rest<{ result: Array<Record<string, unknown>> }>(portal, 'crm.deal.contact.items.get', {
        auth: token,
        id: deal,
      });
      expect(r.body.result).toEqual([
        { CONTACT_ID: a, SORT: 10, ROLE_ID: 0, IS_PRIMARY: 'Y' },
        { CONTACT_ID: b, SORT: 20, ROLE_ID: 0, IS_PRIMARY: 'N' },
      ]);
      expect(
        (await rest(portal, 'crm.deal.contact.items.get', { auth: token, id: 99 })).body.error_description,
      ).toBe('Not found.');
    });

    it('imopenlines.crm.message.add posts as the user into a chat bound to the record only', async () => {
      await boot();
      await registerAndActivate(1);
      type R = { result: { DATA: { RESULT: Array<{ session: { CHAT_ID: string } }> } } };
      const sent = await rest<R>(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [customerMessage('hola', 'g-1')],
      });
      const chatId = Number(sent.body.result.DATA.RESULT[0]?.session.CHAT_ID);
      const params = {
        auth: token,
        CRM_ENTITY_TYPE: 'lead',
        CRM_ENTITY: 301,
        USER_ID: 2,
        CHAT_ID: chatId,
        MESSAGE: 'hi',
      };
      expect((await rest(portal, 'imopenlines.crm.message.add', params)).body.error).toBe('CHAT_NOT_IN_CRM');
      portal.bindChatToCrm({ chatId, entity: 'LEAD', id: 301 });
      const ok = await rest<{ result: number }>(portal, 'imopenlines.crm.message.add', params);
      expect(typeof ok.body.result).toBe('number');
      expect(portal.chatLines(chatId).at(-1)).toMatchObject({ text: 'hi', byUserId: 2, system: false });
      expect((await rest(portal, 'imopenlines.crm.message.add', { ...params, MESSAGE: '' })).body.error).toBe(
        'ERROR_ARGUMENT',
      );
    });
  });
});
