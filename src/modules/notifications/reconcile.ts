import { enqueueJob } from '../../jobs/jobs.repository.js';
import type { JobHandler } from '../../jobs/worker.js';
import type { Log as Logger } from '../../shared/logger.js';
import { writeTrace } from '../trace/trace.service.js';
import { CLOCK_SLACK_MS, watchedFields } from './crm-changes.js';
import type { CrmEntity, CrmEventsRepository } from './crm-events.repository.js';
import type { CrmEventsService } from './crm-events.service.js';
import type { CrmPage, CrmRecords } from './ports.js';

/**
 * The periodic reconciliation of CRM events (every NOTIFICATIONS_RECONCILE_MINUTES): a lost event
 * is still counted once. `notifications.crm.schedule` runs once per period slot (dedupe key of the
 * slot), queues one `notifications.reconcile` per installed portal with a report some group
 * receives, one `notifications.crm.bind` per portal whose event bindings are older than this
 * version's, and itself for the next slot.
 *
 * A portal's reconciliation reads the deals (and leads) modified since its cursor, oldest change
 * first, keyset-paged on DATE_MODIFY (`>=` the last page's last time, so a record changed while the
 * pages are read moves to the end instead of shifting one out of sight), each through the same
 * compare-and-record as the events, then moves the cursor to the last time read. Every read starts
 * OVERLAP before the cursor: a change saved late with an earlier time is still seen, and reading a
 * change twice records nothing twice.
 */
export const RECONCILE_OVERLAP_MS = 2 * 60_000;
/** Pages one run reads per list (50 records each); a longer backlog continues in a follow-up job. */
export const RECONCILE_MAX_PAGES = 20;
const PAGE = 50;

export interface ReconcileDeps {
  repo: CrmEventsRepository;
  crm: CrmRecords;
  events: CrmEventsService;
  /** Binds the app's events on the portal again (event.bind of each; an existing one counts as done). */
  bind: (portalId: number) => Promise<void>;
  /** The version of the app's event bindings (BOUND_EVENTS_VERSION). */
  eventsVersion: number;
  everyMs: number;
  /** Pages one run reads per list (RECONCILE_MAX_PAGES unless a test says otherwise). */
  maxPages?: number;
}

/** The schedule job of the slot `afterMs` from now lies in (now: the current slot, run at once). */
export async function scheduleReconcile(
  exec: CrmEventsRepository['db'],
  everyMs: number,
  afterMs = 0,
): Promise<void> {
  const slot = new Date(Math.floor((Date.now() + afterMs) / everyMs) * everyMs);
  await enqueueJob(exec, {
    topic: 'notifications.crm.schedule',
    portalId: null,
    payload: {},
    dedupeKey: `notifications.crm.schedule:${slot.toISOString()}`,
    runAt: afterMs > 0 ? slot : new Date(),
  });
}

export function scheduleJob(d: ReconcileDeps): JobHandler {
  return {
    run: async (_job, log) => {
      const slot = new Date(Math.floor(Date.now() / d.everyMs) * d.everyMs).toISOString();
      const rebind = await d.repo.portalsToRebind(d.eventsVersion);
      const portals = await d.repo.portalsToReconcile();
      await d.repo.transaction(async (trx) => {
        for (const p of rebind) {
          await enqueueJob(trx.db, {
            topic: 'notifications.crm.bind',
            portalId: p,
            payload: { version: d.eventsVersion },
            dedupeKey: `notifications.crm.bind:${p}:v${d.eventsVersion}`,
          });
        }
        for (const p of portals) await enqueueReconcile(trx, p, slot);
        await scheduleReconcile(trx.db, d.everyMs, d.everyMs);
      });
      log.info({ portals: portals.length, rebind: rebind.length }, 'CRM reconciliation scheduled.');
      return { kind: 'done' };
    },
  };
}

async function enqueueReconcile(
  repo: CrmEventsRepository,
  portalId: number,
  key: string,
  payload: { resume?: Resume } = {},
): Promise<void> {
  await enqueueJob(repo.db, {
    topic: 'notifications.reconcile',
    portalId,
    payload,
    dedupeKey: `notifications.reconcile:${portalId}:${key}`,
  });
}

/**
 * `notifications.crm.bind`: the app's event bindings on a portal installed before some existed,
 * traced; a refusal for good (no crm scope, app gone) is traced as an error on the portal.
 */
export function bindJob(d: ReconcileDeps): JobHandler {
  return {
    run: async (job, log) => {
      const portalId = job.portal_id;
      if (portalId === null) return { kind: 'dead', error: 'bind job without portal' };
      await d.bind(portalId);
      await d.repo.transaction(async (trx) => {
        await trx.setEventsVersion(portalId, d.eventsVersion);
        await writeTrace(trx.db, {
          portalId,
          step: 'portal_events_bound',
          detail: `event bindings renewed (version ${d.eventsVersion})`,
        });
      });
      log.info({ portalId, version: d.eventsVersion }, 'Event bindings renewed.');
      return { kind: 'done' };
    },
    onDead: async (job, error) => {
      if (job.portal_id === null) return;
      await writeTrace(d.repo.db, {
        portalId: job.portal_id,
        step: 'portal_events_bind_failed',
        level: 'ERROR',
        detail: error,
      });
    },
  };
}

/** Where a run that reached its page limit stopped, per list: the next run goes on from there. */
type Resume = Partial<Record<CrmEntity, { from: string; start: number }>>;

/**
 * `notifications.reconcile`: one portal's lists read since their cursors, or from where the run
 * before stopped (`payload.resume`: a backlog longer than one run, even one within a single second).
 */
export function reconcileJob(d: ReconcileDeps): JobHandler {
  return {
    run: async (job, log) => {
      const portalId = job.portal_id;
      if (portalId === null) return { kind: 'dead', error: 'reconcile job without portal' };
      const reports = await d.repo.activeReports(portalId);
      if (reports.length === 0) return { kind: 'done' };
      // Nothing modified before the oldest report can be one of its events.
      const oldest = Math.min(...reports.map((r) => r.created_at.getTime()));
      await d.repo.raiseCursors(portalId, new Date(oldest - CLOCK_SLACK_MS));
      const sync = await d.repo.sync(portalId);
      const resume = (job.payload as { resume?: Resume }).resume ?? {};
      const startOf = (entity: CrmEntity, cursor: Date) => {
        const r = resume[entity];
        const from = r ? new Date(r.from) : new Date(cursor.getTime() - RECONCILE_OVERLAP_MS);
        return { from: Number.isNaN(from.getTime()) ? cursor : from, start: r?.start ?? 0 };
      };
      const deals = reports.filter((r) => r.kind !== 'new_lead');
      const leads = reports.filter((r) => r.kind === 'new_lead');
      const next: Resume = {};
      let recorded = 0;
      if (deals.length && sync?.deals_after) {
        const fields = watchedFields(deals);
        const r = await scan(
          d,
          portalId,
          'deal',
          startOf('deal', sync.deals_after),
          (since, start) => d.crm.deals(portalId, since, start, fields),
          (deal) => d.events.recordDeal(portalId, deal, deals),
        );
        if (r.stopped) next.deal = r.stopped;
        recorded += r.recorded;
      }
      if (leads.length && sync?.leads_after) {
        const r = await scan(
          d,
          portalId,
          'lead',
          startOf('lead', sync.leads_after),
          (since, start) => d.crm.leads(portalId, since, start),
          (lead) => d.events.recordLead(portalId, lead, leads),
        );
        if (r.stopped) next.lead = r.stopped;
        recorded += r.recorded;
      }
      const more = Object.keys(next).length > 0;
      // A backlog longer than one run's pages goes on at once, not a period later.
      if (more) await enqueueReconcile(d.repo, portalId, `more:${job.id}`, { resume: next });
      logRun(log, portalId, recorded, more);
      return { kind: 'done' };
    },
  };
}

function logRun(log: Logger, portalId: number, recorded: number, more: boolean): void {
  if (recorded > 0 || more) log.info({ portalId, recorded, more }, 'CRM reconciliation found changes.');
}

/** Bitrix24's date filter as the portal writes dates: ISO 8601 with an offset, whole seconds. */
const crmTime = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, '+00:00');

async function scan<T extends { id: number; modifiedAt: string }>(
  d: ReconcileDeps,
  portalId: number,
  entity: CrmEntity,
  at: { from: Date; start: number },
  page: (since: string, start: number) => Promise<CrmPage<T>>,
  record: (item: T) => Promise<number>,
): Promise<{ recorded: number; stopped: { from: string; start: number } | null }> {
  let { from, start } = at;
  let recorded = 0;
  const seen = new Set<string>();
  for (let n = 0; n < (d.maxPages ?? RECONCILE_MAX_PAGES); n++) {
    const { items, full } = await page(crmTime(from), start);
    for (const item of items) {
      // The same state read again on the next page (keyset pages overlap at their boundary).
      const key = `${item.id}@${item.modifiedAt}`;
      if (seen.has(key)) continue;
      seen.add(key);
      recorded += await record(item);
    }
    const last = items.at(-1);
    const lastAt = last ? new Date(last.modifiedAt) : from;
    if (!full) {
      if (last) await d.repo.advance(portalId, entity, lastAt);
      return { recorded, stopped: null };
    }
    if (lastAt.getTime() <= from.getTime()) {
      // A whole page changed within the same second: page through that second by offset.
      start += PAGE;
    } else {
      from = lastAt;
      start = 0;
      await d.repo.advance(portalId, entity, lastAt);
    }
  }
  return { recorded, stopped: { from: from.toISOString(), start } };
}
