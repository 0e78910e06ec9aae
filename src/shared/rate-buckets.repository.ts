import { sql, type Kysely } from 'kysely';
import type { DB } from './db/schema.js';
import type { Budget } from './rate-limiter.js';

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
      INSERT INTO rate_buckets (key, level, at) VALUES (${key}, 1, clock_timestamp())
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
      INSERT INTO rate_buckets (key, level, at) VALUES (${key}, ${b.burst}::float8, clock_timestamp())
      ON CONFLICT (key) DO UPDATE SET level = ${b.burst}::float8, at = clock_timestamp()`.execute(this.db);
  }

  /** Counts `n` requests made outside the bucket (no admission check): the level may exceed the burst. */
  async spend(key: string, n: number, b: Budget): Promise<void> {
    const drained = sql<number>`greatest(0, rate_buckets.level - extract(epoch FROM clock_timestamp() - rate_buckets.at) * ${b.perSec}::float8)`;
    await sql`
      INSERT INTO rate_buckets (key, level, at) VALUES (${key}, ${n}::float8, clock_timestamp())
      ON CONFLICT (key) DO UPDATE SET level = ${drained} + ${n}::float8, at = clock_timestamp()`.execute(
      this.db,
    );
  }
}
