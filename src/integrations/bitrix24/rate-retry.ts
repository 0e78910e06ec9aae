import { setTimeout as sleep } from 'node:timers/promises';
import { ProviderError } from '../../shared/errors.js';

/**
 * For calls a person is waiting on (the admin pages): when Bitrix24 answers QUERY_LIMIT_EXCEEDED
 * (reference §7, a leaky bucket draining 2 requests/s), wait as it asks and try again a couple of
 * times instead of showing an error at once. Background work keeps using the job queue's backoff.
 */
export async function politely<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts || !(err instanceof ProviderError) || err.providerCode !== 'QUERY_LIMIT_EXCEEDED') {
        throw err;
      }
      await sleep(err.opts.retryAfterMs ?? 1_000);
    }
  }
}
