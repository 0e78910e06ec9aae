import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The one retry loop of the app. `delayFor` is the policy: given the error and the attempt that
 * failed (1-based), the milliseconds to wait before the next attempt, or `undefined` to give up and
 * throw that error. Who uses it: short transactions PostgreSQL aborted (shared/db/retry.ts), calls a
 * person waits on when a portal's rate budget is spent (integrations/bitrix24/rate-retry.ts), and
 * the shared rate bucket's wait for a slot (shared/rate-limiter.ts). Background work does not retry
 * in place: it goes back to the job queue with its backoff.
 */
export async function retry<T>(
  fn: (attempt: number) => Promise<T>,
  delayFor: (err: unknown, attempt: number) => number | undefined,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      const wait = delayFor(err, attempt);
      if (wait === undefined) throw err;
      await sleep(wait);
    }
  }
}
