import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../src/shared/db/database.js';
import { RateLimitedError, RateLimiter } from '../../src/shared/rate-limiter.js';
import { createTestDatabase } from '../helpers/db.js';

/** The shared leaky bucket, on a real PostgreSQL, as two instances with their own pools see it. */
describe('RateLimiter (shared bucket in PostgreSQL)', () => {
  let one: Database;
  let two: Database;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const t = await createTestDatabase();
    drop = t.drop;
    one = createDatabase(t.url, { max: 4 }).db;
    two = createDatabase(t.url, { max: 4 }).db;
  });
  afterAll(async () => {
    await one?.destroy();
    await two?.destroy();
    await drop?.();
  });

  it('admits the burst across instances, then says how long to wait', async () => {
    const a = new RateLimiter(one);
    const b = new RateLimiter(two);
    // A drain so slow that nothing leaks out during the test: the count is exact.
    const budget = { perSec: 0.001, burst: 10 };
    const waits = await Promise.all(
      Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).tryTake('b24:burst', budget)),
    );
    expect(waits.filter((w) => w === 0)).toHaveLength(10);
    expect(waits.filter((w) => w > 0).every((w) => w > 500_000)).toBe(true);
  });

  it('gives a slot back as the bucket drains: the wait it names is the drain time of one request', async () => {
    const a = new RateLimiter(one);
    const b = new RateLimiter(two);
    const budget = { perSec: 10, burst: 2 };
    expect(await a.tryTake('b24:drain', budget)).toBe(0);
    expect(await b.tryTake('b24:drain', budget)).toBe(0);
    // Full: one more request needs one tenth of a second of drain (a little less, as time passed).
    const wait = await a.tryTake('b24:drain', budget);
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(100);
    // acquire() waits that out instead of refusing, from either instance.
    await expect(b.acquire('b24:drain', budget, 5_000)).resolves.toBeUndefined();
  });

  it('refuses to wait longer than asked, and `fill` makes every instance back off', async () => {
    const a = new RateLimiter(one);
    const b = new RateLimiter(two);
    const budget = { perSec: 1, burst: 3 };
    await a.fill('b24:full', budget);
    expect(await b.tryTake('b24:full', budget)).toBeGreaterThan(0);
    await expect(b.acquire('b24:full', budget, 10)).rejects.toBeInstanceOf(RateLimitedError);
  });
});
