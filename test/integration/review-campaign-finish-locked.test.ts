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
  type Campaign,
  useCampaignStack,
} from '../helpers/campaigns.js';

/**
 * Review of issue 14 (passes as built): rows another run holds (FOR UPDATE) are skipped by the
 * dispatcher's claim (SKIP LOCKED), so it hands fewer than it may and asks whether the campaign is
 * done. It must not finish while those rows are still 'ready'; once they are let go, they are sent,
 * once each, and only then is the campaign finished.
 */
describe('review: finishing while another run holds rows', () => {
  const cs = useCampaignStack();
  const { s } = cs;

  it('stays running until the held rows are handed', async () => {
    const c = await createCampaign(s, cs.token, {
      name: 'Retenida',
      channelId: cs.ch.id,
      templateId: cs.tpl.id,
      window: ALWAYS,
      ratePerMinute: 6000,
    });
    const numbers = phones(5, 1300);
    await fillList(s.deps.db, c.id, numbers);
    const rows = await s.deps.db
      .selectFrom('campaign_rows')
      .select('id')
      .where('campaign_id', '=', c.id)
      .orderBy('id')
      .execute();
    const held = rows.slice(2).map((r) => r.id);
    await s.deps.db.transaction().execute(async (trx) => {
      await trx.selectFrom('campaign_rows').select('id').where('id', 'in', held).forUpdate().execute();
      expect((await api<Campaign>(s, cs.token, 'POST', `/campaigns/${c.id}/start`)).status).toBe(200);
      await waitFor(
        async () => (await campaign(s, cs.token, c.id)).counts.queued === 2,
        20_000,
        'two handed',
      );
      const last = await s.deps.db
        .selectFrom('campaign_rows')
        .select((eb) => eb.fn.max('queued_at').as('at'))
        .where('campaign_id', '=', c.id)
        .executeTakeFirstOrThrow();
      // Looks after the last hand-out, which found only held rows.
      await waitFor(
        async () => {
          const r = await s.deps.db
            .selectFrom('campaigns')
            .select('pace_at')
            .where('id', '=', c.id)
            .executeTakeFirstOrThrow();
          return (r.pace_at?.getTime() ?? 0) > new Date(last.at as Date).getTime() + 1_000;
        },
        20_000,
        'later looks',
      );
      const now = await campaign(s, cs.token, c.id);
      expect(now.status).toBe('running');
      expect(now.counts.ready).toBe(3);
    });
    await waitStatus(s, cs.token, c.id, 'finished');
    await waitFor(
      () => numbers.every((p) => s.gupshup.sent({ destination: digits(p) }).length === 1),
      20_000,
      'every number once',
    );
    expect((await campaign(s, cs.token, c.id)).counts).toMatchObject({ ready: 0, queued: 5 });
  });
});
