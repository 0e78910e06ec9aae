import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectChannel, installAndToken, type DemoChannel } from '../../scripts/stack.js';
import {
  ACCEPT_TOPIC,
  IngestRepository,
  type RawInbound,
} from '../../src/modules/messaging/inbound/ingest.repository.js';
import { Coalescer } from '../../src/shared/db/coalesce.js';
import { useStack } from '../helpers/stack.js';
import { postGupshupCallback } from '../helpers/gupshup-callback.js';

/**
 * The webhook's group commit (shared/db/coalesce.ts, inbound/ingest.repository.ts): concurrent
 * customer messages share one insert statement, each answered only once that statement committed. A
 * statement that fails mid-batch must neither acknowledge an event it did not store nor fail the
 * others, and nothing may be stored twice. The failure is PostgreSQL's own: a trigger that refuses
 * the rows whose text starts with "poison".
 */
describe('coalesced webhook inserts', () => {
  // A pool of two: one webhook statement at a time, so the burst's webhooks queue and share statements.
  const s = useStack({ worker: false, overrides: { dbPoolMax: 2 } });
  let ch: DemoChannel;
  let portalId: number;
  /** The database's owner: the app's own role may not create triggers. */
  let owner: pg.Client;
  beforeAll(async () => {
    const admin = new URL(inject('pgAdminUrl'));
    admin.pathname = `/${(await s.deps.db.selectNoFrom(sql<string>`current_database()`.as('d')).executeTakeFirstOrThrow()).d}`;
    owner = new pg.Client({ connectionString: admin.toString() });
    await owner.connect();
    const token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
    await s.deps.worker.drain();
    const row = await s.deps.db
      .selectFrom('channels')
      .select('portal_id')
      .where('id', '=', ch.id)
      .executeTakeFirstOrThrow();
    portalId = row.portal_id;
  });

  afterAll(() => owner.end());

  const poison = async (on: boolean) => {
    await owner.query('DROP TRIGGER IF EXISTS poison_accept ON jobs');
    if (!on) return;
    await owner.query(`CREATE OR REPLACE FUNCTION poison_accept() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.payload->'content'->>'text' LIKE 'poison%' THEN RAISE EXCEPTION 'poisoned row'; END IF;
        RETURN NEW;
      END $$`);
    await owner.query(
      'CREATE TRIGGER poison_accept BEFORE INSERT ON jobs FOR EACH ROW EXECUTE FUNCTION poison_accept()',
    );
  };
  afterEach(() => poison(false));

  const event = (waMessageId: string, text: string, phone = '5491100009001'): RawInbound => ({
    portalId,
    channelId: ch.id,
    phone,
    name: null,
    atMs: Date.now(),
    type: 'text',
    content: { text, payload: { text }, name: null },
    waMessageId,
    receivedDetail: 'text',
    hasMedia: false,
  });

  /** How often each event's job is stored, by WhatsApp id. */
  const storedJobs = async (prefix: string) => {
    const rows = await s.deps.db
      .selectFrom('jobs')
      .select(sql<string>`payload->>'waMessageId'`.as('wa'))
      .where('topic', '=', ACCEPT_TOPIC)
      .where(sql<boolean>`payload->>'waMessageId' LIKE ${`${prefix}%`}`)
      .execute();
    const n = new Map<string, number>();
    for (const r of rows) n.set(r.wa, (n.get(r.wa) ?? 0) + 1);
    return n;
  };

  const settle = <T>(ps: Array<Promise<T>>) => Promise.allSettled(ps);

  /** `duplicate_ignored` trace rows on each stored message, by WhatsApp id. */
  const duplicateTraces = async (prefix: string) => {
    const rows = await s.deps.db
      .selectFrom('trace')
      .innerJoin('messages', 'messages.id', 'trace.message_id')
      .select(['messages.wa_message_id as wa', (eb) => eb.fn.countAll<string>().as('n')])
      .where('trace.step', '=', 'duplicate_ignored')
      .where('messages.wa_message_id', 'like', `${prefix}%`)
      .groupBy('messages.wa_message_id')
      .execute();
    const byId: Record<string, number> = {};
    for (const r of rows) byId[String(r.wa)] = Number(r.n);
    return byId;
  };

  it('answers each event of a failed batch by its own outcome: stored ones true, refused ones rejected, none twice', async () => {
    const repo = new IngestRepository(s.deps.db);
    const c = new Coalescer({
      write: (e: RawInbound[]) => repo.insertAccepted(e),
      maxBatch: 100,
      maxInFlight: 1,
    });
    await poison(true);
    const events = Array.from({ length: 30 }, (_, i) =>
      event(
        `wamid.co1.${i}`,
        i % 10 === 3 ? 'poison' : `hola ${i}`,
        `54911000090${String(i).padStart(2, '0')}`,
      ),
    );
    // Submitted in one turn: one batch, whose statement fails on the three poisoned rows.
    const first = await settle(events.map((e) => c.submit(e)));
    expect(c.stats.failedBatches).toBe(1);
    let stored = await storedJobs('wamid.co1.');
    for (const [i, r] of first.entries()) {
      const wa = `wamid.co1.${i}`;
      if (i % 10 === 3) {
        expect(r.status).toBe('rejected');
        expect(stored.get(wa)).toBeUndefined();
      } else {
        expect(r).toEqual({ status: 'fulfilled', value: true });
        expect(stored.get(wa)).toBe(1);
      }
    }
    // Gupshup retries every event (the acknowledged ones too, as it may): each is stored exactly once.
    await poison(false);
    const again = await settle(events.map((e) => c.submit(e)));
    expect(again.map((r) => (r.status === 'fulfilled' ? r.value : 'rejected'))).toEqual(
      events.map((_, i) => i % 10 === 3),
    );
    stored = await storedJobs('wamid.co1.');
    expect(stored.size).toBe(30);
    expect([...stored.values()].every((n) => n === 1)).toBe(true);
  });

  it('stores an event posted twice within one batch once, and says which of the two was stored', async () => {
    const repo = new IngestRepository(s.deps.db);
    const c = new Coalescer({
      write: (e: RawInbound[]) => repo.insertAccepted(e),
      maxBatch: 100,
      maxInFlight: 1,
    });
    const results = await Promise.all([
      c.submit(event('wamid.co2.a', 'uno')),
      c.submit(event('wamid.co2.b', 'dos', '5491100009101')),
      c.submit(event('wamid.co2.a', 'uno')),
    ]);
    expect(c.stats.statements).toBe(1);
    expect(results).toEqual([true, true, false]);
    expect(Object.fromEntries(await storedJobs('wamid.co2.'))).toEqual({
      'wamid.co2.a': 1,
      'wamid.co2.b': 1,
    });
  });

  const post = (id: string, text: string, phone: string) =>
    postGupshupCallback(ch.callbackUrl, ch.appName, 'message', {
      id,
      source: phone,
      type: 'text',
      payload: { text },
      sender: { phone, name: 'Cliente' },
    });

  it('over HTTP: a burst with refused rows acknowledges only what it stored; the retries deliver every message once', async () => {
    await poison(true);
    const burst = Array.from({ length: 40 }, (_, i) => ({
      id: `wamid.co3.${i}`,
      text: i % 8 === 5 ? 'poison' : `mensaje ${i}`,
      phone: `54911000092${String(i % 20).padStart(2, '0')}`,
    }));
    const statuses = await Promise.all(burst.map((b) => post(b.id, b.text, b.phone)));
    const stored = await storedJobs('wamid.co3.');
    for (const [i, st] of statuses.entries()) {
      const b = burst[i];
      if (!b) continue;
      // Acknowledged ⇔ stored: a 2xx for an event not stored would lose it (Gupshup does not retry).
      expect({ id: b.id, acked: st === 200, stored: stored.get(b.id) ?? 0 }).toEqual({
        id: b.id,
        acked: b.text !== 'poison',
        stored: b.text === 'poison' ? 0 : 1,
      });
      if (b.text === 'poison') expect(st).toBeGreaterThanOrEqual(500);
    }
    await poison(false);
    const retried = await Promise.all(burst.map((b) => post(b.id, b.text, b.phone)));
    expect(retried.every((st) => st === 200)).toBe(true);
    await s.deps.worker.drain();
    const inBitrix = s.portal
      .messages({ author: 'customer' })
      .filter((m) => m.externalChatId.startsWith('54911000092'));
    expect(inBitrix.map((m) => m.text).sort()).toEqual(burst.map((b) => b.text).sort());
    const rows = await s.deps.db
      .selectFrom('messages')
      .select(['wa_message_id', 'status'])
      .where('direction', '=', 'in')
      .where('wa_message_id', 'like', 'wamid.co3.%')
      .execute();
    expect(rows).toHaveLength(40);
    expect(new Set(rows.map((r) => r.wa_message_id)).size).toBe(40);
    expect(rows.every((r) => r.status === 'delivered')).toBe(true);
  });

  it('over HTTP: a retry storm (each message posted again and again at once) is counted once per repeat, on the open job, then on the message', async () => {
    const ids = Array.from({ length: 5 }, (_, i) => ({
      id: `wamid.co4.${i}`,
      phone: `54911000094${String(i).padStart(2, '0')}`,
    }));
    expect(await Promise.all(ids.map((m) => post(m.id, 'hola', m.phone)))).toEqual(ids.map(() => 200));
    // Six repeats of each, all at once: the jobs are still open (the worker is off), so the counts ride on them.
    const storm = ids.flatMap((m) => Array.from({ length: 6 }, () => post(m.id, 'hola', m.phone)));
    expect(await Promise.all(storm)).toEqual(storm.map(() => 200));
    const counts = await s.deps.db
      .selectFrom('jobs')
      .select([
        sql<string>`payload->>'waMessageId'`.as('wa'),
        sql<number>`(payload->>'duplicates')::int`.as('n'),
      ])
      .where('topic', '=', ACCEPT_TOPIC)
      .where(sql<boolean>`payload->>'waMessageId' LIKE 'wamid.co4.%'`)
      .execute();
    expect(Object.fromEntries(counts.map((r) => [r.wa, r.n]))).toEqual(
      Object.fromEntries(ids.map((m) => [m.id, 6])),
    );
    await s.deps.worker.drain();
    // Three more of each once the messages are written: traced on the messages at once.
    const late = ids.flatMap((m) => Array.from({ length: 3 }, () => post(m.id, 'hola', m.phone)));
    expect(await Promise.all(late)).toEqual(late.map(() => 200));
    expect(await duplicateTraces('wamid.co4.')).toEqual(Object.fromEntries(ids.map((m) => [m.id, 9])));
    const stored = await storedJobs('wamid.co4.');
    expect([...stored.values()]).toEqual([1, 1, 1, 1, 1]);
  });
  it('over HTTP: repeats of a message whose job the worker is writing wait for it alone, not the other repeats; each is traced on its message once', async () => {
    const held = { id: 'wamid.co5.held', phone: '5491100009500' };
    const free = { id: 'wamid.co5.free', phone: '5491100009501' };
    expect([await post(held.id, 'hola', held.phone), await post(free.id, 'hola', free.phone)]).toEqual([
      200, 200,
    ]);
    // The worker's statement holds the job's row (as materialize does while it writes the rows).
    const worker = await owner.query('BEGIN').then(() => owner);
    await worker.query(`SELECT id FROM jobs WHERE payload->>'waMessageId' = $1 FOR UPDATE`, [held.id]);
    let heldAnswered = 0;
    const heldRepeats = Array.from({ length: 4 }, () =>
      post(held.id, 'hola', held.phone).then((st) => {
        heldAnswered++;
        return st;
      }),
    );
    // Posted in the same moment, so they share the counting statements with the held ones.
    const freeRepeats = Array.from({ length: 4 }, () => post(free.id, 'hola', free.phone));
    expect(await Promise.all(freeRepeats)).toEqual([200, 200, 200, 200]);
    expect(heldAnswered).toBe(0);
    // The statement ends (here without writing; the worker then does the job): the held repeats go on.
    await worker.query('ROLLBACK');
    await s.deps.worker.drain();
    expect(await Promise.all(heldRepeats)).toEqual([200, 200, 200, 200]);
    expect(await duplicateTraces('wamid.co5.')).toEqual({
      [held.id]: 4,
      [free.id]: 4,
    });
    const unlinked = await s.deps.db
      .selectFrom('trace')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('step', '=', 'duplicate_ignored')
      .where('message_id', 'is', null)
      .executeTakeFirstOrThrow();
    expect(Number(unlinked.n)).toBe(0);
    expect([...(await storedJobs('wamid.co5.')).values()]).toEqual([1, 1]);
  });
});
