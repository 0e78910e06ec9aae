import { retry } from './retry.js';
import type { Kysely } from 'kysely';
import { RateBucketsRepository } from './rate-buckets.repository.js';
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
  readonly buckets: RateBucketsRepository;
  constructor(db: Kysely<DB>) {
    this.buckets = new RateBucketsRepository(db);
  }

  /** Admits one request now (returns 0) or says how long until one would be admitted. */
  async tryTake(key: string, b: Budget): Promise<number> {
    const r = await this.buckets.take(key, b);
    return r.admitted ? 0 : Math.max(1, ((r.level + 1 - b.burst) / b.perSec) * 1000);
  }

  /** Records `n` requests that went out without a slot (made before the key existed). */
  async spend(key: string, n: number, b: Budget): Promise<void> {
    if (n > 0) await this.buckets.spend(key, n, b);
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
  fill(key: string, b: Budget): Promise<void> {
    return this.buckets.fill(key, b);
  }
}
