import { enqueueJob } from '../../jobs/jobs.repository.js';
import type { JobHandler } from '../../jobs/worker.js';
import type { Executor, MediaRepository } from './media.repository.js';
import type { MediaStorage } from './storage.js';

const SWEEP_EVERY_MS = 3_600_000;
const BATCH = 500;

/** One sweep per hour slot, whoever asks first: the next full hour at least `afterMs` from now. */
export async function scheduleSweep(exec: Executor, afterMs: number): Promise<void> {
  const hour = new Date(Math.ceil((Date.now() + afterMs) / SWEEP_EVERY_MS) * SWEEP_EVERY_MS);
  await enqueueJob(exec, {
    topic: 'media.sweep',
    portalId: null,
    payload: {},
    dedupeKey: `media.sweep:${hour.toISOString()}`,
    runAt: hour,
  });
}

/**
 * media.sweep: deletes files older than the retention period, bytes first, then their rows (a file
 * whose row is left is served as 404; a row whose bytes are gone is deleted again next time).
 */
export function sweepJob(d: {
  repo: MediaRepository;
  storage: MediaStorage;
  retentionDays: number;
}): JobHandler {
  return {
    run: async (_job, log) => {
      const old = await d.repo.olderThan(d.retentionDays, BATCH);
      for (const id of old) await d.storage.delete(id);
      if (old.length) {
        await d.repo.deleteFiles(old);
        log.info({ deleted: old.length }, 'Media past retention deleted.');
      }
      if (old.length === BATCH) {
        return { kind: 'retry', error: 'more media past retention', delayMs: 100, countAttempt: false };
      }
      // Files are left that will expire later: the sweep comes back itself, so deletion does not
      // depend on new files arriving (it only starts with the first stored file).
      if (await d.repo.anyFile()) await scheduleSweep(d.repo.db, SWEEP_EVERY_MS);
      return { kind: 'done' };
    },
  };
}
