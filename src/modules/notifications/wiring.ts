import type { JobHandler } from '../../jobs/worker.js';
import type { Database } from '../../shared/db/database.js';
import { scheduleTick, sendJob, TICK_TOPIC, tickJob } from './digest-jobs.js';
import { DigestsRepository, SEND_TOPIC } from './digests.repository.js';
import { DigestsService } from './digests.service.js';
import { NotificationsRepository } from './notifications.repository.js';
import type { DigestSender } from './ports.js';

/**
 * The notifications module's part of the composition root: the digests (their service for the
 * routes, their job topics for the worker, and the start of the tick chain).
 */
export function buildDigests(
  db: Database,
  sender: DigestSender,
  config: { tickEveryMs: number },
  nudge: () => void,
) {
  const o = { sender, nudge, tickEveryMs: config.tickEveryMs };
  const repo = new DigestsRepository(db);
  const settings = new NotificationsRepository(db);
  const service = new DigestsService({
    repo,
    settings: (portalId) => settings.settings(portalId),
    nudge: o.nudge,
  });
  const jobs: Record<string, JobHandler> = {
    [TICK_TOPIC]: tickJob({ service, repo, everyMs: o.tickEveryMs }),
    [SEND_TOPIC]: sendJob({ repo, sender: o.sender }),
  };
  return {
    service,
    jobs,
    /** Starts the tick chain (idempotent across instances: one tick job per slot). */
    scheduleTicks: async (): Promise<void> => {
      await scheduleTick(db, o.tickEveryMs);
      o.nudge();
    },
  };
}

export type Digests = ReturnType<typeof buildDigests>;
