import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { api, waitFor } from '../../scripts/stack.js';
import {
  ALWAYS,
  campaign,
  createCampaign,
  fillList,
  phones,
  type Campaign,
  useCampaignStack,
} from '../helpers/campaigns.js';

/**
 * Review of issue 14: a scheduled campaign paused at the instant its start time comes. The dispatcher
 * read it 'scheduled', then its change to 'running' found it paused (and changed nothing) — and the
 * look went on to hand rows of a paused campaign. The order is forced: a transaction holds the
 * campaign while the dispatcher waits on it, and pauses it.
 */
describe('review: a pause as a scheduled campaign starts', () => {
  const cs = useCampaignStack();
  const { s } = cs;

  it('hands nothing once paused', async () => {
    const c = await createCampaign(s, cs.token, {
      name: 'Programada',
      channelId: cs.ch.id,
      templateId: cs.tpl.id,
      window: ALWAYS,
      ratePerMinute: 6000,
      startAt: new Date(Date.now() + 1_500).toISOString(),
    });
    await fillList(s.deps.db, c.id, phones(5, 1200));
    const started = await api<Campaign>(s, cs.token, 'POST', `/campaigns/${c.id}/start`);
    expect(started.body.status).toBe('scheduled');
    await s.deps.db.transaction().execute(async (trx) => {
      await trx.selectFrom('campaigns').select('id').where('id', '=', c.id).forUpdate().execute();
      // The dispatcher, at the start time, waits to mark it running.
      await waitFor(
        async () => {
          const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND query ILIKE 'update "campaigns"%'`.execute(s.deps.db);
          return rows[0]!.n > 0;
        },
        20_000,
        'the dispatcher waiting on the campaign',
      );
      await trx.updateTable('campaigns').set({ status: 'paused' }).where('id', '=', c.id).execute();
    });
    await waitFor(
      async () =>
        (await s.deps.db
          .selectFrom('jobs')
          .select('id')
          .where('topic', '=', 'campaigns.dispatch')
          .where('status', 'in', ['pending', 'running'])
          .executeTakeFirst()) === undefined,
      20_000,
      'the dispatcher ended',
    );
    const now = await campaign(s, cs.token, c.id);
    expect(now.status).toBe('paused');
    expect(now.counts).toMatchObject({ ready: 5, queued: 0 });
  });
});
