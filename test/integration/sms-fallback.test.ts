import { beforeAll, describe, expect, it } from 'vitest';
import {
  connectChannel,
  installAndToken,
  SAMPLE_PORTAL,
  waitFor,
  type DemoChannel,
} from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';
import { setUpSms } from '../helpers/sms.js';
import { addTemplate, asUser, makeSalesRep, type TestTemplate } from '../helpers/templates.js';

/**
 * The SMS fallback (issue 15): a template that fails because the number is not on WhatsApp (Gupshup
 * 1002) goes as an SMS with the text the customer would have read, once, when its channel is one the
 * admin chose; the agent sees it in the chat; the SMS is not a WhatsApp message unit.
 */
describe('a template not on WhatsApp falls back to SMS', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token: string;
  let ch: DemoChannel;
  let tpl: TestTemplate;

  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
    await waitFor(() => s.portal.smsSenders().length > 0, 20_000, 'messageservice.sender.add');
    tpl = await addTemplate(s, {
      channelId: ch.id,
      name: 'aviso_sms',
      body: 'Hola {{1}}, su pedido {{2}} está listo.',
    });
    await makeSalesRep(s, ch.id, 2);
  });

  /** A customer writes (the chat exists), then the agent sends the template from the chat. */
  async function templateFromChat(phone: string): Promise<{ messageId: number; chatId: number }> {
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'hola' });
    const m = await waitFor(() =>
      s.portal.messages({ author: 'customer' }).find((x) => x.externalChatId === phone),
    );
    await waitFor(async () => {
      const c = await s.deps.db
        .selectFrom('conversations')
        .select(['bitrix_chat_id', 'assigned_at'])
        .where('customer_phone', '=', phone)
        .executeTakeFirst();
      return c?.bitrix_chat_id === m.chatId && c.assigned_at !== null;
    });
    s.gupshup.failNextDelivery({
      destination: phone,
      code: 1002,
      reason: 'Number Does Not Exist On WhatsApp',
    });
    const sent = await asUser<{ messageId: number }>(s, 2, 'POST', `/chats/${m.chatId}/templates/send`, {
      templateId: tpl.id,
      params: ['Ana', 'A-7'],
    });
    expect(sent.status).toBe(202);
    return { messageId: sent.body.messageId, chatId: m.chatId };
  }

  const failed = (id: number) =>
    waitFor(async () => {
      const m = await s.deps.db
        .selectFrom('messages')
        .select(['status', 'error_code'])
        .where('id', '=', id)
        .executeTakeFirst();
      return m?.status === 'failed' ? m : undefined;
    });

  it('off for the channel: the failure stays a failure, no SMS', async () => {
    await setUpSms(s, token);
    const { messageId } = await templateFromChat('5491100009101');
    expect((await failed(messageId)).error_code).toBe('1002');
    await waitFor(async () => {
      const j = await s.deps.db
        .selectFrom('jobs')
        .select('status')
        .where('topic', '=', 'sms.fallback')
        .execute();
      return j.length === 1 && j[0]?.status === 'done';
    });
    expect(await s.deps.db.selectFrom('sms_messages').select('id').execute()).toEqual([]);
    expect(s.smsapi.sent({ to: '5491100009101' })).toEqual([]);
  });

  it('on for the channel: sent once as SMS with the rendered text, the agent told in the chat', async () => {
    await setUpSms(s, token, { fallbackChannelIds: [ch.id] });
    const { messageId, chatId } = await templateFromChat('5491100009102');
    await failed(messageId);
    const sms = await waitFor(async () => {
      const r = await s.deps.db
        .selectFrom('sms_messages')
        .selectAll()
        .where('relay_message_id', '=', messageId)
        .executeTakeFirst();
      return r && r.status !== 'queued' ? r : undefined;
    });
    expect(sms).toMatchObject({ source: 'fallback', to_e164: '+5491100009102' });
    const out = await waitFor(() => s.smsapi.sent({ to: '5491100009102' })[0]);
    expect(out.message).toBe('Hola Ana, su pedido A-7 está listo.');
    const note = await waitFor(() => s.portal.chatLines(chatId).find((l) => l.system && /SMS/.test(l.text)));
    expect(note.text).toMatch(/SMS/);
    // The fallback job run a second time (a worker that died after sending): still one SMS.
    await s.deps.db
      .insertInto('jobs')
      .values({
        topic: 'sms.fallback',
        portal_id: sms.portal_id,
        payload: JSON.stringify({ messageId, channelId: ch.id, code: '1002' }),
        dedupe_key: `sms.fb:${messageId}:again`,
      })
      .execute();
    s.deps.worker.nudge();
    await waitFor(async () => {
      const j = await s.deps.db
        .selectFrom('jobs')
        .select('status')
        .where('dedupe_key', '=', `sms.fb:${messageId}:again`)
        .executeTakeFirst();
      return j?.status === 'done';
    });
    expect(
      await s.deps.db
        .selectFrom('sms_messages')
        .select('id')
        .where('relay_message_id', '=', messageId)
        .execute(),
    ).toHaveLength(1);
    expect(s.smsapi.sent({ to: '5491100009102' })).toHaveLength(1);
    const steps = await s.deps.db
      .selectFrom('trace')
      .select('step')
      .where('message_id', '=', messageId)
      .execute();
    expect(steps.map((t) => t.step)).toEqual(expect.arrayContaining(['sms_fallback', 'sms_accepted']));
    // Counted as an SMS (its own log and points), apart from WhatsApp's message units.
    const log = await asUser<{ items: Array<{ id: number; source: string; points: number | null }> }>(
      s,
      1,
      'GET',
      '/sms/messages',
    );
    expect(log.body.items.find((i) => i.id === sms.id)).toMatchObject({
      source: 'fallback',
      points: expect.any(Number) as number,
    });
  });
});
