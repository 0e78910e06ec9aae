/**
 * Tests the sandbox Bitrix24 portal itself for the SMS provider (reference bitrix24.md §5.9; the
 * parameters, answers and error texts of b24restdocs api-reference/messageservice/*.md) and the
 * contact fields of crm.contact.fields; nothing from src/ is used.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { app, boot, formOf, portal, rest, setup, teardown, token } from './harness.js';

const SENDER = { CODE: 'prov1', TYPE: 'SMS', NAME: { en: 'Provider 1' }, DESCRIPTION: 'Main SMS provider' };

describe('sandbox Bitrix24 portal', () => {
  beforeEach(setup);
  afterEach(teardown);

  describe('§5.9 message provider (b24restdocs messageservice-*.md)', () => {
    it('adds a provider once (ERROR_SENDER_ALREADY_INSTALLED), lists and deletes it; admins only', async () => {
      await boot();
      const add = (p: Record<string, unknown>) =>
        rest(portal, 'messageservice.sender.add', {
          auth: token,
          ...SENDER,
          HANDLER: `${app.url}/sms`,
          ...p,
        });
      expect((await add({})).body).toMatchObject({ result: true });
      const again = await add({});
      expect([again.status, again.body.error]).toEqual([400, 'ERROR_SENDER_ALREADY_INSTALLED']);
      expect((await rest(portal, 'messageservice.sender.list', { auth: token })).body.result).toEqual([
        'prov1',
      ]);
      expect((await add({ CODE: 'bad code' })).body.error_description).toBe('Wrong sender code!');
      expect((await add({ CODE: 'p2', TYPE: 'EMAIL' })).body.error_description).toBe(
        'Unknown sender message TYPE!',
      );
      expect((await add({ CODE: 'p2', NAME: '' })).body.error_description).toBe('Empty sender NAME!');
      const agent = portal.issueTokens({ userId: 2 }).accessToken;
      const denied = await rest(portal, 'messageservice.sender.add', { auth: agent, ...SENDER, CODE: 'p3' });
      expect([denied.status, denied.body.error]).toEqual([403, 'ACCESS_DENIED']);
      expect(
        (await rest(portal, 'messageservice.sender.delete', { auth: token, CODE: 'prov1' })).body,
      ).toMatchObject({
        result: true,
      });
      expect((await rest(portal, 'messageservice.sender.list', { auth: token })).body.result).toEqual([]);
    });

    it('posts a CRM card’s SMS to the handler as a form; status updates are checked and kept', async () => {
      await boot();
      await rest(portal, 'messageservice.sender.add', { auth: token, ...SENDER, HANDLER: `${app.url}/sms` });
      const sms = await portal.sendSms({
        code: 'prov1',
        to: '+48500100200',
        text: 'Zażółć',
        bindings: [{ ownerTypeId: 3, ownerId: 41 }],
      });
      expect(formOf(app.hits.at(-1))).toMatchObject({
        module_id: 'crm',
        bindings: [{ OWNER_TYPE_ID: '3', OWNER_ID: '41' }],
        properties: { phone_number: '+48500100200', message_text: 'Zażółć' },
        type: 'SMS',
        code: 'prov1',
        message_id: sms.messageId,
        message_to: '+48500100200',
        message_body: 'Zażółć',
        auth: { member_id: portal.memberId, application_token: portal.applicationToken },
      });
      const update = (p: Record<string, unknown>) =>
        rest(portal, 'messageservice.message.status.update', { auth: token, CODE: 'prov1', ...p });
      expect((await update({ MESSAGE_ID: sms.messageId, STATUS: 'sent' })).body).toMatchObject({
        result: true,
      });
      expect((await update({ MESSAGE_ID: sms.messageId, STATUS: 'gone' })).body.error).toBe(
        'ERROR_MESSAGE_STATUS_INCORRECT',
      );
      expect((await update({ MESSAGE_ID: 'nope', STATUS: 'sent' })).body.error).toBe(
        'ERROR_MESSAGE_NOT_FOUND',
      );
      expect(portal.smsStatuses(sms.messageId)).toEqual(['sent']);
    });

    it('an automation rule’s SMS carries the workflow and document instead of bindings', async () => {
      await boot();
      await rest(portal, 'messageservice.sender.add', { auth: token, ...SENDER, HANDLER: `${app.url}/sms` });
      await portal.sendSms({ code: 'prov1', to: '48500100200', text: 'x', moduleId: 'bizproc' });
      const form = formOf(app.hits.at(-1));
      expect(form).toMatchObject({
        module_id: 'bizproc',
        document_id: ['crm', 'CCrmDocumentDeal', 'DEAL_1'],
      });
      expect(form['bindings']).toBeUndefined();
    });
  });

  it('crm.contact.fields lists built-in and custom (UF_CRM_…) fields with their labels', async () => {
    await boot();
    const r = await rest<{
      result: Record<string, { type: string; isDynamic: boolean; formLabel?: string }>;
    }>(portal, 'crm.contact.fields', { auth: token });
    expect(r.body.result['UF_CRM_SMS_CONSENT']).toMatchObject({
      type: 'boolean',
      isDynamic: true,
      formLabel: 'Acepta SMS',
    });
    expect(r.body.result['NAME']).toMatchObject({ type: 'string', isDynamic: false });
  });
});
