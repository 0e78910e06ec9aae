import { ProviderError } from '../../shared/errors.js';
import { retry } from '../../shared/retry.js';

/**
 * For calls a person is waiting on (the admin pages): when the portal's rate budget is spent
 * (reference §7, a leaky bucket draining 2 requests/s; our shared bucket or Bitrix24's own answer),
 * wait as asked and try again a couple of times instead of showing an error at once. Background work
 * keeps using the job queue's backoff.
 */
export function politely<T>(fn: () => Promise<T>, attempts = 3): Promise<T> {
  return retry(fn, (err, i) => {
    // Throttled by Bitrix24 (QUERY_LIMIT_EXCEEDED) or by our own shared bucket (LOCAL_RATE_LIMIT);
    // a wait longer than a person would sit through is shown instead.
    if (i >= attempts || !(err instanceof ProviderError) || !err.opts.throttled) return undefined;
    const wait = err.opts.retryAfterMs ?? 1_000;
    return wait > 3_000 ? undefined : wait;
  });
}
