import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { api, waitFor } from '../../scripts/stack.js';
import {
  campaign,
  createCampaign,
  fillList,
  phones,
  type Campaign,
  useCampaignStack,
} from '../helpers/campaigns.js';

/**
 * Review of issue 14: a start checks the list (ready, with rows) and then changes the campaign. A CRM
 * list started in between (its transaction deletes the rows and marks the list 'loading') used to be
 * overtaken: the campaign ran with an empty list still 'loading', and the CRM pages, which only fill
 * drafts, stopped — a campaign "finished" with nothing sent and the list never loaded. The order is
 * forced: a transaction holds the campaign while the start waits on it, then commits the CRM start's
 * change.
 */
describe('review: a start racing a CRM list', () => {
  const cs = useCampaignStack({ worker: false });
  const { s } = cs;

  it('is refused (list_not_ready) when the list began loading after its checks', async () => {
    const c = await createCampaign(s, cs.token, {
      name: 'Carrera',
      channelId: cs.ch.id,
      templateId: cs.tpl.id,
    });
    await fillList(s.deps.db, c.id, phones(3, 960));
    let started: Promise<{ status: number; body: unknown }> | undefined;
    await s.deps.db.transaction().execute(async (trx) => {
      await trx.selectFrom('campaigns').select('id').where('id', '=', c.id).forUpdate().execute();
      started = api<Campaign>(s, cs.token, 'POST', `/campaigns/${c.id}/start`);
      // The start has read the list and waits for the campaign's row.
      await waitFor(
        async () => {
          const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE wait_event_type = 'Lock' AND query ILIKE 'update "campaigns"%'`.execute(s.deps.db);
          return rows[0]!.n > 0;
        },
        20_000,
        'the start waiting on the campaign',
      );
      await trx.deleteFrom('campaign_rows').where('campaign_id', '=', c.id).execute();
      await trx
        .updateTable('campaigns')
        .set({ list_source: 'crm', list_status: 'loading', rows_total: 0 })
        .where('id', '=', c.id)
        .execute();
    });
    const r = await started!;
    expect(r.status).toBe(409);
    expect(JSON.stringify(r.body)).toContain('list_not_ready');
    const after = await campaign(s, cs.token, c.id);
    expect(after.status).toBe('draft');
    const jobs = await s.deps.db
      .selectFrom('jobs')
      .select('id')
      .where('topic', '=', 'campaigns.dispatch')
      .execute();
    expect(jobs).toHaveLength(0);
  });
});
