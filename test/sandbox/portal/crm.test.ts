/**
 * Tests the sandbox Bitrix24 portal itself against /work/shared/reference/bitrix24.md (section numbers
 * in the test names); nothing from src/ is used.
 * CRM lookup by phone, contacts and records linked to them, chats bound to CRM records, and chat
 * transfer (beyond the reference: b24restdocs pages).
 */
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import {
  setup,
  teardown,
  rest,
  portal,
  token,
  boot,
  registerAndActivate,
  customerMessage,
} from './harness.js';

describe('sandbox Bitrix24 portal', () => {
  beforeEach(setup);
  afterEach(teardown);

  /** crm.contact.get / crm.lead.get: the record read back. */
  const getRecord = async (method: string, id: number) =>
    (await rest<{ result: Record<string, unknown> }>(portal, method, { auth: token, id })).body.result;

  /** A customer's first message on line 1 through our connector; the open-line chat's id. */
  const openChat = async () => {
    await registerAndActivate(1);
    type R = { result: { DATA: { RESULT: Array<{ session: { CHAT_ID: string } }> } } };
    const sent = await rest<R>(portal, 'imconnector.send.messages', {
      auth: token,
      CONNECTOR: 'acme_wa',
      LINE: 1,
      MESSAGES: [customerMessage('hola', 'g-1')],
    });
    return Number(sent.body.result.DATA.RESULT[0]?.session.CHAT_ID);
  };

  describe('CRM lookup by phone and chat transfer (beyond the reference: b24restdocs pages)', () => {
    beforeEach(async () => {
      await boot({
        users: [
          { ID: 1, NAME: 'Ana', LAST_NAME: 'Admin', ADMIN: true },
          { ID: 2, NAME: 'Bruno', LAST_NAME: 'Agente', ADMIN: false },
          { ID: 3, NAME: 'Carla', LAST_NAME: 'Gómez', ADMIN: false },
        ],
        lines: [
          { ID: 1, LINE_NAME: 'Ventas', QUEUE: [1, 2] },
          { ID: 2, LINE_NAME: 'Soporte' },
        ],
      });
    });

    it('crm.duplicate.findbycomm finds contacts and leads by phone whatever the formatting; nothing found is []', async () => {
      const contact = portal.addCrmContact({ name: 'Asha', phone: '+52 155 5000 1', assignedById: 2 });
      const lead = await rest<{ result: number }>(portal, 'crm.lead.add', {
        auth: token,
        fields: { TITLE: 'x', PHONE: [{ VALUE: '+5215550001', VALUE_TYPE: 'WORK' }] },
      });
      const both = await rest<{ result: Record<string, number[]> }>(portal, 'crm.duplicate.findbycomm', {
        auth: token,
        type: 'PHONE',
        values: ['+5215550001'],
      });
      expect(both.body.result).toEqual({ LEAD: [lead.body.result], CONTACT: [contact] });
      const onlyContacts = await rest<{ result: Record<string, number[]> }>(
        portal,
        'crm.duplicate.findbycomm',
        { auth: token, type: 'PHONE', values: ['5215550001'], entity_type: 'CONTACT' },
        { form: true },
      );
      expect(onlyContacts.body.result).toEqual({ CONTACT: [contact] });
      const none = await rest(portal, 'crm.duplicate.findbycomm', {
        auth: token,
        type: 'PHONE',
        values: ['+5215559999'],
      });
      expect(none.body.result).toEqual([]);
      const noType = await rest(portal, 'crm.duplicate.findbycomm', { auth: token, values: ['1'] });
      expect([noType.status, noType.body.error]).toEqual([400, 'Communication type is not defined']);
      const noValues = await rest(portal, 'crm.duplicate.findbycomm', { auth: token, type: 'PHONE' });
      expect([noValues.status, noValues.body.error]).toEqual([400, 'Communication values is not defined']);
    });

    it('crm.contact.get / crm.lead.get give the record with string ids and ASSIGNED_BY_ID; missing → 400', async () => {
      const id = portal.addCrmContact({ name: 'Asha', phone: '+5215550001', assignedById: 3 });
      expect(await getRecord('crm.contact.get', id)).toMatchObject({
        ID: String(id),
        ASSIGNED_BY_ID: '3',
        HAS_PHONE: 'Y',
        PHONE: [{ VALUE: '+5215550001', TYPE_ID: 'PHONE' }],
      });
      const lead = await rest<{ result: number }>(portal, 'crm.lead.add', {
        auth: token,
        fields: { TITLE: 'x', ASSIGNED_BY_ID: 2 },
      });
      const l = await rest<{ result: Record<string, unknown> }>(portal, 'crm.lead.get', {
        auth: token,
        ID: lead.body.result,
      });
      expect(l.body.result).toMatchObject({
        ID: String(lead.body.result),
        ASSIGNED_BY_ID: '2',
        HAS_PHONE: 'N',
      });
      expect(l.body.result['PHONE']).toBeUndefined();
      const missing = await rest(portal, 'crm.contact.get', { auth: token, id: 999 });
      expect([missing.status, missing.body.error_description]).toEqual([400, 'Not found']);
      const bad = await rest(portal, 'crm.lead.get', { auth: token });
      expect([bad.status, bad.body.error_description]).toEqual([400, 'ID is not defined or invalid.']);
    });

    it('crm.contact.add stores the name and PHONE multifield, found by phone and read back; fields not an object → 400', async () => {
      const made = await rest<{ result: number }>(portal, 'crm.contact.add', {
        auth: token,
        fields: { NAME: 'Asha', PHONE: [{ VALUE: '+5215550002', VALUE_TYPE: 'WORK' }], ASSIGNED_BY_ID: 3 },
      });
      expect(made.status).toBe(200);
      expect(typeof made.body.result).toBe('number');
      const found = await rest<{ result: Record<string, number[]> }>(portal, 'crm.duplicate.findbycomm', {
        auth: token,
        type: 'PHONE',
        values: ['5215550002'],
      });
      expect(found.body.result).toEqual({ CONTACT: [made.body.result] });
      expect(await getRecord('crm.contact.get', made.body.result)).toMatchObject({
        ID: String(made.body.result),
        NAME: 'Asha',
        ASSIGNED_BY_ID: '3',
        PHONE: [{ VALUE: '+5215550002', VALUE_TYPE: 'WORK', TYPE_ID: 'PHONE' }],
      });
      // Form-encoded, as PHP parses it; the responsible defaults to the calling user (the admin, 1).
      const form = await rest<{ result: number }>(
        portal,
        'crm.contact.add',
        {
          auth: token,
          fields: { NAME: 'Luis', PHONE: { n0: { VALUE: '+5215550003', VALUE_TYPE: 'MOBILE' } } },
        },
        { form: true },
      );
      expect(form.body.result).toBe(made.body.result + 1);
      expect(portal.crmContacts().at(-1)?.fields).toMatchObject({ NAME: 'Luis', ASSIGNED_BY_ID: 1 });
      const noFields = await rest(portal, 'crm.contact.add', { auth: token, fields: 'Asha' });
      expect([noFields.status, noFields.body.error, noFields.body.error_description]).toEqual([
        400,
        '',
        "Parameter 'fields' must be array.",
      ]);
      const nobody = await rest(portal, 'crm.contact.add', {
        auth: token,
        fields: { NAME: 'x', ASSIGNED_BY_ID: 99 },
      });
      expect([nobody.status, nobody.body.error]).toEqual([400, 'ERROR_CORE']);
      expect(portal.crmContacts()).toHaveLength(2);
    });

    it('crm.lead.add keeps CONTACT_ID and crm.deal.add CONTACT_IDS: the records are linked to the contact', async () => {
      const contact = portal.addCrmContact({ name: 'Asha', phone: '+5215550004', assignedById: 2 });
      const lead = await rest<{ result: number }>(portal, 'crm.lead.add', {
        auth: token,
        fields: { TITLE: 'WhatsApp: Asha', CONTACT_ID: contact },
      });
      const deal = await rest<{ result: number }>(portal, 'crm.deal.add', {
        auth: token,
        fields: { TITLE: 'WhatsApp: Asha', CATEGORY_ID: 1, CONTACT_IDS: [contact] },
      });
      expect(portal.crmRecords()).toEqual([
        { entity: 'lead', id: lead.body.result, fields: { TITLE: 'WhatsApp: Asha', CONTACT_ID: contact } },
        {
          entity: 'deal',
          id: deal.body.result,
          fields: { TITLE: 'WhatsApp: Asha', CATEGORY_ID: 1, CONTACT_IDS: [contact] },
        },
      ]);
    });

    it('imopenlines.crm.chat.get lists the chats bound to a record, CHAT_ID as a string; none is []; bad arguments are ERROR_ARGUMENT', async () => {
      const chatId = await openChat();
      const deal = await rest<{ result: number }>(portal, 'crm.deal.add', {
        auth: token,
        fields: { TITLE: 'd' },
      });
      const ask = (p: Record<string, unknown>) =>
        rest<{ result: unknown[] }>(portal, 'imopenlines.crm.chat.get', { auth: token, ...p });
      // Nothing binds a chat over REST: before an agent links it, the record has no chat.
      expect((await ask({ CRM_ENTITY_TYPE: 'deal', CRM_ENTITY: deal.body.result })).body.result).toEqual([]);
      portal.bindChatToCrm({ chatId, entity: 'DEAL', id: deal.body.result });
      const bound = await ask({ CRM_ENTITY_TYPE: 'deal', CRM_ENTITY: deal.body.result, ACTIVE_ONLY: 'N' });
      expect(bound.body.result).toEqual([
        { CHAT_ID: String(chatId), CONNECTOR_ID: 'acme_wa', CONNECTOR_TITLE: 'Acme WhatsApp' },
      ]);
      const form = await ask({ CRM_ENTITY_TYPE: 'DEAL', CRM_ENTITY: String(deal.body.result) });
      expect(form.body.result).toHaveLength(1);
      expect((await ask({ CRM_ENTITY_TYPE: 'lead', CRM_ENTITY: deal.body.result })).body.result).toEqual([]);
      for (const [p, description] of [
        [{ CRM_ENTITY: 1 }, "Argument 'CRM_ENTITY_TYPE' is null or empty"],
        [{ CRM_ENTITY_TYPE: 'deal' }, "Argument 'CRM_ENTITY' is null or empty"],
        // The page's own warning: the parameter is CRM_ENTITY, not CRM_ENTITY_ID.
        [{ CRM_ENTITY_TYPE: 'deal', CRM_ENTITY_ID: 5 }, "Argument 'CRM_ENTITY' is null or empty"],
        [
          { CRM_ENTITY_TYPE: 'deal', CRM_ENTITY: 'abc' },
          "The value of an argument 'CRM_ENTITY' has an invalid type",
        ],
      ] as const) {
        const r = await ask(p);
        expect([r.status, r.body.error, r.body.error_description]).toEqual([
          400,
          'ERROR_ARGUMENT',
          description,
        ]);
      }
    });

    it('imopenlines.operator.transfer hands a chat to an operator of its line or to a queue; others are OPERATOR_WRONG', async () => {
      const chatId = await openChat();
      const ok = await rest(portal, 'imopenlines.operator.transfer', {
        auth: token,
        CHAT_ID: chatId,
        TRANSFER_ID: 2,
      });
      expect([ok.status, ok.body.result]).toEqual([200, true]);
      const queue = await rest(portal, 'imopenlines.operator.transfer', {
        auth: token,
        CHAT_ID: chatId,
        TRANSFER_ID: 'queue2',
      });
      expect(queue.body.result).toBe(true);
      // Carla is not an operator of line 1; 99 is nobody; chat 1 does not exist.
      for (const [chat, to] of [
        [chatId, 3],
        [chatId, 99],
        [1, 2],
      ]) {
        const r = await rest(portal, 'imopenlines.operator.transfer', {
          auth: token,
          CHAT_ID: chat,
          TRANSFER_ID: to,
        });
        expect([r.status, r.body.error]).toEqual([400, 'OPERATOR_WRONG']);
      }
      const noChat = await rest(portal, 'imopenlines.operator.transfer', { auth: token, TRANSFER_ID: 2 });
      expect(noChat.body.error).toBe('CHAT_ID_EMPTY');
      const noTarget = await rest(portal, 'imopenlines.operator.transfer', { auth: token, CHAT_ID: chatId });
      expect(noTarget.body.error).toBe('TRANSFER_ID_EMPTY');
      expect(portal.transfers()).toEqual([
        { chatId, line: 1, toUserId: 2, toQueue: null, byUserId: 1 },
        { chatId, line: 1, toUserId: null, toQueue: 2, byUserId: 1 },
      ]);
      const cfg = await rest<{ result: { QUEUE: string[] } }>(portal, 'imopenlines.config.get', {
        auth: token,
        CONFIG_ID: 1,
      });
      expect(cfg.body.result.QUEUE).toEqual(['1', '2']);
    });
  });
});
