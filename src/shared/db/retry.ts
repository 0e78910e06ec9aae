import { retry } from '../retry.js';

/**
 * Runs a short transaction again when PostgreSQL aborted it for a deadlock or a serialization
 * conflict (it says which: SQLSTATE 40P01 / 40001). Webhooks must answer 2xx once stored, not 500
 * because two writers met on the same rows.
 */
const RETRYABLE = new Set(['40P01', '40001']);

export function retryOnConflict<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  return retry(fn, (err, i) => {
    const code = (err as { code?: string }).code;
    return code && RETRYABLE.has(code) && i < attempts ? 5 * i + Math.random() * 20 : undefined;
  });
}
