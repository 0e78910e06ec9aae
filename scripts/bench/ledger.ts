/**
 * The ledger (issue 12): reserve + settle pairs per second through LedgerService as the app's own
 * database role, many connections at once, over a few seconds: spread over portals (as real traffic
 * is) and all on one portal (one balance row: the worst case, every pair waits for the one before).
 * The machine's ceiling right after each spread window (ROUNDS of them): the same loops doing two bare
 * one-row inserts (two durable commits, as a reserve and a settle are) per pair. Then the same race on a small balance, ours
 * against a naive read-then-write ledger (read the balance, check it in code, then write): ours
 * reserves exactly what was credited, the naive one overspends.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { BillingRepository } from '../../src/modules/billing/billing.repository.js';
import { LedgerService } from '../../src/modules/billing/ledger.service.js';
import { appLoginPassword, appLoginUrl } from '../../src/shared/db/app-role.js';
import { createDatabase } from '../../src/shared/db/database.js';
import { STACK_APP_SECRET } from '../stack.js';
import { pct, say } from './common.js';

const CONNECTIONS = Number(process.env.BENCH_LEDGER_CONNECTIONS ?? 32);
const WINDOW_MS = Number(process.env.BENCH_LEDGER_WINDOW_MS ?? 2_000);
const WARMUP_MS = Number(process.env.BENCH_LEDGER_WARMUP_MS ?? 500);
/**
 * Rounds of (ledger window, ceiling window), back to back: on a shared machine the ceiling moves by
 * 2× from one minute to the next, so each ledger window is compared with the ceiling measured right
 * after it, and the ratio quoted is the median of the rounds'.
 */
const ROUNDS = Math.max(1, Number(process.env.BENCH_LEDGER_ROUNDS ?? 3));
const PORTALS = 100;
/** Units credited for the race against the naive ledger. */
const RACE_UNITS = 500;

export interface ThroughputRun {
  portals: number;
  pairs: number;
  perSec: number;
  p50Ms: number;
  p99Ms: number;
}

export interface RaceResult {
  credited: number;
  reserved: number;
  finalBalance: number;
}

export interface LedgerResult {
  connections: number;
  windowMs: number;
  /** All rounds together (p50, p99: the median of the rounds'). */
  spread: ThroughputRun;
  onePortal: ThroughputRun;
  /** Two bare one-row commits per pair, same loops: what this machine allows at all. */
  ceiling: ThroughputRun;
  /** Per round: the ledger window's pairs/s ÷ the ceiling window's right after it. */
  ratios: number[];
  ratioMedian: number;
  negativeBalances: number;
  reconciliationRows: number;
  race: { ours: RaceResult; naive: RaceResult };
}

export async function ledgerPhase(adminUrl: string): Promise<LedgerResult> {
  const admin = quietPool(adminUrl, 2);
  const appUrl = await appLoginUrl(adminUrl, appLoginPassword(STACK_APP_SECRET));
  const { db } = createDatabase(appUrl, { max: CONNECTIONS });
  const ledger = new LedgerService(new BillingRepository(db));
  try {
    const portals = await newPortals(admin, PORTALS);
    for (const p of portals) {
      await ledger.credit({
        portalId: p,
        units: 10_000_000,
        validityDays: 30,
        provider: 'bench',
        eventId: randomUUID(),
      });
    }
    say(
      `\n   Ledger: reserve + settle pairs, ${CONNECTIONS} connections as the app's role, ${ROUNDS} rounds of ${WINDOW_MS} ms, each with the ceiling right after …`,
    );
    const ceilingLoops = await ceilingPairs(admin, adminUrl);
    const spreadRounds: ThroughputRun[] = [];
    const ceilingRounds: ThroughputRun[] = [];
    try {
      for (let i = 0; i < ROUNDS; i++) {
        const l = await pairs(ledger, portals);
        const c = await ceilingLoops.run();
        spreadRounds.push(l);
        ceilingRounds.push(c);
        say(
          `   round ${i + 1}: ledger over ${PORTALS} portals ${l.perSec}/s (p99 ${l.p99Ms} ms), ceiling ${c.perSec}/s: ${ratio(l, c)}`,
        );
      }
    } finally {
      await ceilingLoops.close();
    }
    const spread = together(spreadRounds);
    const ceiling = together(ceilingRounds);
    const ratios = spreadRounds.map((l, i) => ratio(l, ceilingRounds[i]!));
    const ratioMedian = median(ratios);
    say(
      `   spread over ${PORTALS} portals: ${spread.perSec}/s (p50 ${spread.p50Ms} ms, p99 ${spread.p99Ms} ms per pair); ceiling ${ceiling.perSec}/s; median ratio ${ratioMedian}`,
    );
    const onePortal = await pairs(ledger, portals.slice(0, 1));
    say(
      `   one portal (one balance row): ${onePortal.perSec}/s (p50 ${onePortal.p50Ms} ms, p99 ${onePortal.p99Ms} ms)`,
    );
    const [racer] = await newPortals(admin, 1);
    const ours = await raceOurs(ledger, racer!);
    const naive = await raceNaive(admin, adminUrl);
    say(
      `   race on ${RACE_UNITS} units: ours reserved ${ours.reserved} (balance ${ours.finalBalance}); naive read-then-write reserved ${naive.reserved} (balance ${naive.finalBalance})`,
    );
    const negativeBalances = await count(
      admin,
      'SELECT count(*) AS n FROM billing_balances WHERE available < 0 OR reserved < 0',
    );
    const reconciliationRows = await count(admin, 'SELECT count(*) AS n FROM billing_reconcile()');
    say(`   negative balances ${negativeBalances}, reconciliation rows ${reconciliationRows}`);
    return {
      connections: CONNECTIONS,
      windowMs: WINDOW_MS,
      spread,
      onePortal,
      ceiling,
      ratios,
      ratioMedian,
      negativeBalances,
      reconciliationRows,
      race: { ours, naive },
    };
  } finally {
    await db.destroy();
    await admin.end();
  }
}

/** A pool whose idle clients losing their server do not crash the process (as createDatabase's). */
function quietPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => undefined);
  return pool;
}

async function newPortals(admin: pg.Pool, n: number): Promise<number[]> {
  const r = await admin.query<{ id: string }>(
    `INSERT INTO portals (member_id, domain, client_endpoint, status)
     SELECT 'bench-' || gen_random_uuid(), 'bench' || g || '.bitrix24.es', 'https://bench.bitrix24.es/rest/', 'installed'
     FROM generate_series(1, $1) g RETURNING id`,
    [n],
  );
  return r.rows.map((x) => Number(x.id));
}

async function count(admin: pg.Pool, q: string): Promise<number> {
  return Number((await admin.query<{ n: string }>(q)).rows[0]?.n ?? 0);
}

/** As many reserve + settle pairs as CONNECTIONS loops do in the window, each on the next portal. */
async function pairs(ledger: LedgerService, portals: number[]): Promise<ThroughputRun> {
  const run = randomUUID().slice(0, 8);
  return timed(portals.length, async (n) => {
    const r = await ledger.reserve(portals[n % portals.length]!, `bench-${run}-${n}`);
    if (r.outcome !== 'reserved') throw new Error(`bench reserve: ${r.outcome}`);
    await ledger.settle(r.reservationId!);
  });
}

/** The same loops, two autocommit inserts of one row each per pair, in a table of their own. */
async function ceilingPairs(admin: pg.Pool, adminUrl: string) {
  await admin.query('CREATE TABLE IF NOT EXISTS bench_ceiling (id bigserial PRIMARY KEY, v int NOT NULL)');
  const pool = quietPool(adminUrl, CONNECTIONS);
  return {
    run: () =>
      timed(0, async (n) => {
        await pool.query({ name: 'ceiling', text: 'INSERT INTO bench_ceiling (v) VALUES ($1)', values: [n] });
        await pool.query({ name: 'ceiling', text: 'INSERT INTO bench_ceiling (v) VALUES ($1)', values: [n] });
      }),
    close: async () => {
      await pool.end();
      await admin.query('DROP TABLE bench_ceiling');
    },
  };
}

function ratio(l: ThroughputRun, c: ThroughputRun): number {
  return +(l.perSec / Math.max(1, c.perSec)).toFixed(2);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : +((s[m - 1]! + s[m]!) / 2).toFixed(2);
}

/** Rounds as one run: pairs over their time together; p50 and p99 the median of the rounds'. */
function together(runs: ThroughputRun[]): ThroughputRun {
  const pairsDone = runs.reduce((a, r) => a + r.pairs, 0);
  const secs = runs.reduce((a, r) => a + r.pairs / Math.max(1, r.perSec), 0);
  return {
    portals: runs[0]!.portals,
    pairs: pairsDone,
    perSec: Math.round(pairsDone / Math.max(secs, 1e-9)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
  };
}

/**
 * CONNECTIONS loops running `pair` for WARMUP_MS untimed (each connection's first calls plan their
 * statements and, for the ledger, compile its functions: a long-lived pool pays that once), then for
 * WINDOW_MS: pairs per second and each pair's latency.
 */
async function timed(portals: number, pair: (n: number) => Promise<void>): Promise<ThroughputRun> {
  const lat: number[] = [];
  let i = 0;
  const warm = performance.now() + WARMUP_MS;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < warm) await pair(i++);
    }),
  );
  const start = performance.now();
  const until = start + WINDOW_MS;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < until) {
        const t0 = performance.now();
        await pair(i++);
        lat.push(performance.now() - t0);
      }
    }),
  );
  const secs = (performance.now() - start) / 1000;
  const ms = (x: number) => +x.toFixed(1);
  return {
    portals,
    pairs: lat.length,
    perSec: Math.round(lat.length / secs),
    p50Ms: ms(pct(lat, 50)),
    p99Ms: ms(pct(lat, 99)),
  };
}

/** CONNECTIONS loops reserving one unit each until the balance says no. */
async function raceOurs(ledger: LedgerService, portal: number): Promise<RaceResult> {
  await ledger.credit({
    portalId: portal,
    units: RACE_UNITS,
    validityDays: 30,
    provider: 'bench',
    eventId: randomUUID(),
  });
  let reserved = 0;
  let n = 0;
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      for (;;) {
        const r = await ledger.reserve(portal, `race-${n++}`);
        if (r.outcome !== 'reserved') return;
        reserved++;
      }
    }),
  );
  const b = await ledger.balance(portal);
  return { credited: RACE_UNITS, reserved, finalBalance: b.available };
}

/**
 * The anti-pattern, for comparison: read the balance, decide in code, then decrement. Concurrent
 * readers all see the same balance and all go ahead. A table of its own, outside the app's schema.
 */
async function raceNaive(admin: pg.Pool, adminUrl: string): Promise<RaceResult> {
  await admin.query(
    'CREATE TABLE IF NOT EXISTS bench_naive_balance (id int PRIMARY KEY, available bigint NOT NULL)',
  );
  await admin.query(
    'INSERT INTO bench_naive_balance VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET available = $1',
    [RACE_UNITS],
  );
  const pool = quietPool(adminUrl, CONNECTIONS);
  let reserved = 0;
  try {
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        for (;;) {
          const { rows } = await pool.query<{ available: string }>(
            'SELECT available FROM bench_naive_balance WHERE id = 1',
          );
          if (Number(rows[0]?.available) < 1) return;
          await pool.query('UPDATE bench_naive_balance SET available = available - 1 WHERE id = 1');
          reserved++;
        }
      }),
    );
    const final = await count(admin, 'SELECT available AS n FROM bench_naive_balance WHERE id = 1');
    return { credited: RACE_UNITS, reserved, finalBalance: final };
  } finally {
    await pool.end();
    await admin.query('DROP TABLE bench_naive_balance');
  }
}
