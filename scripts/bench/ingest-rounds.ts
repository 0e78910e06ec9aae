/**
 * Phases 1 and 1b in alternating rounds: each round floods the ceiling route, then the app, with the
 * same N webhooks over the same connections, each flood starting on a quiet machine (the app's worker
 * has written the rows of every earlier flood, so it takes no CPU from the ceiling route's flood).
 * The app is quoted as the median of the rounds' ratios, with every round listed: on a 2-core
 * machine one flood's figure moves by a third from run to run, a ratio of neighbours much less.
 * Each app round also gives its end-to-end rate: distinct messages over the time from the flood's
 * start to the last message row written by the worker (what a flood longer than the worker's
 * deferral gets, docs/performance.md, "Ingest").
 */
import type pg from 'pg';
import type { CeilingRoute } from './ceiling.js';
import { N, say } from './common.js';
import { floodInbound, floodLine, ingestDrained, type FloodResult } from './ingest-flood.js';

/** Rounds of (ceiling flood, app flood) (BENCH_ROUNDS). */
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 3));

export interface IngestRound {
  ceiling: FloodResult;
  app: FloodResult;
  ratio: number;
  /** Distinct messages per second from the app flood's start to its last row written. */
  endToEndPerSec: number;
}

export interface IngestRounds {
  rounds: IngestRound[];
  /** The round whose ratio is the median: its app and ceiling floods are the headline figures. */
  median: IngestRound;
  /** Distinct messages the app acknowledged over all its floods. */
  acked: number;
}

export async function ingestRounds(
  pool: pg.Pool,
  callbackUrl: string,
  ceiling: CeilingRoute,
): Promise<IngestRounds> {
  say(`\n1. ${ROUNDS} rounds of ${N} inbound webhooks, ceiling route then app, each on a quiet machine …`);
  const rounds: IngestRound[] = [];
  for (let i = 1; i <= ROUNDS; i++) {
    await ingestDrained(pool);
    const c = await ceiling.flood(`ceiling${i}`);
    const t0 = Date.now();
    const app = await floodInbound(callbackUrl, N, `flood${i}`);
    await ingestDrained(pool);
    const endToEndPerSec = Math.round(app.uniqueAcked / ((Date.now() - t0) / 1000));
    const ratio = +(app.rps / c.rps).toFixed(2);
    say(
      `   app:           ${floodLine(app)}; rows written ${endToEndPerSec}/s end to end; app/ceiling ${ratio}`,
    );
    rounds.push({ ceiling: c, app, ratio, endToEndPerSec });
  }
  const sorted = [...rounds].sort((a, b) => a.ratio - b.ratio);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (!median) throw new Error('no ingest round ran');
  const acked = rounds.reduce((n, r) => n + r.app.uniqueAcked, 0);
  return { rounds, median, acked };
}
