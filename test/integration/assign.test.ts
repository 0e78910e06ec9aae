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
 * or round-robin), creates a lead or deal for a new customer and transfers the open-line chat.
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
    const r = await api(s, token, 'PUT', '/roles', {
      changes: [
        role(sales.id, CARLA, true, true),
        role(sales.id, DIEGO, true, true),
        role(sales.id, BRUNO, true, false),
        role(sales.id, ELENA, false, false),
        role(wholesale.id, DIEGO, true, true),
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

  it('two new customers go round-robin to the two reps marked for new clients, each with a lead, chat transferred', async () => {
    const a = await customerWrites(sales, '5491100007001');
    const b = await customerWrites(sales, '5491100007002');
    expect([a.conv.assigned_user_id, b.conv.assigned_user_id]).toEqual([CARLA, DIEGO]);
    expect(transfersTo(a.chatId)).toEqual([
      { chatId: a.chatId, line: 1, toUserId: CARLA, toQueue: null, byUserId: 1 },
    ]);
    expect(transfersTo(b.chatId).map((t) => t.toUserId)).toEqual([DIEGO]);
    const leads = s.portal.crmRecords();
    expect(leads).toHaveLength(2);
    expect(leads[0]).toMatchObject({
      entity: 'lead',
      fields: { ASSIGNED_BY_ID: CARLA, PHONE: [{ VALUE: '+5491100007001' }], SOURCE_ID: 'WHATSAPP' },
    });
    expect(leads[1]).toMatchObject({ entity: 'lead', fields: { ASSIGNED_BY_ID: DIEGO } });
    expect(a.conv).toMatchObject({ crm_entity: 'lead', crm_entity_id: leads[0]?.id });
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
      ['crm_record_created', 'INFO'],
      ['chat_transferred', 'INFO'],
    ]);
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
      fields: { CATEGORY_ID: 1, STAGE_ID: 'C1:NEW', ASSIGNED_BY_ID: CARLA },
    });
    expect(transfersTo(c.chatId).map((t) => t.toUserId)).toEqual([CARLA]);
  });

  it('a known customer goes to his CRM responsible when a rep; no record is created', async () => {
    const contact = s.portal.addCrmContact({ name: 'Marta', phone: '+5491100007004', assignedById: BRUNO });
    const before = s.portal.crmRecords().length;
    const c = await customerWrites(sales, '5491100007004');
    expect(c.conv).toMatchObject({ assigned_user_id: BRUNO, crm_entity: 'contact', crm_entity_id: contact });
    expect(transfersTo(c.chatId).map((t) => t.toUserId)).toEqual([BRUNO]);
    expect(s.portal.crmRecords()).toHaveLength(before);
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
      ['crm_record_created', 'INFO', null],
      ['transfer_refused', 'WARN', 'OPERATOR_WRONG'],
    ]);
  });

  it('a create whose answer was lost is not repeated: the customer is looked up by phone first', async () => {
    const phone = '5491100007010';
    // The state a crash leaves between "lead requested" and "answer recorded": Carla was picked, the
    // create was marked as started, and Bitrix24 did make the lead.
    const tok = s.portal.issueTokens({ userId: 1 }).accessToken;
    const made = await fetch(`${s.portal.url}/rest/crm.lead.add`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        auth: tok,
        fields: {
          TITLE: 'WhatsApp',
          PHONE: [{ VALUE: `+${phone}`, VALUE_TYPE: 'WORK' }],
          ASSIGNED_BY_ID: CARLA,
        },
      }),
    });
    const leadId = Number(((await made.json()) as { result: unknown }).result);
    const portal = await s.deps.db.selectFrom('portals').select('id').executeTakeFirstOrThrow();
    await s.deps.db
      .insertInto('conversations')
      .values({
        portal_id: portal.id,
        channel_id: sales.id,
        customer_phone: phone,
        assigned_user_id: CARLA,
        crm_create_started_at: new Date(),
      })
      .execute();
    const before = s.portal.crmRecords().length;
    const c = await customerWrites(sales, phone);
    expect(s.portal.crmRecords()).toHaveLength(before);
    expect(c.conv).toMatchObject({ assigned_user_id: CARLA, crm_entity: 'lead', crm_entity_id: leadId });
    const steps = await traceOf(sales.id, c.conv.id);
    expect(steps.map((t) => t.step)).toEqual(['crm_record_reconciled', 'chat_transferred']);
  });
});
