/**
 * Phase 1 at a steady rate below saturation: the latency of the same webhooks when the target is not
 * saturated (at saturation, 64 open connections queue by construction: p99 ≥ 64 / throughput). The
 * rate is half the app's own maximum from the flood (BENCH_PACED_RATE overrides it), and the ceiling
 * route gets the same rate in the same run, so the two p99s can be read side by side.
 */
import { PACED_RATE, say } from './common.js';
import { floodInbound, type FloodResult } from './ingest-flood.js';

export type PacedResult = FloodResult & { perSec: number };

export function pacedRate(appMaxRps: number): number {
  return PACED_RATE ?? Math.max(10, Math.round(appMaxRps / 2 / 10) * 10);
}

export async function steadyLatency(url: string, rate: number, tag: string): Promise<PacedResult> {
  const paced = await floodInbound(url, rate * 5, { tag, rate });
  say(`   ${tag} at a steady ${rate}/s: p50 ${paced.p50} ms, p99 ${paced.p99} ms, non-2xx ${paced.non2xx}`);
  return { perSec: rate, ...paced };
}
