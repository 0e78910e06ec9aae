/**
 * Phase 1 at a steady rate below the ceiling: the latency of the same webhooks when the app is not
 * saturated (at saturation, 64 open connections queue by construction: p99 ≥ 64 / throughput).
 */
import { PACED_RATE, say } from './common.js';
import { floodInbound, type FloodResult } from './ingest-flood.js';

export async function steadyLatency(callbackUrl: string): Promise<FloodResult> {
  const paced = await floodInbound(callbackUrl, PACED_RATE * 5, { tag: 'paced', rate: PACED_RATE });
  say(`   at a steady ${PACED_RATE}/s: p50 ${paced.p50} ms, p99 ${paced.p99} ms, non-2xx ${paced.non2xx}`);
  return paced;
}
