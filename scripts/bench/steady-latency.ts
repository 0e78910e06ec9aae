/**
 * Phase 1 at a steady rate below saturation: the latency of the same webhooks when the target is not
 * saturated. The load is open-loop: request k is due at start + k / rate, evenly spaced, whatever the
 * answers do, and its latency is counted from when it was due (a request the generator or a busy
 * connection held back counts its wait). autocannon's own rate mode sends each second's quota as
 * fast as it can at the start of the second, which measures a burst a second, not a steady load.
 * The rate is half the app's own maximum (BENCH_PACED_RATE overrides it), and the ceiling route gets
 * the same rate in the same run, so the two p99s can be read side by side.
 */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { CONNECTIONS, PACED_RATE, pct, say } from './common.js';
import { WebhookSequence, type FloodResult } from './ingest-flood.js';

export type PacedResult = FloodResult & {
  perSec: number;
  p999: number;
  sendLateP99: number;
  /** The run's message ids: another run given it posts the same messages again (Gupshup's retries). */
  idTag: string;
};

/** How long the steady phase lasts (BENCH_PACED_SECONDS). */
const SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 8);

export function pacedRate(appMaxRps: number): number {
  return PACED_RATE ?? Math.max(10, Math.round(appMaxRps / 2 / 10) * 10);
}

export async function steadyLatency(
  url: string,
  rate: number,
  tag: string,
  repeatOf?: string,
): Promise<PacedResult> {
  const u = new URL(url);
  const pool = new Pool(u.origin, { connections: CONNECTIONS, pipelining: 1 });
  // Message ids of their own in every run, unless it is to repeat an earlier run's messages.
  const idTag = repeatOf ?? `${tag.replace(/\W+/g, '-')}-${rate}-${Date.now()}`;
  const bodies = new WebhookSequence(idTag);
  const n = Math.round(rate * SECONDS);
  const latencies: number[] = [];
  /** How late the generator itself sent each request (its own event loop, not the route). */
  const lateness: number[] = [];
  let failed = 0;
  const start = performance.now() + 10;
  let sent = 0;
  await new Promise<void>((resolve) => {
    let settled = 0;
    const tick = (): void => {
      const now = performance.now();
      while (sent < n && start + (sent * 1000) / rate <= now) {
        const due = start + (sent * 1000) / rate;
        lateness.push(now - due);
        sent++;
        pool
          .request({
            path: u.pathname,
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: bodies.next(),
          })
          .then(async (res) => {
            await res.body.dump();
            if (res.statusCode >= 300) failed++;
            else latencies.push(performance.now() - due);
          })
          .catch(() => failed++)
          .finally(() => {
            if (++settled === n) resolve();
          });
      }
      if (sent < n) setTimeout(tick, 1);
    };
    tick();
  });
  const elapsed = (performance.now() - start) / 1000;
  await pool.close();
  const ms = (p: number) => +pct(latencies, p).toFixed(1);
  const r: PacedResult = {
    perSec: rate,
    rps: n / elapsed,
    total: n,
    p50: ms(50),
    p99: ms(99),
    p999: ms(99.9),
    sendLateP99: +pct(lateness, 99).toFixed(1),
    idTag,
    non2xx: failed,
    uniqueAcked: failed === 0 ? bodies.unique : NaN,
  };
  say(
    `   ${tag} at a steady ${rate}/s (open loop, ${SECONDS} s): p50 ${r.p50} ms, p99 ${r.p99} ms, p99.9 ${r.p999} ms, non-2xx ${r.non2xx} (sent late by the generator: p99 ${r.sendLateP99} ms)`,
  );
  return r;
}
