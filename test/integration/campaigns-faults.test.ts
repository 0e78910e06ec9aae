import { describe, expect, it } from 'vitest';
import { api, waitFor } from '../../scripts/stack.js';
import {
  ALWAYS,
  campaign,
  createCampaign,
  digits,
  fillList,
  phones,
  waitStatus,
  useCampaignStack,
} from '../helpers/campaigns.js';

/**
 * Issue 14, Gupshup pushing back (reference gupshup.md §7, §8): a failed event with 4001 ("API rate
 * limited — stop sending") pauses the campaign with the reason; a 429 on a send slows it (AIMD) and
 * the message still goes, once; a template WhatsApp paused stops it too. A reply marks the row and
 * its chat goes to the campaign's agent.
 */
describe('campaign sending when Gupshup pushes back', () => {
  const cs = useCampaignStack();
  const { s } = cs;
  const base = (name: string) => ({ name, channelId: cs.ch.id, templateId: cs.tpl.id, window: ALWAYS });
  const act = cs.act;
  const traced = (step: string, code?: string) => {
    let q = s.deps.db.selectFrom('trace').select(['code', 'detail']).where('step', '=', step);
    if (code) q = q.where('code', '=', code);
    return q.execute();
  };

  it('4001 pauses the campaign with its reason, traced; resume goes on with the rest', async () => {
    // Slow (one row every 2 s, 20 rows): the 4001 is seen long before the list runs out, even on a
    // busy machine.
    const c = await createCampaign(s, cs.token, { ...base('Con 4001'), ratePerMinute: 30 });
    const numbers = phones(20, 500);
    await fillList(s.deps.db, c.id, numbers);
    s.gupshup.failNextDelivery({ code: 4001, reason: 'API Rate Limited', destination: digits(numbers[0]!) });
    expect((await act(c.id, 'start')).status).toBe(200);
    const stopped = await waitStatus(s, cs.token, c.id, 'paused', 20_000);
    expect(stopped.statusReason).toBe('gupshup_4001');
    expect(stopped.counts.ready).toBeGreaterThan(0);
    expect(await traced('campaign_paused', 'gupshup_4001')).toHaveLength(1);
    const report = await api<{ failures: { code: string; count: number; message: string }[] }>(
      s,
      cs.token,
      'GET',
      `/campaigns/${c.id}/report?lang=es`,
    );
    expect(report.body.failures).toEqual([
      { code: '4001', count: 1, message: 'Gupshup limitó el envío (4001): la campaña se pausó.' },
    ]);
    // Resumed: the earlier 4001 is not read again.
    const resumed = await act(c.id, 'resume');
    expect(resumed.body).toMatchObject({ status: 'running', statusReason: null });
    await act(c.id, 'cancel');
  });

  it('a 429 on a send slows the campaign (traced) and every row still goes exactly once', async () => {
    const c = await createCampaign(s, cs.token, { ...base('Con 429'), ratePerMinute: 6000 });
    const numbers = phones(8, 600);
    await fillList(s.deps.db, c.id, numbers);
    s.gupshup.failNext({ times: 2, status: 429 });
    expect((await act(c.id, 'start')).status).toBe(200);
    await waitStatus(s, cs.token, c.id, 'finished', 30_000);
    await waitFor(
      () => numbers.every((p) => s.gupshup.sent({ destination: digits(p) }).length === 1),
      30_000,
      'every number once',
    );
    await waitFor(async () => (await traced('campaign_slowed', 'rate_limited')).length > 0, 10_000, 'slowed');
    const row = await s.deps.db
      .selectFrom('campaigns')
      .select(['status'])
      .where('id', '=', c.id)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('finished');
    for (const p of numbers) expect(s.gupshup.sent({ destination: digits(p) })).toHaveLength(1);
  });

  it('a template WhatsApp paused stops the campaign', async () => {
    const c = await createCampaign(s, cs.token, { ...base('Plantilla pausada'), ratePerMinute: 30 });
    await fillList(s.deps.db, c.id, phones(12, 700));
    expect((await act(c.id, 'start')).status).toBe(200);
    await waitFor(async () => (await campaign(s, cs.token, c.id)).counts.queued >= 1, 20_000, 'first row');
    await s.deps.db.updateTable('templates').set({ status: 'paused' }).where('id', '=', cs.tpl.id).execute();
    const stopped = await waitStatus(s, cs.token, c.id, 'paused', 20_000);
    expect(stopped.statusReason).toBe('template_paused');
    await s.deps.db
      .updateTable('templates')
      .set({ status: 'approved' })
      .where('id', '=', cs.tpl.id)
      .execute();
    await act(c.id, 'cancel');
  });

  it('a customer’s answer marks the row replied once', async () => {
    const c = await createCampaign(s, cs.token, {
      ...base('Respuestas'),
      ratePerMinute: 6000,
      replyUserIds: [1],
    });
    const [number] = phones(1, 800);
    await fillList(s.deps.db, c.id, [number!]);
    await act(c.id, 'start');
    await waitStatus(s, cs.token, c.id, 'finished');
    await waitFor(() => s.gupshup.sent({ destination: digits(number!) }).length === 1, 20_000, 'sent');
    const answer = (text: string, i: number) =>
      fetch(cs.ch.callbackUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          app: cs.ch.appName,
          timestamp: Date.now(),
          version: 2,
          type: 'message',
          payload: {
            id: `wamid.reply.${i}`,
            type: 'text',
            payload: { text },
            sender: { phone: digits(number!) },
          },
        }),
      });
    expect((await answer('Me interesa', 1)).status).toBeLessThan(300);
    const replied = await waitFor(
      async () => {
        const r = await s.deps.db
          .selectFrom('campaign_rows')
          .select('replied_at')
          .where('campaign_id', '=', c.id)
          .executeTakeFirstOrThrow();
        return r.replied_at ?? undefined;
      },
      20_000,
      'the row replied',
    );
    await answer('¿Precio?', 2);
    await waitFor(
      async () =>
        (await s.deps.db.selectFrom('messages').select('id').where('wa_message_id', '=', 'wamid.reply.2').where('status', '=', 'delivered').execute()).length === 1,
      20_000,
      'the second answer delivered',
    ); // prettier-ignore
    const again = await s.deps.db
      .selectFrom('campaign_rows')
      .select('replied_at')
      .where('campaign_id', '=', c.id)
      .executeTakeFirstOrThrow();
    expect(again.replied_at).toEqual(replied);
    expect((await campaign(s, cs.token, c.id)).counts.replied).toBe(1);
    // The answer opened the chat: the template's record there names the campaign.
    const conv = await s.deps.db
      .selectFrom('conversations')
      .select('bitrix_chat_id')
      .where('customer_phone', '=', digits(number!))
      .executeTakeFirstOrThrow();
    const record = await waitFor(
      () => s.portal.chatLines(conv.bitrix_chat_id ?? 0).find((l) => l.text.includes('«Respuestas»')),
      20_000,
      'the record naming the campaign',
    );
    expect(record.text).toContain('Hola Cliente 0, su pedido P-0 está listo.');
    // The campaign names its agent for replies: the chat is handed to them, once.
    const transfers = await waitFor(
      () => {
        const t = s.portal.transfers().filter((x) => x.chatId === conv.bitrix_chat_id);
        return t.length ? t : undefined;
      },
      20_000,
      'the chat handed to the campaign’s agent',
    );
    expect(transfers).toEqual([expect.objectContaining({ toUserId: 1 })]);
  });

  it('a campaign that names another open line for its replies: the answer’s chat goes to that line’s queue', async () => {
    const c = await createCampaign(s, cs.token, {
      ...base('Otra línea'),
      ratePerMinute: 6000,
      replyLineId: 2,
    });
    const [number] = phones(1, 900);
    await fillList(s.deps.db, c.id, [number!]);
    await act(c.id, 'start');
    await waitStatus(s, cs.token, c.id, 'finished');
    await waitFor(() => s.gupshup.sent({ destination: digits(number!) }).length === 1, 20_000, 'sent');
    // The customer answers, through the sandbox Gupshup as a real message callback.
    const answer = await s.gupshup.customerSends({
      appName: cs.ch.appName,
      from: digits(number!),
      text: 'Hola',
    });
    expect(answer.statuses).toEqual([200]);
    const conv = await waitFor(
      async () => {
        const v = await s.deps.db
          .selectFrom('conversations')
          .select('bitrix_chat_id')
          .where('customer_phone', '=', digits(number!))
          .executeTakeFirst();
        return v?.bitrix_chat_id ?? undefined;
      },
      20_000,
      'the answer’s chat',
    );
    const moved = await waitFor(
      () => {
        const t = s.portal.transfers().filter((x) => x.chatId === conv);
        return t.length ? t : undefined;
      },
      20_000,
      'the chat handed to line 2',
    );
    expect(moved).toEqual([expect.objectContaining({ toQueue: 2, toUserId: null })]);
  });
});
