import { describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack.js';
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
 * Review of issue 14: a customer two campaigns wrote to in the same week answers once. Both rows count
 * the reply (each campaign's funnel), but the chat is handed once, by the campaign whose message came
 * last (the one the customer answers); before, each routed campaign queued its own transfer and the
 * chat went to both in turn, its final owner whichever job ran last.
 */
describe('review: one answer to two campaigns', () => {
  const cs = useCampaignStack();
  const { s } = cs;
  const act = cs.act;

  const run = async (name: string, number: string, routing: object, sent: number) => {
    const c = await createCampaign(s, cs.token, {
      name,
      channelId: cs.ch.id,
      templateId: cs.tpl.id,
      window: ALWAYS,
      ratePerMinute: 6000,
      ...routing,
    });
    await fillList(s.deps.db, c.id, [number]);
    expect((await act(c.id, 'start')).status).toBe(200);
    await waitStatus(s, cs.token, c.id, 'finished');
    await waitFor(() => s.gupshup.sent({ destination: digits(number) }).length === sent, 20_000, 'sent');
    return c;
  };

  it('marks both rows replied and hands the chat once, to the latest campaign’s agent', async () => {
    const [number] = phones(1, 950);
    const first = await run('Primera', number!, { replyLineId: 2 }, 1);
    const second = await run('Segunda', number!, { replyUserIds: [1] }, 2);
    // The customer answers, through the sandbox Gupshup as a real message callback.
    const answer = await s.gupshup.customerSends({
      appName: cs.ch.appName,
      from: digits(number!),
      text: 'Hola',
    });
    expect(answer.statuses).toEqual([200]);
    for (const id of [first.id, second.id]) {
      await waitFor(
        async () => (await campaign(s, cs.token, id)).counts.replied === 1,
        20_000,
        `replied ${id}`,
      );
    }
    // Every reply job queued by the answer has run.
    await waitFor(
      async () =>
        (await s.deps.db
          .selectFrom('jobs')
          .select('id')
          .where('topic', '=', 'campaigns.reply')
          .where('status', 'in', ['pending', 'running'])
          .executeTakeFirst()) === undefined,
      20_000,
      'the reply jobs done',
    );
    const conv = await s.deps.db
      .selectFrom('conversations')
      .select('bitrix_chat_id')
      .where('customer_phone', '=', digits(number!))
      .executeTakeFirstOrThrow();
    const transfers = s.portal.transfers().filter((x) => x.chatId === conv.bitrix_chat_id);
    expect(transfers).toEqual([expect.objectContaining({ toUserId: 1 })]);
  });
});
