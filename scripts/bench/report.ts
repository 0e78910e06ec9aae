/** The run's figures as JSON in bench/results/, and as a table next to SPEC.md's targets. */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import type { BaselineResult } from './baseline.js';
import { campaignRow, type CampaignResult } from './campaign.js';
import { CONNECTIONS, N, OUTBOUND, OUTBOUND_RATE, POOL_MAX, RELAY_WINDOW_MS, say } from './common.js';
import type { IngestRounds } from './ingest-rounds.js';
import type { LedgerResult } from './ledger.js';
import { outboundRows, type OutboundResult } from './outbound.js';
import type { RelayWindow } from './relay.js';
import type { PacedResult } from './steady-latency.js';

export interface BenchFigures {
  coldStartMs: number;
  ingest: IngestRounds;
  kept: { stored: number; lost: number; dupRows: number };
  paced: PacedResult;
  ceilingPaced: PacedResult;
  /** Both routes at half the ceiling route's maximum (where the bare route is at half load). */
  atMachineHalf: { app: PacedResult; ceiling: PacedResult };
  /** Both routes at half the rows/s the app writes end to end (a load its worker keeps up with). */
  atSustainedHalf: { app: PacedResult; ceiling: PacedResult };
  /** The app at the same rate with every webhook a repeat of one it already stored. */
  storm: PacedResult;
  baseline: BaselineResult;
  relay: { batched: RelayWindow; oneCallPerMessage: RelayWindow };
  outbound: OutboundResult;
  ledger: LedgerResult;
  campaign: CampaignResult;
  peakRssMb: number;
  rssByProcessMb: number[];
}

function benchResult(f: BenchFigures) {
  const { stored, lost, dupRows } = f.kept;
  return {
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    coldStartMs: f.coldStartMs,
    // The round with the median app/ceiling ratio; every round below.
    inbound: {
      requests: N,
      connections: CONNECTIONS,
      ...f.ingest.median.app,
      endToEndPerSec: f.ingest.median.endToEndPerSec,
      stored,
      lost,
      duplicatedRows: dupRows,
    },
    // The machine's own ceiling in this run: the same flood against a bare insert-one-row route.
    inboundCeiling: f.ingest.median.ceiling,
    inboundOfCeiling: f.ingest.median.ratio,
    inboundRounds: f.ingest.rounds.map((r) => ({
      appPerSec: Math.round(r.app.rps),
      ceilingPerSec: Math.round(r.ceiling.rps),
      ratio: r.ratio,
      appP99: r.app.p99,
      ceilingP99: r.ceiling.p99,
      endToEndPerSec: r.endToEndPerSec,
    })),
    dbPoolMax: POOL_MAX,
    // Both at half the app's own maximum rate: the app's p99, and what the bare route gets on this disk.
    inboundPaced: f.paced,
    inboundCeilingPaced: f.ceilingPaced,
    inboundAtCeilingHalf: f.atMachineHalf,
    inboundAtSustainedHalf: f.atSustainedHalf,
    inboundRetryStorm: f.storm,
    inboundBaseline: f.baseline,
    inboundRatio: +(f.ingest.median.app.rps / f.baseline.rps).toFixed(1),
    relay: {
      windowMs: RELAY_WINDOW_MS,
      batched: f.relay.batched,
      oneCallPerMessage: f.relay.oneCallPerMessage,
      ratio: +(f.relay.batched.perSec / Math.max(0.1, f.relay.oneCallPerMessage.perSec)).toFixed(1),
    },
    outbound: { messages: OUTBOUND, perSec: OUTBOUND_RATE, ...f.outbound },
    ledger: f.ledger,
    campaign: f.campaign,
    peakRssMb: f.peakRssMb,
    // Flood + batched relay, one-call-per-message relay, outbound: one app process each.
    rssByProcessMb: f.rssByProcessMb,
    targets: {
      inboundPerSec: 3000,
      inboundP99Ms: 25,
      relayPerSecPerPortal: 50,
      outboundP50Ms: 20,
      rssMb: 200,
      coldStartMs: 5000,
      ledgerPairsPerSec: 2000,
      campaignOfAllowed: 0.95,
    },
  };
}

function printTable(r: ReturnType<typeof benchResult>): void {
  const { inbound, inboundBaseline: baseline, inboundPaced: paced, outbound } = r;
  const { batched: relay, oneCallPerMessage: relayBaseline } = r.relay;
  say('\n| measure | result | baseline | ratio | target |');
  say('|---|---|---|---|---|');
  say(
    `| inbound webhooks accepted/s | ${inbound.rps.toFixed(0)} | ${baseline.rps.toFixed(1)} | ${r.inboundRatio}× | ≥ 3000 |`,
  );
  const rounds = r.inboundRounds;
  say(
    `| machine ceiling: bare insert-one-row route, same flood | ${r.inboundCeiling.rps.toFixed(0)}/s, p99 ${r.inboundCeiling.p99} ms | | app = ${r.inboundOfCeiling} of it (median of ${rounds.length} rounds: ${rounds.map((x) => x.ratio).join(', ')}) | ≥ 0.8 |`,
  );
  say(
    `| inbound rows written end to end (flood start → last row) | ${rounds.map((x) => `${x.endToEndPerSec}/s`).join(', ')} | | | |`,
  );
  say(
    `| inbound p50 / p99 latency | ${inbound.p50} / ${inbound.p99} ms | ${baseline.p50} / ${baseline.p99} ms | | p99 ≤ 25 ms |`,
  );
  say(
    `| inbound p50 / p99 at a steady ${paced.perSec}/s, open loop (half the app's max) | ${paced.p50} / ${paced.p99} ms | ceiling route: ${r.inboundCeilingPaced.p50} / ${r.inboundCeilingPaced.p99} ms | | p99 ≤ 25 ms |`,
  );
  const half = r.inboundAtCeilingHalf;
  say(
    `| inbound p50 / p99 at a steady ${half.app.perSec}/s (half the ceiling route's max) | ${half.app.p50} / ${half.app.p99} ms | ceiling route: ${half.ceiling.p50} / ${half.ceiling.p99} ms | | |`,
  );
  const sustained = r.inboundAtSustainedHalf;
  say(
    `| inbound p50 / p99 at a steady ${sustained.app.perSec}/s (half the rows/s written end to end: a load the worker keeps up with) | ${sustained.app.p50} / ${sustained.app.p99} ms | ceiling route: ${sustained.ceiling.p50} / ${sustained.ceiling.p99} ms | | |`,
  );
  const storm = r.inboundRetryStorm;
  say(
    `| inbound p50 / p99, the same rate, every webhook a repeat (Gupshup retrying) | ${storm.p50} / ${storm.p99} ms, non-2xx ${storm.non2xx} | | | |`,
  );
  say(
    `| inbound lost / duplicated | ${inbound.lost} / ${inbound.duplicatedRows} | ${baseline.refused} undelivered | | 0 / 0 |`,
  );
  say(
    `| msgs/s into a portal limited to 2 req/s | ${relay.perSec} | ${relayBaseline.perSec} (one call each) | ${r.relay.ratio}× | ≥ 50 |`,
  );
  say(
    `| Bitrix24 refusals (QUERY_LIMIT_EXCEEDED) | ${relay.refusedByBitrix24} | ${relayBaseline.refusedByBitrix24} | | 0 |`,
  );
  for (const line of outboundRows(outbound)) say(line);
  say(`| peak RSS of the app | ${r.peakRssMb} MB | | | ≤ 200 MB |`);
  say(`| cold start to ready | ${r.coldStartMs} ms | | | ≤ 5000 ms |`);
  for (const row of ledgerRows(r.ledger)) say(row);
  say(campaignRow(r.campaign));
}

/** The ledger phase's rows of the table (ledger.ts). */
function ledgerRows(l: LedgerResult): string[] {
  const { ours, naive } = l.race;
  return [
    `| ledger reserve + settle pairs/s, ${l.spread.portals} portals | ${l.spread.perSec} (p99 ${l.spread.p99Ms} ms) | | | ≥ 2000 |`,
    `| ledger pairs/s, one portal (one balance row) | ${l.onePortal.perSec} (p99 ${l.onePortal.p99Ms} ms) | | | |`,
    `| machine ceiling: two bare one-row commits per pair, same loops | ${l.ceiling.perSec}/s (p99 ${l.ceiling.p99Ms} ms) | | ledger = ${l.ratioMedian} of it (median of ${l.ratios.length} rounds: ${l.ratios.join(', ')}) | |`,
    `| reserved of ${ours.credited} credited, ${l.connections} racing | ${ours.reserved} (balance ${ours.finalBalance}) | ${naive.reserved} (balance ${naive.finalBalance}) naive read-then-write | | = credited, ≥ 0 |`,
    `| negative balances / reconciliation rows | ${l.negativeBalances} / ${l.reconciliationRows} | | | 0 / 0 |`,
  ];
}

/**
 * `BENCH_ONLY=<phase>`: one phase alone, its figures as JSON in bench/results/ (`<time>-<phase>.json`)
 * and its rows of the table.
 */
export async function writePhaseReport(
  phase: string,
  figures: Record<string, unknown>,
  targets: Record<string, number>,
  rows: string[],
): Promise<void> {
  const at = new Date().toISOString();
  await mkdir('bench/results', { recursive: true });
  const file = `bench/results/${at.replace(/[:.]/g, '-')}-${phase}.json`;
  const result = { at, machine: { cpus: cpus().length, node: process.version }, ...figures, targets };
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  say('\n| measure | result | baseline | ratio | target |');
  say('|---|---|---|---|---|');
  for (const row of rows) say(row);
  say(`\nWritten to ${file}`);
}

/** `BENCH_ONLY=ledger`: the ledger phase alone. */
export async function writeLedgerReport(ledger: LedgerResult): Promise<void> {
  await writePhaseReport('ledger', { ledger }, { ledgerPairsPerSec: 2000 }, ledgerRows(ledger));
}

export async function writeReport(f: BenchFigures): Promise<void> {
  const result = benchResult(f);
  await mkdir('bench/results', { recursive: true });
  const file = `bench/results/${result.at.replace(/[:.]/g, '-')}.json`;
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  printTable(result);
  say(`\nWritten to ${file}`);
}
