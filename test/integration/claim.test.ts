import { sql } from 'kysely';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { batchKey, batchKeyOf, claimJobs, completeJob } from '../../src/jobs/jobs.repository.js';
import { createDatabase, type Database } from '../../src/shared/db/database.js';
import { createTestDatabase } from '../helpers/db.js';

/**
 * The worker's claim (jobs.repository.ts `claimJobs`) goes key by key (the batch key, indexed by migration
 * 0025) instead of walking every ready job in time order. What it takes must not change: the oldest
 * due jobs overall, each chat in order, nothing of a key the worker holds, nothing of a topic it has
 * no handler for, nothing leased to a live worker, nothing due later.
 */
describe('job claims, key by key', () => {
  let drop: () => Promise<void>;
  let db: Database;
  let end: () => Promise<void>;

  beforeAll(async () => {
    const t = await createTestDatabase();
    drop = t.drop;
    const made = createDatabase(t.url, { max: 4 });
    db = made.db;
    end = () => made.pool.end();
  });
  afterAll(async () => {
    await end();
    await drop();
  });
  beforeEach(async () => {
    await sql`TRUNCATE jobs`.execute(db);
  });

  /** Inserts jobs due `ageSec` ago (negative: later), in the given order; returns their ids. */
  async function add(
    rows: Array<{ topic: string; channelId?: string; chat?: string; ageSec?: number; status?: string }>,
  ): Promise<number[]> {
    const ids: number[] = [];
    for (const r of rows) {
      const res = await sql<{ id: number }>`
        INSERT INTO jobs (topic, payload, chat_key, run_at, status, locked_until)
        VALUES (${r.topic}, ${JSON.stringify(r.channelId ? { channelId: r.channelId } : {})}::jsonb, ${r.chat ?? null},
                now() - make_interval(secs => ${r.ageSec ?? 10}),
                ${r.status ?? 'pending'}, CASE WHEN ${r.status ?? 'pending'} = 'running' THEN now() + interval '1 minute' END)
        RETURNING id`.execute(db);
      ids.push(res.rows[0]!.id);
    }
    return ids;
  }

  const claim = (limit: number, o: Parameters<typeof claimJobs>[4] = {}) =>
    claimJobs(db, 'w1', limit, 60_000, o).then((rows) => rows.map((r) => r.id).sort((a, b) => a - b));

  it('keeps the key SQL computes (the index, the claims) equal to the one the worker builds', async () => {
    await add([{ topic: 'inbound.accept', channelId: 'c1' }, { topic: 'chat.assign' }]);
    const keys = await db.selectFrom('jobs as j').select(batchKeyOf('j').as('k')).orderBy('j.id').execute();
    expect(keys.map((k) => k.k)).toEqual([batchKey('inbound.accept', null, 'c1'), 'chat.assign||']);
  });

  it('takes the oldest due jobs across keys, not a key at a time', async () => {
    const ids = await add([
      { topic: 'a', channelId: 'c1', ageSec: 50 },
      { topic: 'b', channelId: 'c1', ageSec: 40 },
      { topic: 'a', channelId: 'c1', ageSec: 30 },
      { topic: 'b', channelId: 'c1', ageSec: 20 },
      { topic: 'a', channelId: 'c2', ageSec: 10 },
    ]);
    expect(await claim(3)).toEqual(ids.slice(0, 3));
    expect(await claim(3)).toEqual(ids.slice(3));
    expect(await claim(3)).toEqual([]);
  });

  it('leaves the keys the worker holds, however many jobs wait behind them, and finds the rest', async () => {
    const backlog = Array.from({ length: 500 }, (_, i) => ({
      topic: 'inbound.accept',
      channelId: 'c1',
      chat: `inacc:c1:${i}`,
      ageSec: 100 - i / 10,
    }));
    await add(backlog);
    const others = await add([
      { topic: 'chat.assign', channelId: 'c1', ageSec: 1 },
      { topic: 'inbound.accept', channelId: 'c2', ageSec: 2 },
    ]);
    const got = await claim(16, { busyKeys: [batchKey('inbound.accept', null, 'c1')] });
    expect(got).toEqual(others);
  });

  it('keeps each chat in order: its next job is due only once the one before is finished', async () => {
    const [first, second] = await add([
      { topic: 'inbound.deliver', channelId: 'c1', chat: 'in:1', ageSec: 20 },
      { topic: 'inbound.deliver', channelId: 'c1', chat: 'in:1', ageSec: 30 },
    ]);
    expect(await claim(10)).toEqual([first]);
    expect(await claim(10)).toEqual([]);
    expect(await completeJob(db, first!, 'w1')).toBe(true);
    expect(await claim(10)).toEqual([second]);
  });

  it('takes nothing due later or leased to a live worker, and takes back an expired lease', async () => {
    const [, , expired] = await add([
      { topic: 'a', ageSec: -60 },
      { topic: 'a', status: 'running' },
      { topic: 'a', status: 'running' },
    ]);
    await sql`UPDATE jobs SET locked_until = now() - interval '1 second' WHERE id = ${expired}`.execute(db);
    expect(await claim(10)).toEqual([expired]);
  });

  it('claims only the topics it is given, and only the batch it is filling', async () => {
    const [a1, b1, a2] = await add([
      { topic: 'a', channelId: 'c1' },
      { topic: 'b', channelId: 'c1' },
      { topic: 'a', channelId: 'c2' },
    ]);
    expect(await claim(10, { batchOf: { topic: 'a', portalId: null, channelId: 'c2' } })).toEqual([a2]);
    expect(await claim(10, { topics: ['b'] })).toEqual([b1]);
    expect(await claim(10, { topics: ['a', 'b'] })).toEqual([a1]);
  });
});
