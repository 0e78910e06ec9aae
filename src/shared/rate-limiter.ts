import { retry } from './retry.js';
import { sql, type Kysely } from 'kysely';
import type { DB } from './db/schema.js';

export interface Budget {
  /** Requests the bucket drains per second (Bitrix24: 2, Enterprise 5). */
  perSec: number;
  /** Level above which the upstream blocks (Bitrix24: 50, Enterprise 250). */
  burst: number;
}

/** The caller would have to wait longer than it is willing to: it should give the work back for later. */
export class RateLimitedError extends Error {
  constructor(
    readonly key: string,
    readonly waitMs: number,
  ) {
    super(`local rate limit for ${key}: next slot in ${Math.ceil(waitMs)} ms`);
    this.name = 'RateLimitedError';
  }
}

/**
 * A leaky bucket kept in PostgreSQL, so every app instance draws from the same budget (reference
 * bitrix24.md §7: the portal counts requests, not processes). Taking a slot is one atomic upsert:
 * the level drains by the time elapsed, and a request is admitted only if the new level stays under
 * the burst. Nothing is held between calls, so a crashed instance leaves no lock behind.
 */
export class RateLimiter {
  constructor(private readonly db: Kysely<DB>) {}

  /** Admits one request now (returns 0) or says how long until one would be admitted. */
  async tryTake(key: string, b: Budget): Promise<number> {
    const drained = sql<number>`greatest(0, rate_buckets.level - extract(epoch FROM clock_timestamp() - rate_buckets.at) * ${b.perSec}::float8)`;
    const res = await sql<{ level: number }>`
      INSERT INTO rate_buckets (key, level, at) VALUES (${key}, 1, clock_timestamp())
      ON CONFLICT (key) DO UPDATE SET level = ${drained} + 1, at = clock_timestamp()
      WHERE ${drained} + 1 <= ${b.burst}::float8
      RETURNING level`.execute(this.db);
    if (res.rows.length > 0) return 0;
    const row = await sql<{ level: number }>`
      SELECT ${drained} AS level FROM rate_buckets WHERE key = ${key}`.execute(this.db);
    const level = row.rows[0]?.level ?? 0;
    return Math.max(1, ((level + 1 - b.burst) / b.perSec) * 1000);
  }

  /**
   * Waits for a slot, at most `maxWaitMs` in all; beyond that throws RateLimitedError so a job can be
   * rescheduled instead of holding a worker slot. Waits are spread a little so instances that wake
   * together do not all ask at the same instant.
   */
  async acquire(key: string, b: Budget, maxWaitMs: number): Promise<void> {
    const deadline = Date.now() + maxWaitMs;
    await retry(
      async () => {
        const wait = await this.tryTake(key, b);
        if (wait > 0) throw new RateLimitedError(key, wait);
      },
      (err) => {
        if (!(err instanceof RateLimitedError) || Date.now() + err.waitMs > deadline) return undefined;
        return err.waitMs + Math.random() * 50;
      },
    );
  }

  /** The upstream said "too many": treat the bucket as full so every instance backs off at once. */
  async fill(key: string, b: Budget): Promise<void> {
    await sql`
      INSERT INTO rate_buckets (key, level, at) VALUES (${key}, ${b.burst}::float8, clock_timestamp())
      ON CONFLICT (key) DO UPDATE SET level = ${b.burst}::float8, at = clock_timestamp()`.execute(this.db);
  }
}
