/** The bench's knobs (environment variables) and the small helpers every phase shares. */
import { performance } from 'node:perf_hooks';
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

/**
 * Requests per second over an autocannon run, timed here from its first request made (`started`, in
 * `setupRequest`) to its last answer (`answered`, in `onResponse`): autocannon's own start/finish
 * span ends at its next one-second sample after the last answer, which on a run of a few seconds
 * moves the rate by up to a quarter.
 */
export class RequestSpan {
  #first = NaN;
  #last = NaN;

  started(): void {
    if (Number.isNaN(this.#first)) this.#first = performance.now();
  }

  answered(): void {
    this.#last = performance.now();
  }

  perSecond(res: autocannon.Result): number {
    return res.requests.total / ((this.#last - this.#first) / 1000);
  }
}

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
