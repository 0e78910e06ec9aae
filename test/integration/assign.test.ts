import { beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  connectChannel,
  installAndToken,
  SAMPLE_PORTAL,
  waitFor,
  type DemoChannel,
} from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';

/**
 * Issue 4: chat roles enforced by the server. After a conversation's first message reaches Bitrix24,
 * chat.assign finds the customer in the CRM by phone, picks the sales representative (CRM responsible
 * or round-robin), creates a contact and a lead or deal linked to it for a new customer (issue 10),
 * reads back whether the chat is bound to the record, and transfers the open-line chat.
 */
describe('chat assignment by roles', () => {
  const s = useStack({
    portal: {
      ...SAMPLE_PORTAL,
      // Line 3's operators leave Diego out: a transfer to him is refused by Bitrix24.
      lines: [
        { ID: 1, LINE_NAME: 'Ventas' },
        { ID: 2, LINE_NAME: 'Soporte' },
        { ID: 3, LINE_NAME: 'Mayoristas', QUEUE: [1, 2, 3] },
        { ID: 4, LINE_NAME: 'Postventa' },
      ],
    },
  });
  const BRUNO = 2;
  const CARLA = 3;
  const DIEGO = 4;
  const ELENA = 5;
  let token = '';
  let sales: DemoChannel;
  let support: DemoChannel;
  let wholesale: DemoChannel;
  let aftersales: DemoChannel;

  const role = (channelId: string, userId: number, salesRep: boolean, receivesNew: boolean) => ({
    channelId,
    userId,
    qualityControl: !salesRep,
    salesRep,
    receivesNew,
    boss: false,
  });

  beforeAll(async () => {
    token = await installAndToken(s);
    sales = await connectChannel(s, token, 1, 1);
    support = await connectChannel(s, token, 2, 2);
    wholesale = await connectChannel(s, token, 3, 3);
    aftersales = await connectChannel(s, token, 4, 4);
    const r = await api(s, token, 'PUT', '/roles', {
      changes: [
        role(sales.id, CARLA, true, true),
        role(sales.id, DIEGO, true, true),
        role(sales.id, BRUNO, true, false),
        role(sales.id, ELENA, false, false),
        role(wholesale.id, DIEGO, true, true),
        // After-sales: Elena takes the new clients; Carla and Diego keep their own.
        role(aftersales.id, ELENA, true, true),
        role(aftersales.id, CARLA, true, false),
        role(aftersales.id, DIEGO, true, false),
      ],
    });
    expect(r.status).toBe(200);
  });

  const conversation = (channelId: string, phone: string) =>
    s.deps.db
      .selectFrom('conversations')
      .selectAll()
      .where('channel_id', '=', channelId)
      .where('customer_phone', '=', phone)
      .executeTakeFirst();

  /** The customer writes; resolves once chat.assign has finished for the conversation. */
  const customerWrites = async (ch: DemoChannel, phone: string, text = 'hola', name = 'Cliente Nuevo') => {
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, name, text });
    const conv = await waitFor(
      async () => {
        const c = await conversation(ch.id, phone);
        return c?.assigned_at ? c : undefined;
      },
      20_000,
      `assignment of ${phone}`,
    );
    await s.deps.worker.drain(); // the job's last step (the binding read) follows the record
    const chat = s.portal.messages({ author: 'customer' }).find((m) => m.externalChatId === phone);
    return { conv, chatId: chat?.chatId };
  };

  /** The assignment's trace for one conversation, in order. */
  const traceOf = (channelId: string, conversationId: number) =>
    s.deps.db
      .selectFrom('trace')
      .select(['step', 'level', 'code', 'detail'])
      .where('channel_id', '=', channelId)
      .where('detail', 'like', `conversation ${conversationId}:%`)
      .orderBy('id')
      .execute();

  const transfersTo = (chatId: number | undefined) => s.portal.transfers().filter((t) => t.chatId === chatId);

  it('two new customers go round-robin to the two reps marked for new clients, each with a contact and a lead linked to it, chat transferred', async () => {
    const a = await customerWrites(sales, '5491100007001');
    const b = await customerWrites(sales, '5491100007002');
    expect([a.conv.assigned_user_id, b.conv.assigned_user_id]).toEqual([CARLA, DIEGO]);
    expect(transfersTo(a.chatId)).toEqual([
      { chatId: a.chatId, line: 1, toUserId: CARLA, toQueue: null, byUserId: 1 },
    ]);
    expect(transfersTo(b.chatId).map((t) => t.toUserId)).toEqual([DIEGO]);
    const contacts = s.portal.crmContacts();
    expect(contacts).toHaveLength(2);
    expect(contacts[0]?.fields).toMatchObject({
      NAME: 'Cliente Nuevo',
      PHONE: [{ VALUE: '+5491100007001', VALUE_TYPE: 'WORK' }],
      ASSIGNED_BY_ID: CARLA,
    });
    const leads = s.portal.crmRecords();
    expect(leads).toHaveLength(2);
    expect(leads[0]).toMatchObject({
      entity: 'lead',
      fields: {
        ASSIGNED_BY_ID: CARLA,
        PHONE: [{ VALUE: '+5491100007001' }],
        SOURCE_ID: 'WHATSAPP',
        CONTACT_ID: contacts[0]?.id,
      },
    });
    expect(leads[1]).toMatchObject({
      entity: 'lead',
      fields: { ASSIGNED_BY_ID: DIEGO, CONTACT_ID: contacts[1]?.id },
    });
    expect(a.conv).toMatchObject({
      crm_entity: 'lead',
      crm_entity_id: leads[0]?.id,
      crm_contact_id: contacts[0]?.id,
      crm_contact_started_at: null,
      crm_create_started_at: null,
    });
    // Bitrix24's CRM tracker is told to skip these messages: the app makes the record itself.
    const send = s.portal
      .calls()
      .find(
        (c) => c.method === 'imconnector.send.messages' && JSON.stringify(c.params).includes('5491100007001'),
      );
    expect(JSON.stringify(send?.params)).toContain('"disable_crm":"Y"');
    const steps = await traceOf(sales.id, a.conv.id);
    expect(steps.map((t) => [t.step, t.level])).toEqual([
      ['assign_decided', 'INFO'],
      ['crm_contact_created', 'INFO'],
      ['crm_record_created', 'INFO'],
      ['chat_transferred', 'INFO'],
      ['crm_chat_unbound', 'INFO'],
    ]);
    // Bitrix24 is asked which chats the lead has; nothing binds one over REST, so an agent is told.
    expect(steps[4]?.detail).toContain(`chat ${a.chatId} is not bound to lead ${leads[0]?.id}`);
    const asked = s.portal.calls().filter((c) => c.method === 'imopenlines.crm.chat.get');
    expect(asked.at(0)?.params).toMatchObject({ CRM_ENTITY_TYPE: 'lead', CRM_ENTITY: leads[0]?.id });
    // No names and no full phone numbers in the trace.
    expect(steps.some((t) => /5491100007001|Cliente/.test(t.detail ?? ''))).toBe(false);
  });

  it('with a deal pipeline and stage chosen, the next new customer gets a deal there', async () => {
    const set = await api(s, token, 'PUT', `/channels/${sales.id}/crm`, {
      entity: 'deal',
      categoryId: 1,
      stageId: 'C1:NEW',
    });
    expect(set.status).toBe(200);
    const c = await customerWrites(sales, '5491100007003');
    expect(c.conv.assigned_user_id).toBe(CARLA);
    expect(s.portal.crmRecords().at(-1)).toMatchObject({
      entity: 'deal',
      id: c.conv.crm_entity_id,
      fields: {
        CATEGORY_ID: 1,
        STAGE_ID: 'C1:NEW',
        ASSIGNED_BY_ID: CARLA,
        CONTACT_IDS: [c.conv.crm_contact_id],
      },
    });
    expect(s.portal.crmContacts().at(-1)).toMatchObject({ id: c.conv.crm_contact_id });
    expect(transfersTo(c.chatId).map((t) => t.toUserId)).toEqual([CARLA]);
  });

  it('a known customer goes to his CRM responsible when a rep; no record is created', async () => {
    const contact = s.portal.addCrmContact({ name: 'Marta', phone: '+5491100007004', assignedById: BRUNO });
    const before = s.portal.crmRecords().length;
    const contacts = s.portal.crmContacts().length;
    const c = await customerWrites(sales, '5491100007004');
    expect(c.conv).toMatchObject({ assigned_user_id: BRUNO, crm_entity: 'contact', crm_entity_id: contact });
    expect(transfersTo(c.chatId).map((t) => t.toUserId)).toEqual([BRUNO]);
    expect(s.portal.crmRecords()).toHaveLength(before);
    expect(s.portal.crmContacts()).toHaveLength(contacts);
  });

  it('a known customer whose responsible is not a rep of the channel goes round-robin, still without a new record', async () => {
    s.portal.addCrmContact({ name: 'Luis', phone: '+5491100007005', assignedById: ELENA });
    const before = s.portal.crmRecords().length;
    const c = await customerWrites(sales, '5491100007005');
    expect(c.conv.assigned_user_id).toBe(DIEGO);
    expect(c.conv.crm_entity).toBe('contact');
    expect(s.portal.crmRecords()).toHaveLength(before);
  });

  it('the second message of the same conversation does not assign again', async () => {
    const phone = '5491100007001';
    await s.gupshup.customerSends({ appName: sales.appName, from: phone, text: 'otra cosa' });
    await waitFor(
      () => s.portal.messages({ author: 'customer' }).filter((m) => m.externalChatId === phone).length === 2,
    );
    await s.deps.worker.drain();
    const chatId = s.portal.messages({ author: 'customer' }).find((m) => m.externalChatId === phone)?.chatId;
    expect(transfersTo(chatId)).toHaveLength(1);
    const conv = await conversation(sales.id, phone);
    const jobs = await s.deps.db
      .selectFrom('jobs')
      .select('status')
      .where('topic', '=', 'chat.assign')
      .where('dedupe_key', '=', `assign:${conv?.id}`)
      .execute();
    expect(jobs).toEqual([{ status: 'done' }]);
  });

  it('a channel without sales reps: nothing transferred, no record, traced at INFO; the CRM tracker is left on', async () => {
    const before = s.portal.crmRecords().length;
    const transfers = s.portal.transfers().length;
    const c = await customerWrites(support, '5491100007006');
    expect(c.conv).toMatchObject({ assigned_user_id: null, crm_entity: null });
    expect(s.portal.transfers()).toHaveLength(transfers);
    expect(s.portal.crmRecords()).toHaveLength(before);
    const t = await traceOf(support.id, c.conv.id);
    expect(t.map((x) => [x.step, x.level])).toEqual([['assign_skipped', 'INFO']]);
    expect(
      s.portal
        .calls()
        .some((x) => x.method === 'crm.duplicate.findbycomm' && JSON.stringify(x.params).includes('7006')),
    ).toBe(false);
    const send = s.portal
      .calls()
      .find(
        (x) => x.method === 'imconnector.send.messages' && JSON.stringify(x.params).includes('5491100007006'),
      );
    expect(JSON.stringify(send?.params)).not.toContain('disable_crm');
  });

  it('a passing fault is retried without a second record; a refused transfer is traced WARN and the job ends', async () => {
    s.portal.failNext({
      method: 'imopenlines.operator.transfer',
      times: 1,
      status: 500,
      error: 'INTERNAL_SERVER_ERROR',
    });
    const before = s.portal.crmRecords().length;
    // Diego is the only rep of the wholesale channel, but not an operator of line 3.
    const c = await customerWrites(wholesale, '5491100007007');
    // Refused: the chat stays where Bitrix24's queue put it, and nobody is recorded as having it.
    expect(c.conv.assigned_user_id).toBeNull();
    expect(s.portal.crmRecords()).toHaveLength(before + 1);
    expect(transfersTo(c.chatId)).toEqual([]);
    const transferCalls = s.portal
      .calls()
      .filter(
        (x) =>
          x.method === 'imopenlines.operator.transfer' && JSON.stringify(x.params).includes(`${c.chatId}`),
      );
    expect(transferCalls.map((x) => x.status)).toEqual([500, 400]);
    const t = await traceOf(wholesale.id, c.conv.id);
    expect(t.map((x) => [x.step, x.level, x.code])).toEqual([
      ['assign_decided', 'INFO', null],
      ['crm_contact_created', 'INFO', null],
      ['crm_record_created', 'INFO', null],
      ['transfer_refused', 'WARN', 'OPERATOR_WRONG'],
      ['crm_chat_unbound', 'INFO', null],
    ]);
  });

  /** A CRM call the app's earlier run made, straight to the portal: its answer "lost" on our side. */
  const madeEarlier = async (method: string, fields: Record<string, unknown>) => {
    const auth = s.portal.issueTokens({ userId: 1 }).accessToken;
    const res = await fetch(`${s.portal.url}/rest/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ auth, fields }),
    });
    return Number(((await res.json()) as { result: unknown }).result);
  };

  /** Carla's contact for the customer, as the earlier run made it. */
  const earlierContact = (phone: string) =>
    madeEarlier('crm.contact.add', {
      NAME: 'Cliente',
      PHONE: [{ VALUE: `+${phone}`, VALUE_TYPE: 'WORK' }],
      ASSIGNED_BY_ID: CARLA,
    });

  /** A conversation as a crash leaves it (assignment decided, a create marked as under way). */
  const crashedConversation = async (phone: string, set: Record<string, unknown>) => {
    const portal = await s.deps.db.selectFrom('portals').select('id').executeTakeFirstOrThrow();
    await s.deps.db
      .insertInto('conversations')
      .values({
        portal_id: portal.id,
        channel_id: sales.id,
        customer_phone: phone,
        assigned_user_id: CARLA,
        ...set,
      })
      .execute();
  };

  it('a create whose answer was lost is not repeated: the customer is looked up by phone first', async () => {
    const phone = '5491100007010';
    // The state a crash leaves between "lead requested" and "answer recorded": Carla was picked, her
    // contact recorded, the create marked as started, and Bitrix24 did make the lead.
    const contact = await earlierContact(phone);
    const leadId = await madeEarlier('crm.lead.add', {
      TITLE: 'WhatsApp',
      PHONE: [{ VALUE: `+${phone}`, VALUE_TYPE: 'WORK' }],
      ASSIGNED_BY_ID: CARLA,
      CONTACT_ID: contact,
    });
    await crashedConversation(phone, { crm_contact_id: contact, crm_create_started_at: new Date() });
    const before = { records: s.portal.crmRecords().length, contacts: s.portal.crmContacts().length };
    const c = await customerWrites(sales, phone);
    expect(s.portal.crmRecords()).toHaveLength(before.records);
    expect(s.portal.crmContacts()).toHaveLength(before.contacts);
    expect(c.conv).toMatchObject({ assigned_user_id: CARLA, crm_entity: 'lead', crm_entity_id: leadId });
    const steps = await traceOf(sales.id, c.conv.id);
    expect(steps.map((t) => t.step)).toEqual([
      'crm_record_reconciled',
      'chat_transferred',
      'crm_chat_unbound',
    ]);
  });

  it('a contact whose answer was lost is not made twice: found by phone, then the deal is linked to it', async () => {
    const phone = '5491100007011';
    const contact = await earlierContact(phone);
    await crashedConversation(phone, { crm_contact_started_at: new Date() });
    const contacts = s.portal.crmContacts().length;
    const c = await customerWrites(sales, phone);
    expect(s.portal.crmContacts()).toHaveLength(contacts);
    expect(c.conv).toMatchObject({
      crm_contact_id: contact,
      crm_entity: 'deal',
      crm_contact_started_at: null,
    });
    expect(s.portal.crmRecords().at(-1)).toMatchObject({
      entity: 'deal',
      id: c.conv.crm_entity_id,
      fields: { ASSIGNED_BY_ID: CARLA, CONTACT_IDS: [contact] },
    });
    const steps = await traceOf(sales.id, c.conv.id);
    expect(steps.map((t) => t.step)).toEqual([
      'crm_contact_reconciled',
      'crm_record_created',
      'chat_transferred',
      'crm_chat_unbound',
    ]);
  });

  it('a returning customer whose first conversation made a deal is recognised by phone on another channel: same responsible, no second record', async () => {
    const phone = '5491100007020';
    // First conversation, on the sales channel (deals since the pipeline test): contact + deal.
    const first = await customerWrites(sales, phone);
    const responsible = first.conv.assigned_user_id;
    expect([CARLA, DIEGO]).toContain(responsible);
    expect(first.conv.crm_entity).toBe('deal');
    const records = s.portal.crmRecords().length;
    const contacts = s.portal.crmContacts().length;
    // Later he writes to after-sales, where Elena takes new clients: he is not new.
    const second = await customerWrites(aftersales, phone);
    expect(second.conv).toMatchObject({
      assigned_user_id: responsible,
      crm_entity: 'contact',
      crm_entity_id: first.conv.crm_contact_id,
    });
    expect(transfersTo(second.chatId).map((t) => t.toUserId)).toEqual([responsible]);
    expect(s.portal.crmRecords()).toHaveLength(records);
    expect(s.portal.crmContacts()).toHaveLength(contacts);
    const steps = await traceOf(aftersales.id, second.conv.id);
    expect(steps.map((t) => t.step)).toEqual(['assign_decided', 'chat_transferred', 'crm_chat_unbound']);
    expect(steps[0]?.detail).toContain(`known customer (contact ${first.conv.crm_contact_id}`);
  });
});
