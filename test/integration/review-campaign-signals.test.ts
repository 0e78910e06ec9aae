import { beforeAll, describe, expect, it } from 'vitest';
import { api, waitFor } from '../../scripts/stack.js';
import {
  ALWAYS,
  campaign,
  createCampaign,
  digits,
  fillList,
  phones,
  type Campaign,
  useCampaignStack,
} from '../helpers/campaigns.js';

import { addTemplate, withToken, type TestTemplate } from '../helpers/templates.js';

/**
 * Review of issue 14: "template paused" (Gupshup 4005 / Meta 132015, reference gupshup.md §8) is about
 * one template. A send of ANOTHER template of the channel (an agent's, the API's) failing with it must
 * not pause a campaign whose template is fine; before, any such code on the channel paused it.
 */
describe('review: a paused template stops only its own campaigns', () => {
  const cs = useCampaignStack();
  const { s } = cs;
  let other: TestTemplate;

  beforeAll(async () => {
    other = await addTemplate(s, { channelId: cs.ch.id, name: 'otra' });
  });

  it('another template’s 4005 leaves the campaign running', async () => {
    // Slow (one row every 2 s): the campaign still runs when the other send fails.
    const c = await createCampaign(s, cs.token, {
      name: 'Sigue',
      channelId: cs.ch.id,
      templateId: cs.tpl.id,
      window: ALWAYS,
      ratePerMinute: 30,
    });
    await fillList(s.deps.db, c.id, phones(30, 970));
    expect((await api<Campaign>(s, cs.token, 'POST', `/campaigns/${c.id}/start`)).status).toBe(200);
    const to = '+5491140009999';
    s.gupshup.failNextDelivery({ code: 4005, reason: 'Template paused', destination: digits(to) });
    const sent = await withToken<{ messageId: number }>(s, cs.token, 'POST', '/messages/template', {
      channelId: cs.ch.id,
      to,
      templateId: other.id,
      params: ['Ana', 'E-1'],
    });
    expect(sent.status).toBe(202);
    const failed = await waitFor(
      () =>
        s.deps.db
          .selectFrom('trace')
          .select('id')
          .where('code', '=', '4005')
          .where('message_id', '=', sent.body.messageId)
          .executeTakeFirst(),
      20_000,
      'the other template’s 4005',
    );
    // The dispatcher has looked past that line (its cursor), or stopped on it.
    await waitFor(
      async () => {
        const r = await s.deps.db
          .selectFrom('campaigns')
          .select(['status', 'trace_cursor'])
          .where('id', '=', c.id)
          .executeTakeFirstOrThrow();
        return r.status !== 'running' || Number(r.trace_cursor) >= failed.id;
      },
      20_000,
      'a look past the 4005',
    );
    const now = await campaign(s, cs.token, c.id);
    expect({ status: now.status, reason: now.statusReason }).toEqual({ status: 'running', reason: null });
    await api(s, cs.token, 'POST', `/campaigns/${c.id}/cancel`);
  });
  it('its own template’s 4005 still pauses it', async () => {
    const c = await createCampaign(s, cs.token, {
      name: 'Para',
      channelId: cs.ch.id,
      templateId: cs.tpl.id,
      window: ALWAYS,
      ratePerMinute: 30,
    });
    const numbers = phones(20, 1100);
    await fillList(s.deps.db, c.id, numbers);
    s.gupshup.failNextDelivery({ code: 4005, reason: 'Template paused', destination: digits(numbers[0]!) });
    expect((await api<Campaign>(s, cs.token, 'POST', `/campaigns/${c.id}/start`)).status).toBe(200);
    const stopped = await waitFor(
      async () => {
        const now = await campaign(s, cs.token, c.id);
        return now.status === 'paused' ? now : undefined;
      },
      20_000,
      'paused',
    );
    expect(stopped.statusReason).toBe('template_paused');
    await api(s, cs.token, 'POST', `/campaigns/${c.id}/cancel`);
  });
});
