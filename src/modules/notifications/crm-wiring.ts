import type { Kysely } from 'kysely';
import type { Bitrix24Client } from '../../integrations/bitrix24/bitrix24.client.js';
import {
  BOUND_EVENTS_VERSION,
  type Bitrix24Connector,
} from '../../integrations/bitrix24/bitrix24.connector.js';
import { Bitrix24CrmRecords } from '../../integrations/bitrix24/crm-records.js';
import type { JobHandler } from '../../jobs/worker.js';
import type { DB } from '../../shared/db/schema.js';
import { CrmEventsRepository } from './crm-events.repository.js';
import { CrmEventsService } from './crm-events.service.js';
import { bindJob, reconcileJob, scheduleJob, scheduleReconcile, type ReconcileDeps } from './reconcile.js';

/** The CRM events of the scheduled notifications, built for the composition root. */
export interface CrmEvents {
  service: CrmEventsService;
  /** Starts the periodic reconciliation chain (idempotent across instances: one job per period). */
  schedule(): Promise<void>;
  jobs: Record<string, JobHandler>;
}

/**
 * `portals.eventsHandler`: where the app's events are bound (/b24/events). A portal set up now gets
 * every binding at install: its version is recorded then, so the re-bind (for portals installed
 * before) does not spend nine calls of its rate budget binding them again.
 */
export function buildCrmEvents(
  db: Kysely<DB>,
  b24: { bitrix: Bitrix24Client; connector: Bitrix24Connector },
  portals: { eventsHandler: string; onInstalled(fn: (portalId: number) => Promise<void>): void },
  config: { reconcileEveryMs: number },
  nudge: () => void,
): CrmEvents {
  const everyMs = config.reconcileEveryMs;
  const repo = new CrmEventsRepository(db);
  const crm = new Bitrix24CrmRecords(b24.bitrix);
  const service = new CrmEventsService({ repo, crm, nudge });
  portals.onInstalled((portalId) => repo.setEventsVersion(portalId, BOUND_EVENTS_VERSION));
  const eventsHandler = portals.eventsHandler;
  const d: ReconcileDeps = {
    repo,
    crm,
    events: service,
    bind: (portalId) =>
      b24.connector.bindEvents(
        (method, params) => b24.bitrix.call(portalId, method, params, { background: true }),
        eventsHandler,
      ),
    eventsVersion: BOUND_EVENTS_VERSION,
    everyMs,
  };
  return {
    service,
    schedule: async () => {
      await scheduleReconcile(db, everyMs);
      nudge();
    },
    jobs: {
      'notifications.crm': service.job(),
      'notifications.crm.schedule': scheduleJob(d),
      'notifications.crm.bind': bindJob(d),
      'notifications.reconcile': reconcileJob(d),
    },
  };
}
