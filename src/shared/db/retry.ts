/**
 * Runs a short transaction again when PostgreSQL aborted it for a deadlock or a serialization
 * conflict (it says which: SQLSTATE 40P01 / 40001). Webhooks must answer 2xx once stored, not 500
 * because two writers met on the same rows.
 */
const RETRYABLE = new Set(['40P01', '40001']);

export async function retryOnConflict<T>(fn: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (!code || !RETRYABLE.has(code) || i >= attempts) throw err;
      await new Promise((r) => setTimeout(r, 5 * i + Math.random() * 20));
    }
  }
}
