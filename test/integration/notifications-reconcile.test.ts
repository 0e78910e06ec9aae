import { describe, expect, it } from 'vitest';
import { Bitrix24CrmRecords } from '../../src/integrations/bitrix24/crm-records.js';
import { enqueueJob } from '../../src/jobs/jobs.repository.js';
import { CrmEventsRepository } from '../../src/modules/notifications/crm-events.repository.js';
import { CrmEventsService } from '../../src/modules/notifications/crm-events.service.js';
import { reconcileJob } from '../../src/modules/notifications/reconcile.js';
import { api, installAndToken, SAMPLE_PORTAL } from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';

/**
 * Issue 13, the reconciliation's backlog: a run that reaches its page limit hands where it stopped
 * (the time and, inside one second's changes, the offset) to a follow-up run, which goes on from
 * there, until the list is read; each change is recorded once. The worker is off: the test runs the
 * job and each follow-up itself, with one page a run, against the sandbox portal.
 */
describe('notifications: reconciliation of a long backlog', () => {
  const s = useStack({ portal: SAMPLE_PORTAL, worker: false });

  it('goes on run after run from where the last one stopped, through a second of 130 changes', async () => {
    const token = await installAndToken(s);
    const portalId = (
      await s.deps.db
        .selectFrom('portals')
        .select('id')
        .where('member_id', '=', s.portal.memberId)
        .executeTakeFirstOrThrow()
    ).id;
    const groups = await api<{ groups: { id: number }[] }>(s, token, 'GET', '/notification-groups');
    const report = await api<{ id: number }>(s, token, 'POST', '/notification-reports', {
      kind: 'deal_stage',
      name: 'Aprobadas',
      categoryId: 0,
      stageId: 'WON',
    });
    const on = await api(
      s,
      token,
      'PUT',
      `/notification-groups/${groups.body.groups[0]!.id}/reports/${report.body.id}`,
      {
        enabled: true,
        schedule: { preset: 'full_time' },
      },
    );
    expect(on.status).toBe(200);
    const ids: number[] = [];
    for (let i = 0; i < 130; i++) {
      const id = s.portal.addDeal({ TITLE: `Lote ${i}` }, { silent: true });
      s.portal.updateDeal(id, { STAGE_ID: 'WON' }, { silent: true });
      ids.push(id);
    }

    const repo = new CrmEventsRepository(s.deps.db);
    const crm = new Bitrix24CrmRecords(s.deps.bitrix);
    const events = new CrmEventsService({ repo, crm, nudge: () => undefined });
    const job = reconcileJob({
      repo,
      crm,
      events,
      bind: () => Promise.resolve(),
      eventsVersion: 2,
      everyMs: 600_000,
      maxPages: 1,
    });
    const jobRow = (key: string) =>
      s.deps.db.selectFrom('jobs').selectAll().where('dedupe_key', '=', key).executeTakeFirst();
    await enqueueJob(s.deps.db, {
      topic: 'notifications.reconcile',
      portalId,
      payload: {},
      dedupeKey: 'first',
    });
    let row = await jobRow('first');
    const resumes: unknown[] = [];
    while (row) {
      expect(await job.run(row, s.deps.log)).toEqual({ kind: 'done' });
      row = await jobRow(`notifications.reconcile:${portalId}:more:${row.id}`);
      if (row) resumes.push((row.payload as { resume?: unknown }).resume);
      expect(resumes.length).toBeLessThan(20);
    }
    // 130 deals, 50 a page: at least three runs, one resumed inside a second's changes by offset.
    expect(resumes.length).toBeGreaterThanOrEqual(2);
    expect(resumes).toContainEqual({ deal: { from: expect.any(String) as string, start: 50 } });
    const recorded = await s.deps.db
      .selectFrom('notification_events')
      .select('entity_id')
      .where('report_id', '=', report.body.id)
      .execute();
    expect(recorded.map((r) => r.entity_id).sort((a, b) => a - b)).toEqual(ids);
  });
});
