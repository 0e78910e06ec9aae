import { BOUND_EVENTS_VERSION } from '../../src/integrations/bitrix24/bitrix24.connector.js';
import { stringify } from 'qs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enqueueJob } from '../../src/jobs/jobs.repository.js';
import { startSandboxPortal, type SandboxPortal } from '../../scripts/sandbox/portal/index.js';
import {
  api,
  installAndToken,
  SAMPLE_PORTAL,
  STACK_CLIENT_ID,
  STACK_CLIENT_SECRET,
  waitFor,
} from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';

/**
 * Issue 13, CRM events: deals and leads changed in the sandbox portal become notification_events rows
 * once, whether the change comes by its event (ONCRMDEALADD / ONCRMDEALUPDATE / ONCRMLEADADD, only the
 * id: read back by a job), by the periodic reconciliation (crm.*.list since the cursor) when the
 * event was lost, by both, or by an event delivered twice.
 */
type Row = {
  portal_id: number;
  report_id: number;
  entity_type: string;
  entity_id: number;
  company_id: number | null;
  title: string;
  dedupe_key: string;
};

describe('notifications: CRM events and reconciliation', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token = '';
  let portalId = 0;
  const report = { stage: 0, field: 0, lead: 0 };
  let runs = 0;

  const rows = async (where: { entity?: number; report?: number; portal?: number } = {}) => {
    let q = s.deps.db
      .selectFrom('notification_events')
      .select(['portal_id', 'report_id', 'entity_type', 'entity_id', 'company_id', 'title', 'dedupe_key'])
      .where('portal_id', '=', where.portal ?? portalId);
    if (where.entity !== undefined) q = q.where('entity_id', '=', where.entity);
    if (where.report !== undefined) q = q.where('report_id', '=', where.report);
    return (await q.orderBy('id').execute()) as Row[];
  };
  const count = async (t: 'notification_events' | 'jobs' | 'notification_crm_snapshots') =>
    Number(
      (
        await s.deps.db
          .selectFrom(t)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  /** Every read-back job done (the sandbox posts its events just after its answer). */
  const settled = async (doneAtLeast: number) =>
    waitFor(
      async () => {
        const jobs = await s.deps.db
          .selectFrom('jobs')
          .select('status')
          .where('topic', '=', 'notifications.crm')
          .execute();
        const done = jobs.filter((j) => j.status === 'done').length;
        return done >= doneAtLeast && !jobs.some((j) => j.status === 'pending' || j.status === 'running');
      },
      20_000,
      `${doneAtLeast} CRM read-backs`,
    );
  const doneJobs = async () =>
    (
      await s.deps.db
        .selectFrom('jobs')
        .select('id')
        .where('topic', '=', 'notifications.crm')
        .where('status', '=', 'done')
        .execute()
    ).length;
  /** One run of a job, queued as the periodic schedule queues it; waits until it is done. */
  const runJob = async (topic: string, portal: number | null) => {
    const key = `test.${topic}:${++runs}`;
    await enqueueJob(s.deps.db, { topic, portalId: portal, payload: {}, dedupeKey: key });
    s.deps.worker.nudge();
    await waitFor(
      async () =>
        (await s.deps.db.selectFrom('jobs').select('status').where('dedupe_key', '=', key).executeTakeFirst())
          ?.status === 'done',
      20_000,
      topic,
    );
  };
  const reconcile = (portal = portalId) => runJob('notifications.reconcile', portal);
  const event = (name: string, id: unknown, auth: Record<string, unknown> = {}, portal = s.portal) =>
    fetch(`${s.url}/b24/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: stringify({
        event: name,
        data: { FIELDS: { ID: id } },
        ts: '1736405807',
        auth: {
          member_id: portal.memberId,
          application_token: portal.applicationToken,
          domain: portal.domain,
          ...auth,
        },
      }),
    });

  beforeAll(async () => {
    token = await installAndToken(s);
    portalId = (
      await s.deps.db
        .selectFrom('portals')
        .select('id')
        .where('member_id', '=', s.portal.memberId)
        .executeTakeFirstOrThrow()
    ).id;
    const groups = await api<{ groups: { id: number }[] }>(s, token, 'GET', '/notification-groups');
    const main = groups.body.groups[0]!.id;
    const add = async (body: Record<string, unknown>) => {
      const r = await api<{ id: number }>(s, token, 'POST', '/notification-reports', body);
      expect(r.status).toBe(201);
      const on = await api(s, token, 'PUT', `/notification-groups/${main}/reports/${r.body.id}`, {
        enabled: true,
        schedule: { preset: 'full_time' },
      });
      expect(on.status).toBe(200);
      return r.body.id;
    };
    report.stage = await add({ kind: 'deal_stage', name: 'Aprobadas', categoryId: 0, stageId: 'WON' });
    report.field = await add({ kind: 'deal_field_changed', name: 'Plazo', field: 'UF_CRM_PLAZO' });
    report.lead = await add({ kind: 'new_lead', name: 'Web', sourceId: 'WEB' });
  });

  it('binds the deal and lead events at install', () => {
    const events = s.portal.bindings().map((b) => b.event);
    expect(events).toEqual(expect.arrayContaining(['ONCRMDEALADD', 'ONCRMDEALUPDATE', 'ONCRMLEADADD']));
  });

  let deal = 0;
  it('a deal reaching the stage records one event with its company and title; delivered twice, still one', async () => {
    deal = s.portal.addDeal({ TITLE: 'SIRA «1» ñandú 🚢', COMPANY_ID: 7, UF_CRM_PLAZO: '2026-12-01' });
    await settled(1);
    // First sight (ONCRMDEALADD): a new deal, not in the stage, its deadline only remembered.
    expect(await rows({ entity: deal })).toEqual([]);
    s.portal.updateDeal(deal, { STAGE_ID: 'WON' });
    await settled(2);
    expect(await rows({ entity: deal })).toMatchObject([
      {
        report_id: report.stage,
        entity_type: 'deal',
        entity_id: deal,
        company_id: 7,
        title: 'SIRA «1» ñandú 🚢',
      },
    ]);
    const again = await event('ONCRMDEALUPDATE', String(deal));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ ok: true, queued: true });
    await settled(3);
    expect(await rows({ entity: deal })).toHaveLength(1);
    const burst = await Promise.all([1, 2, 3, 4, 5].map(() => event('ONCRMDEALUPDATE', String(deal))));
    expect(burst.map((b) => b.status)).toEqual([200, 200, 200, 200, 200]);
    await settled(8);
    expect(await rows({ entity: deal })).toHaveLength(1);
  });

  it('the watched field changing records one event; other changes record none', async () => {
    const done = await doneJobs();
    s.portal.updateDeal(deal, { UF_CRM_PLAZO: '2026-12-15' });
    s.portal.updateDeal(deal, { TITLE: 'SIRA 1 renamed' });
    await settled(done + 2);
    const field = await rows({ entity: deal, report: report.field });
    expect(field).toHaveLength(1);
    expect(field[0]?.dedupe_key).toMatch(new RegExp(`^deal:${deal}:field:UF_CRM_PLAZO=`));
    expect(await rows({ entity: deal, report: report.stage })).toHaveLength(1);
  });

  it('a change whose event was lost is found by the reconciliation once', async () => {
    const quiet = s.portal.addDeal({ TITLE: 'SIRA 2', COMPANY_ID: 9 }, { silent: true });
    s.portal.updateDeal(quiet, { STAGE_ID: 'WON' }, { silent: true });
    expect(await rows({ entity: quiet })).toEqual([]);
    await reconcile();
    expect(await rows({ entity: quiet })).toMatchObject([
      { report_id: report.stage, company_id: 9, title: 'SIRA 2' },
    ]);
    await reconcile();
    expect(await rows({ entity: quiet })).toHaveLength(1);
  });

  it('a change seen by its event and by the reconciliation is one row', async () => {
    const both = s.portal.addDeal({ TITLE: 'SIRA 3' }, { silent: true });
    const done = await doneJobs();
    s.portal.updateDeal(both, { STAGE_ID: 'WON' });
    await settled(done + 1);
    await reconcile();
    expect(await rows({ entity: both })).toHaveLength(1);
  });

  it('leaving the stage and entering it again is a second event, by events or unseen', async () => {
    const done = await doneJobs();
    s.portal.updateDeal(deal, { STAGE_ID: 'PREPARATION' });
    await settled(done + 1);
    s.portal.updateDeal(deal, { STAGE_ID: 'WON' });
    await settled(done + 2);
    expect(await rows({ entity: deal, report: report.stage })).toHaveLength(2);
    // Out and back in between two reconciliations, both events lost: MOVED_TIME tells.
    s.portal.updateDeal(deal, { STAGE_ID: 'NEW' }, { silent: true });
    s.portal.updateDeal(deal, { STAGE_ID: 'WON' }, { silent: true });
    await reconcile();
    const stage = await rows({ entity: deal, report: report.stage });
    expect(stage).toHaveLength(3);
    expect(new Set(stage.map((r) => r.dedupe_key)).size).toBe(3);
  });

  it('a new lead from the source records once, by its event or by the reconciliation; other sources none', async () => {
    const done = await doneJobs();
    const web = s.portal.addLead({ TITLE: 'Lead web', SOURCE_ID: 'WEB', COMPANY_ID: 8 });
    const call = s.portal.addLead({ TITLE: 'Lead call', SOURCE_ID: 'CALL' });
    await settled(done + 2);
    expect(await rows({ report: report.lead })).toMatchObject([
      { entity_type: 'lead', entity_id: web, company_id: 8, title: 'Lead web' },
    ]);
    const lost = s.portal.addLead({ TITLE: 'Lead web 2', SOURCE_ID: 'WEB' }, { silent: true });
    await reconcile();
    await reconcile();
    const leads = await rows({ report: report.lead });
    expect(leads.map((r) => r.entity_id)).toEqual([web, lost]);
    expect(leads.some((r) => r.entity_id === call)).toBe(false);
  });

  it('the reconciliation reads past one page, through many changes in the same second, each once', async () => {
    const ids: number[] = [];
    // Straight into the portal, events lost: 120 deals reach the stage, most within the same second.
    for (let i = 0; i < 120; i++) {
      const id = s.portal.addDeal({ TITLE: `Lote ${i}` }, { silent: true });
      s.portal.updateDeal(id, { STAGE_ID: 'WON' }, { silent: true });
      ids.push(id);
    }
    await reconcile();
    const recorded = (await rows({ report: report.stage })).filter((r) => ids.includes(r.entity_id));
    expect(recorded.map((r) => r.entity_id).sort((a, b) => a - b)).toEqual(ids);
    await reconcile();
    expect((await rows({ report: report.stage })).filter((r) => ids.includes(r.entity_id))).toHaveLength(120);
  });

  it('forged or malformed CRM events are 4xx and write nothing', async () => {
    const before = [await count('notification_events'), await count('jobs')];
    const cases: Array<[string, unknown, Record<string, unknown>, number]> = [
      ['ONCRMDEALUPDATE', String(deal), { application_token: 'forged' }, 403],
      ['ONCRMDEALUPDATE', String(deal), { application_token: '' }, 403],
      ['ONCRMDEALUPDATE', String(deal), { member_id: 'no-such-portal' }, 401],
      ['ONCRMDEALUPDATE', 'abc', {}, 400],
      ['ONCRMDEALUPDATE', '９０１', {}, 400],
      ['ONCRMDEALUPDATE', `\u202e${deal}`, {}, 400],
      ['ONCRMDEALUPDATE', `${deal}\u0000`, {}, 400],
      ['ONCRMDEALUPDATE', '1e3', {}, 400],
      ['ONCRMDEALUPDATE', '-5', {}, 400],
      ['ONCRMDEALUPDATE', '99999999999999999999', {}, 400],
      ['ONCRMLEADADD', '', {}, 400],
      ['ONCRMDEALADD', { ID: deal }, {}, 400],
    ];
    for (const [name, id, auth, status] of cases) {
      const r = await event(name, id, auth);
      expect([name, JSON.stringify(id), r.status]).toEqual([name, JSON.stringify(id), status]);
    }
    expect([await count('notification_events'), await count('jobs')]).toEqual(before);
  });

  describe('another portal', () => {
    let other: SandboxPortal;
    let otherId = 0;
    beforeAll(async () => {
      other = await startSandboxPortal({
        clientId: STACK_CLIENT_ID,
        clientSecret: STACK_CLIENT_SECRET,
        oauthServer: s.portal,
      });
      const r = await other.installApp({ installUrl: `${s.url}/b24/install`, mode: 'ui' });
      expect(r.status).toBe(200);
      other.finishInstall();
      otherId = (
        await s.deps.db
          .selectFrom('portals')
          .select('id')
          .where('member_id', '=', other.memberId)
          .executeTakeFirstOrThrow()
      ).id;
    });
    afterAll(async () => {
      await other?.close();
    });

    it('a portal with no enabled report: its CRM events are acknowledged, nothing queued or read', async () => {
      const queued = () =>
        s.deps.db
          .selectFrom('jobs')
          .select('id')
          .where('portal_id', '=', otherId)
          .where('topic', '=', 'notifications.crm')
          .execute();
      const r = await event('ONCRMDEALUPDATE', String(deal), {}, other);
      expect([r.status, await r.json()]).toEqual([200, { ok: true, queued: false }]);
      expect(await queued()).toEqual([]);
      // For the next test, its own group and stage report (set up directly: its API token is not the point).
      const g = await s.deps.db
        .insertInto('notification_groups')
        .values({ portal_id: otherId, name: 'Principal', is_default: true })
        .returning('id')
        .executeTakeFirstOrThrow();
      const rep = await s.deps.db
        .insertInto('notification_reports')
        .values({
          portal_id: otherId,
          name: 'Won',
          kind: 'deal_stage',
          category_id: 0,
          stage_id: 'WON',
          params: '[]',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await s.deps.db
        .insertInto('notification_group_reports')
        .values({ group_id: g.id, report_id: rep.id, enabled: true })
        .execute();
    });

    it('a deal id of this portal named by the other portal reads the other portal’s CRM only', async () => {
      const mine = await rows();
      const done = await doneJobs();
      // The other portal has no deal with that id: nothing is read from this portal, nothing recorded.
      const r = await event('ONCRMDEALUPDATE', String(deal), {}, other);
      expect(await r.json()).toEqual({ ok: true, queued: true });
      await settled(done + 1);
      expect(await rows({ portal: otherId })).toEqual([]);
      // Its own deal with the same id as one here: recorded under the other portal, with its title.
      const same = other.addDeal({ TITLE: 'Otro portal' });
      expect(same).toBe(deal);
      other.updateDeal(same, { STAGE_ID: 'WON' });
      await settled(done + 3);
      await reconcile(otherId);
      expect(await rows({ portal: otherId })).toMatchObject([
        { portal_id: otherId, entity_id: deal, title: 'Otro portal', company_id: null },
      ]);
      expect(await rows()).toEqual(mine);
    });
  });

  it('a portal installed now records its bindings version: the schedule binds nothing again', async () => {
    const sync = await s.deps.db
      .selectFrom('notification_crm_sync')
      .select('events_version')
      .where('portal_id', '=', portalId)
      .executeTakeFirstOrThrow();
    expect(sync.events_version).toBe(BOUND_EVENTS_VERSION);
    await runJob('notifications.crm.schedule', null);
    const binds = await s.deps.db
      .selectFrom('jobs')
      .select('id')
      .where('topic', '=', 'notifications.crm.bind')
      .where('portal_id', '=', portalId)
      .execute();
    expect(binds).toEqual([]);
  });

  it('a portal installed before the CRM events gets their bindings from the re-bind job, once', async () => {
    // As a portal set up before this version left it: no bindings version recorded.
    await s.deps.db.deleteFrom('notification_crm_sync').where('portal_id', '=', portalId).execute();
    const handler = `${s.url}/b24/events`;
    const auth = s.portal.issueTokens({ userId: 1 }).accessToken;
    for (const ev of ['ONCRMDEALADD', 'ONCRMDEALUPDATE', 'ONCRMLEADADD']) {
      const r = await fetch(`${s.portal.url}/rest/event.unbind`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ auth, event: ev, handler }),
      });
      expect(r.status).toBe(200);
    }
    const crmBound = () => s.portal.bindings().filter((b) => b.event.startsWith('ONCRM')).length;
    expect(crmBound()).toBe(0);
    await runJob('notifications.crm.schedule', null);
    const bindJobs = () =>
      s.deps.db
        .selectFrom('jobs')
        .select(['portal_id', 'status'])
        .where('topic', '=', 'notifications.crm.bind')
        .where('portal_id', '=', portalId)
        .execute();
    await waitFor(
      async () => {
        const jobs = await bindJobs();
        return jobs.length >= 1 && jobs.every((j) => j.status === 'done');
      },
      20_000,
      'bind jobs',
    );
    expect(crmBound()).toBe(3);
    const sync = await s.deps.db
      .selectFrom('notification_crm_sync')
      .select('events_version')
      .where('portal_id', '=', portalId)
      .executeTakeFirstOrThrow();
    expect(sync.events_version).toBeGreaterThanOrEqual(2);
    const traced = await s.deps.db
      .selectFrom('trace')
      .select(['step', 'level'])
      .where('portal_id', '=', portalId)
      .where('step', '=', 'portal_events_bound')
      .execute();
    expect(traced).toEqual([{ step: 'portal_events_bound', level: 'INFO' }]);
    // The next slot queues no second bind: the version is recorded.
    const before = (await bindJobs()).length;
    await runJob('notifications.crm.schedule', null);
    expect((await bindJobs()).length).toBe(before);
  });
});
