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

export function buildCrmEvents(o: {
  db: Kysely<DB>;
  bitrix: Bitrix24Client;
  connector: Bitrix24Connector;
  eventsHandler: string;
  everyMs: number;
  nudge: () => void;
}): CrmEvents {
  const repo = new CrmEventsRepository(o.db);
  const crm = new Bitrix24CrmRecords(o.bitrix);
  const service = new CrmEventsService({ repo, crm, nudge: o.nudge });
  const d: ReconcileDeps = {
    repo,
    crm,
    events: service,
    bind: (portalId) =>
      o.connector.bindEvents(
        (method, params) => o.bitrix.call(portalId, method, params, { background: true }),
        o.eventsHandler,
      ),
    eventsVersion: BOUND_EVENTS_VERSION,
    everyMs: o.everyMs,
  };
  return {
    service,
    schedule: async () => {
      await scheduleReconcile(o.db, o.everyMs);
      o.nudge();
    },
    jobs: {
      'notifications.crm': service.job(),
      'notifications.crm.schedule': scheduleJob(d),
      'notifications.crm.bind': bindJob(d),
      'notifications.reconcile': reconcileJob(d),
    },
  };
}
