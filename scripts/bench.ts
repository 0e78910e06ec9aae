/**
 * `npm run bench`: measures the app on this machine against the sandboxes on loopback and writes JSON
 * to bench/results/. The app runs as its own process (`src/server.ts`, as `npm start` runs it) so its
 * memory is its own; the load generator (autocannon) and the sandboxes run here. One file per phase
 * in scripts/bench/:
 *
 * 1. Inbound webhooks durably accepted (ingest-rounds.ts, ingest-flood.ts): rounds of N Gupshup
 *    callbacks (5 % of them duplicates of an earlier one), each round against the machine's ceiling
 *    (1b) and then the app, each flood on a quiet machine; accepted/s, latency p50/p99, the app as a
 *    fraction of the ceiling (median of the rounds), rows written end to end; then both at a steady
 *    open-loop rate of half the app's maximum (steady-latency.ts); then lost (acknowledged but not
 *    stored) and duplicated rows. Baseline in the same run (baseline.ts): a naive connector that
 *    relays to Bitrix24 before answering.
 * 2. Relay to a rate-limited portal (relay.ts; the sandbox enforces Bitrix24's 2 req/s, burst 50):
 *    customer messages delivered per second from the backlog of step 1, batched
 *    (INBOUND_BATCH_SIZE=50), and the same app restarted with one message per call
 *    (INBOUND_BATCH_SIZE=1) as the baseline, each over the same window on the same backlog.
 * 3. Outbound (outbound.ts): operator event received → Gupshup request started, p50/p99, the replies
 *    at a steady rate spread over several portals (each under its Bitrix24 budget), and the same to
 *    one portal (the floor its 2 req/s budget sets on the read-back).
 * 4. Peak resident memory of the app processes (VmHWM) and cold start to ready (app-process.ts).
 * 1b. The machine's ceiling in the same run (ceiling.ts): the same flood against a bare route that
 *    only inserts one row per request into the same PostgreSQL with the same pool size, in every
 *    round of phase 1; the app is quoted as a fraction of it. Both get the steady phase.
 * 5. The ledger (ledger.ts): reserve + settle pairs per second through LedgerService as the app's
 *    role, spread over portals and on one portal; then a race on a small balance against a naive
 *    read-then-write ledger, which overspends. `BENCH_ONLY=ledger npm run bench` runs only this one.
 * 6. A campaign (campaign.ts): 10,000 rows through the dispatcher and the templates send service to
 *    the sandbox Gupshup, achieved rate against the allowed rate, exactly once per number, peak RSS.
 *    `BENCH_ONLY=campaign npm run bench` runs only this one (knobs BENCH_CAMPAIGN_ROWS,
 *    BENCH_CAMPAIGN_PER_SEC).
 * 3 (outbound) also runs alone: `BENCH_ONLY=outbound npm run bench` (knob BENCH_OUTBOUND_PORTALS).
 * No assertion here: the figures are reported (report.ts), compared with SPEC.md's targets.
 *
 * `BENCH_ONLY=ingest` runs phase 1 and 1b only (prints, writes nothing).
 * Knobs (common.ts): BENCH_REQUESTS, BENCH_CONNECTIONS, BENCH_PACED_RATE, BENCH_POOL_MAX, BENCH_RELAY_WINDOW_MS,
 * BENCH_ROUNDS (ingest-rounds.ts), BENCH_PACED_SECONDS (steady-latency.ts),
 * BENCH_OUTBOUND, BENCH_OUTBOUND_RATE; ledger.ts: BENCH_LEDGER_CONNECTIONS, BENCH_LEDGER_WINDOW_MS. A smoke run of a few seconds, not a measure:
 *   BENCH_REQUESTS=200 BENCH_CONNECTIONS=4 BENCH_PACED_RATE=20 BENCH_RELAY_WINDOW_MS=1000 \
 *   BENCH_OUTBOUND=5 npm run bench
 */
import { inboundBaseline } from './bench/baseline.js';
import { campaignEnv, campaignOnly, campaignPhase } from './bench/campaign.js';
import { CeilingRoute } from './bench/ceiling.js';
import { POOL_MAX, say } from './bench/common.js';
import { ingestDrained, ingestKept } from './bench/ingest-flood.js';
import { ingestRounds } from './bench/ingest-rounds.js';
import { ledgerPhase } from './bench/ledger.js';
import { outboundLatency, outboundOnly } from './bench/outbound.js';
import { relayUnderRateLimit } from './bench/relay.js';
import { writeLedgerReport, writeReport } from './bench/report.js';
import { benchDatabase, benchStack, installChannel } from './bench/setup.js';
import { pacedRate, steadyLatency } from './bench/steady-latency.js';

async function main(): Promise<void> {
  if (process.env.BENCH_ONLY === 'campaign') {
    await campaignOnly();
    return;
  }
  if (process.env.BENCH_ONLY === 'outbound') {
    await outboundOnly();
    return;
  }
  const db = await benchDatabase();
  if (process.env.BENCH_ONLY === 'ledger') {
    try {
      await writeLedgerReport(await ledgerPhase(db.url));
    } finally {
      await db.embedded?.stop();
    }
    return;
  }
  const stack = await benchStack(db);
  const { portal, gupshup, url, env, apps, pool } = stack;
  const ceilingRoute = await CeilingRoute.start(db.url, POOL_MAX);
  try {
    say(`App ready in ${apps.coldStartMs} ms (pid ${apps.pid ?? '?'})`);
    const ch = await installChannel(url, portal, gupshup);
    const ingest = await ingestRounds(pool, ch.callbackUrl, ceilingRoute);
    // Half the app's maximum (the target's rate), and half the ceiling route's: where the bare route
    // itself is at half load, so the two p99s say what the app adds to what the machine allows.
    const rate = pacedRate(ingest.median.app.rps);
    const machineRate = pacedRate(ingest.median.ceiling.rps);
    await ingestDrained(pool);
    const ceilingPaced = await steadyLatency(ceilingRoute.url, rate, 'ceiling route');
    const paced = await steadyLatency(ch.callbackUrl, rate, 'app');
    await ingestDrained(pool);
    const ceilingAtMachineHalf = await steadyLatency(ceilingRoute.url, machineRate, 'ceiling route');
    const appAtMachineHalf = await steadyLatency(ch.callbackUrl, machineRate, 'app');
    // Half of what the app writes end to end (its rows, not only its answers): a load the whole
    // pipeline keeps up with, where its worker is not writing a growing backlog beside the webhooks.
    const sustainedRate = pacedRate(ingest.median.endToEndPerSec);
    await ingestDrained(pool);
    const ceilingAtSustainedHalf = await steadyLatency(ceilingRoute.url, sustainedRate, 'ceiling route');
    const appAtSustainedHalf = await steadyLatency(ch.callbackUrl, sustainedRate, 'app');
    await ingestDrained(pool);
    // Gupshup posting every one of those messages again (a retry storm after an outage of ours).
    const storm = await steadyLatency(
      ch.callbackUrl,
      machineRate,
      'app, every webhook a repeat',
      appAtMachineHalf.idTag,
    );
    await ceilingRoute.stop();
    const kept = await ingestKept(
      pool,
      ingest.acked + paced.uniqueAcked + appAtMachineHalf.uniqueAcked + appAtSustainedHalf.uniqueAcked,
    );
    if (process.env.BENCH_ONLY === 'ingest') {
      say(`peak RSS of the app so far: ${apps.peakRssMb()} MB`);
      return;
    }
    const baseline = await inboundBaseline(portal);
    const relay = await relayUnderRateLimit(pool, portal, apps, env);
    const outbound = await outboundLatency(url, pool, portal, gupshup);
    const ledger = await ledgerPhase(db.url);
    // Last: the campaign needs the app with the channel's budget and tier raised (campaign.ts).
    await apps.restart(campaignEnv(env));
    const campaign = await campaignPhase({ url, pool, gupshup, ch, pid: apps.pid });
    const peakRssMb = apps.peakRssMb();
    const { coldStartMs, rssByProcessMb } = apps;
    await writeReport({
      coldStartMs,
      ingest,
      kept,
      paced,
      ceilingPaced,
      atMachineHalf: { app: appAtMachineHalf, ceiling: ceilingAtMachineHalf },
      atSustainedHalf: { app: appAtSustainedHalf, ceiling: ceilingAtSustainedHalf },
      storm,
      baseline,
      relay,
      outbound,
      ledger,
      campaign,
      peakRssMb,
      rssByProcessMb,
    });
  } finally {
    await ceilingRoute.stop();
    await stack.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `Bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
