import pg from 'pg';

/** The database named by DATABASE_URL cannot be used; the message is one line naming host and cause. */
export class DatabaseUnreachableError extends Error {
  override name = 'DatabaseUnreachableError';
}

/**
 * Connects once to `url` and runs `SELECT 1`, so that a wrong or unreachable `DATABASE_URL` stops
 * start-up with one line (`DATABASE_URL`, the host, the cause) instead of a driver's stack trace.
 * The URL's password is never part of the message.
 */
export async function assertDatabaseReachable(url: string, timeoutMs = 10_000): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } catch (err) {
    throw new DatabaseUnreachableError(
      `Cannot connect to the database of DATABASE_URL (host ${hostOf(url)}): ${causeOf(err)}`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** host:port as the driver reads it (a `host` query parameter wins; pg's defaults otherwise). */
export function hostOf(url: string): string {
  try {
    const u = new URL(url);
    const host = u.searchParams.get('host') || decodeURIComponent(u.hostname) || 'localhost';
    return `${host}:${u.port || '5432'}`;
  } catch {
    return '(unreadable URL)';
  }
}

function causeOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length) return causeOf(err.errors[0]);
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    return (err.message || code || err.name).replace(/\s+/g, ' ');
  }
  return typeof err === 'string' ? err : 'unknown error';
}
