import { enqueueJob } from '../../jobs/jobs.repository.js';
import type { JobHandler } from '../../jobs/worker.js';
import type { BillingRepository, Executor } from './billing.repository.js';

export const EXPIRE_TOPIC = 'billing.expire';
const SLOT_MS = 3_600_000;
/** Portals handled per call of billing_expire; the job comes back at once while there are more. */
const PORTALS_PER_RUN = 500;

/**
 * Queues the expiry run of the hour slot after `at` (one job per slot, whoever asks first). A credit
 * queues the slot after its lot's expiry in its own transaction; each run queues the next one.
 * Sends never wait for it: billing_reserve expires a portal's lots itself before it takes units, so
 * the job only keeps the balances that are merely looked at exact.
 */
export async function scheduleExpiry(exec: Executor, at: Date): Promise<void> {
  const slot = new Date((Math.floor(at.getTime() / SLOT_MS) + 1) * SLOT_MS);
  await enqueueJob(exec, {
    topic: EXPIRE_TOPIC,
    portalId: null,
    payload: {},
    dedupeKey: `${EXPIRE_TOPIC}:${slot.toISOString()}`,
    runAt: slot,
  });
}

/** billing.expire: lots past validity leave their portal's balance (an `expiry` entry each). */
export function expireJob(repo: BillingRepository): JobHandler {
  return {
    run: async (_job, log) => {
      const rows = await repo.expire(PORTALS_PER_RUN);
      if (rows.length) {
        const units = rows.reduce((n, r) => n + r.units, 0);
        log.info({ portals: rows.length, units }, 'Message packs past validity expired.');
      }
      if (rows.length === PORTALS_PER_RUN) {
        return { kind: 'retry', error: 'more packs past validity', delayMs: 100, countAttempt: false };
      }
      const next = await repo.nextExpiry();
      if (next) await scheduleExpiry(repo.db, next);
      return { kind: 'done' };
    },
  };
}
