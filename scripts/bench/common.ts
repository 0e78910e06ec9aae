/** The bench's knobs (environment variables) and the small helpers every phase shares. */
import type autocannon from 'autocannon';
import type pg from 'pg';

export const N = Number(process.env.BENCH_REQUESTS ?? 20_000);
export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
/** The steady rate of the latency phase; unset: half the app's own maximum, measured in the same run. */
export const PACED_RATE = process.env.BENCH_PACED_RATE ? Number(process.env.BENCH_PACED_RATE) : undefined;
/** DB_POOL_MAX of the app process and the ceiling route's pool. */
export const POOL_MAX = Number(process.env.BENCH_POOL_MAX ?? 20);
export const OUTBOUND = Number(process.env.BENCH_OUTBOUND ?? 300);
export const OUTBOUND_RATE = Number(process.env.BENCH_OUTBOUND_RATE ?? 15);
export const RELAY_WINDOW_MS = Number(process.env.BENCH_RELAY_WINDOW_MS ?? 20_000);

export const say = (s = '') => process.stdout.write(`${s}\n`);

export const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN) : NaN;
};

/** Requests per second over an autocannon run, from its first request to its last answer. */
export const perSecond = (res: autocannon.Result) =>
  res.requests.total / ((res.finish.getTime() - res.start.getTime()) / 1000);

export async function count(pool: pg.Pool, query: string): Promise<number> {
  return Number((await pool.query<{ n: string }>(query)).rows[0]?.n ?? 0);
}

export async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
