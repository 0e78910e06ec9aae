import { enqueueJob } from '../../jobs/jobs.repository.js';
import type { JobHandler } from '../../jobs/worker.js';
import { dealChanges, leadEvents, watchedFields } from './crm-changes.js';
import type { ActiveReport, CrmEntity, CrmEventsRepository, NewEvent } from './crm-events.repository.js';
import type { CrmDeal, CrmLead, CrmRecords } from './ports.js';

export interface CrmEventsDeps {
  repo: CrmEventsRepository;
  crm: CrmRecords;
  /** Wakes the worker: an event just queued its read-back. */
  nudge: () => void;
}

/**
 * CRM events → notification_events (issue 13). Bitrix24's ONCRMDEALADD / ONCRMDEALUPDATE /
 * ONCRMLEADADD carry only the record's id: the route stores a `notifications.crm` job and answers; the
 * job reads the record back and compares it with the last state seen (crm-changes.ts). The periodic
 * reconciliation (reconcile.ts) runs each listed record through the same `recordDeal` / `recordLead`,
 * so a change seen by both paths, or twice by one, is recorded once.
 */
export class CrmEventsService {
  constructor(private readonly d: CrmEventsDeps) {}

  /**
   * A verified CRM event: queued for its read-back when some group receives a report about that kind
   * of record; otherwise acknowledged with nothing stored and nothing called.
   */
  async accept(portalId: number, entity: CrmEntity, id: number): Promise<{ queued: boolean }> {
    if ((await this.d.repo.activeReports(portalId, entity)).length === 0) return { queued: false };
    // One record's read-backs run one after the other (chat key): each reads a state no older than
    // the previous one's.
    await enqueueJob(this.d.repo.db, {
      topic: 'notifications.crm',
      portalId,
      payload: { entity, id },
      chatKey: `crm:${portalId}:${entity}:${id}`,
    });
    this.d.nudge();
    return { queued: true };
  }

  /** `notifications.crm`: the read-back of one record named by an event. */
  job(): JobHandler {
    return {
      run: async (job, log) => {
        const { entity, id } = job.payload as { entity?: unknown; id?: unknown };
        const portalId = job.portal_id;
        if (portalId === null || (entity !== 'deal' && entity !== 'lead') || !Number.isSafeInteger(id)) {
          return { kind: 'dead', error: 'CRM event job without portal, entity or id' };
        }
        const recordId = id as number;
        const reports = await this.d.repo.activeReports(portalId, entity);
        if (reports.length === 0) return { kind: 'done' };
        const recorded =
          entity === 'deal'
            ? await this.#readDeal(portalId, recordId, reports)
            : await this.#readLead(portalId, recordId, reports);
        if (recorded === null) {
          log.info({ portalId, entity, id: recordId }, 'CRM record not readable; nothing recorded.');
        } else if (recorded > 0) {
          log.info({ portalId, entity, id: recordId, recorded }, 'CRM change recorded for notifications.');
        }
        return { kind: 'done' };
      },
    };
  }

  async #readDeal(portalId: number, id: number, reports: ActiveReport[]): Promise<number | null> {
    const deal = await this.d.crm.deal(portalId, id, watchedFields(reports));
    return deal ? this.recordDeal(portalId, deal, reports) : null;
  }

  async #readLead(portalId: number, id: number, reports: ActiveReport[]): Promise<number | null> {
    const lead = await this.d.crm.lead(portalId, id);
    return lead ? this.recordLead(portalId, lead, reports) : null;
  }

  /**
   * Compares a deal's state with its snapshot under the snapshot's row lock, records the events it
   * makes and moves the snapshot, in one transaction; the number of events recorded.
   */
  recordDeal(portalId: number, deal: CrmDeal, reports: ActiveReport[]): Promise<number> {
    const record = (repo: CrmEventsRepository, events: Parameters<typeof withPortal>[1]) =>
      repo.insertEvents(withPortal(portalId, events));
    return this.d.repo.transaction(async (repo) => {
      const prev = await repo.lockSnapshot(portalId, 'deal', deal.id);
      if (!prev) {
        const first = dealChanges(undefined, deal, reports);
        if (first.kind === 'changed' && (await repo.insertSnapshot(portalId, 'deal', deal.id, first.next))) {
          return record(repo, first.events);
        }
      }
      // Seen before, or another transaction stored the first sight meanwhile: compare with it, locked.
      const locked = prev ?? (await repo.lockSnapshot(portalId, 'deal', deal.id));
      const outcome = dealChanges(locked, deal, reports);
      if (outcome.kind === 'stale') return 0;
      await repo.updateSnapshot(portalId, 'deal', deal.id, outcome.next);
      return record(repo, outcome.events);
    });
  }

  /** A lead's events: its key is its creation, so no snapshot is needed to record it once. */
  recordLead(portalId: number, lead: CrmLead, reports: ActiveReport[]): Promise<number> {
    return this.d.repo.insertEvents(withPortal(portalId, leadEvents(lead, reports)));
  }
}

function withPortal(portalId: number, events: Array<Omit<NewEvent, 'portal_id'>>): NewEvent[] {
  return events.map((e) => ({ ...e, portal_id: portalId }));
}
