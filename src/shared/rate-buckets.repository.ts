import { sql, type Kysely } from 'kysely';
import type { DB } from './db/schema.js';
import type { Budget } from './rate-limiter.js';

/**
 * Commits the statement without waiting for its WAL to reach the disk (`synchronous_commit` off for
 * this transaction only; the statement is its own transaction). Other sessions see the row at once;
 * what a crash of PostgreSQL itself could lose is the last few milliseconds of bucket levels, so a
 * bucket reads a little emptier than it was: the upstream's own refusal (QUERY_LIMIT_EXCEEDED) then
 * fills it. A take sits on the path of every upstream call, and waiting for the disk was most of it.
 */
const ASYNC_COMMIT = sql`WITH async_commit AS MATERIALIZED (
  SELECT set_config('synchronous_commit', 'off', true) AS off)`;

/** The `rate_buckets` table: one leaky bucket per key (rate-limiter.ts decides what to do with it). */
export class RateBucketsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * One atomic upsert: the level drains by the time elapsed, and a request is admitted only if the
   * new level stays under the burst. Says whether it was admitted, and the bucket's level.
   */
  async take(key: string, b: Budget): Promise<{ admitted: boolean; level: number }> {
    const drained = sql<number>`greatest(0, rate_buckets.level - extract(epoch FROM clock_timestamp() - rate_buckets.at) * ${b.perSec}::float8)`;
    const res = await sql<{ level: number }>`
      ${ASYNC_COMMIT}
      INSERT INTO rate_buckets (key, level, at) SELECT ${key}, 1, clock_timestamp() FROM async_commit
      ON CONFLICT (key) DO UPDATE SET level = ${drained} + 1, at = clock_timestamp()
      WHERE ${drained} + 1 <= ${b.burst}::float8
      RETURNING level`.execute(this.db);
    if (res.rows.length > 0) return { admitted: true, level: res.rows[0]?.level ?? 1 };
    const row = await sql<{ level: number }>`
      SELECT ${drained} AS level FROM rate_buckets WHERE key = ${key}`.execute(this.db);
    return { admitted: false, level: row.rows[0]?.level ?? 0 };
  }

  /** Sets the bucket to full. */
  async fill(key: string, b: Budget): Promise<void> {
    await sql`
      ${ASYNC_COMMIT}
      INSERT INTO rate_buckets (key, level, at)
      SELECT ${key}, ${b.burst}::float8, clock_timestamp() FROM async_commit
      ON CONFLICT (key) DO UPDATE SET level = ${b.burst}::float8, at = clock_timestamp()`.execute(this.db);
  }

  /** Counts `n` requests made outside the bucket (no admission check): the level may exceed the burst. */
  async spend(key: string, n: number, b: Budget): Promise<void> {
    const drained = sql<number>`greatest(0, rate_buckets.level - extract(epoch FROM clock_timestamp() - rate_buckets.at) * ${b.perSec}::float8)`;
    await sql`
      ${ASYNC_COMMIT}
      INSERT INTO rate_buckets (key, level, at) SELECT ${key}, ${n}::float8, clock_timestamp() FROM async_commit
      ON CONFLICT (key) DO UPDATE SET level = ${drained} + ${n}::float8, at = clock_timestamp()`.execute(
      this.db,
    );
  }
}
