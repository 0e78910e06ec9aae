/**
 * `npm run bench`: measures the app on this machine against the sandboxes on loopback and writes JSON
 * to bench/results/. The app runs as its own process (`src/server.ts`, as `npm start` runs it) so its
 * memory is its own; the load generator (autocannon) and the sandboxes run here.
 *
 * 1. Inbound webhooks durably accepted: N Gupshup callbacks (5 % of them duplicates of an earlier
 *    one), then: accepted/s, latency p50/p99, lost (acknowledged but not stored) and duplicated rows.
 *    Baseline in the same run: a naive connector that relays to Bitrix24 before answering.
 * 2. Relay to a rate-limited portal (the sandbox enforces Bitrix24's 2 req/s, burst 50): customer
 *    messages delivered per second from the backlog of step 1, batched (INBOUND_BATCH_SIZE=50), and
 *    the same app restarted with one message per call (INBOUND_BATCH_SIZE=1) as the baseline, each
 *    over the same window on the same backlog.
 * 3. Outbound: operator event received → Gupshup request started, p50/p99 over many chats, the
 *    replies arriving at a steady rate under the channel's Gupshup pace.
 * 4. Peak resident memory of the app processes (VmHWM) and cold start to ready.
 * No assertion here: the figures are reported, compared with SPEC.md's targets.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import autocannon from 'autocannon';
import pg from 'pg';
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '../src/shared/db/embedded.js';
import { migrate } from '../src/shared/db/migrate.js';
import { startSandboxGupshup } from './sandbox/gupshup/index.js';
import { startSandboxPortal } from './sandbox/portal/index.js';
import { appProcessEnv, spawnApp, STACK_CLIENT_ID, STACK_CLIENT_SECRET } from './stack.js';

const N = Number(process.env.BENCH_REQUESTS ?? 20_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const OUTBOUND = Number(process.env.BENCH_OUTBOUND ?? 300);
const OUTBOUND_RATE = Number(process.env.BENCH_OUTBOUND_RATE ?? 15);
const RELAY_WINDOW_MS = Number(process.env.BENCH_RELAY_WINDOW_MS ?? 20_000);
const say = (s = '') => process.stdout.write(`${s}\n`);

async function database(): Promise<{ url: string; embedded?: EmbeddedDatabase }> {
  let embedded: EmbeddedDatabase | undefined;
  let admin = process.env.DATABASE_URL;
  if (!admin) {
    embedded = await startEmbeddedPostgres(process.env.DATA_DIR ?? './.data');
    admin = embedded.url;
  }
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  await c.query('DROP DATABASE IF EXISTS wab24_bench WITH (FORCE)');
  await c.query('CREATE DATABASE wab24_bench');
  await c.end();
  const url = new URL(admin);
  url.pathname = '/wab24_bench';
  await migrate(url.toString());
  return { url: url.toString(), ...(embedded ? { embedded } : {}) };
}

function vmHwmMb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : NaN;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN) : NaN;
};

async function main(): Promise<void> {
  const db = await database();
  const portal = await startSandboxPortal({
    clientId: STACK_CLIENT_ID,
    clientSecret: STACK_CLIENT_SECRET,
    callLogLimit: 2000,
  });
  const gupshup = await startSandboxGupshup({ eventDelayMs: [50, 200] });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const env = appProcessEnv({ port, databaseUrl: db.url, portal, gupshup, logLevel: 'error', pollMs: 100 });
  const t0 = Date.now();
  let app = await spawnApp(env, 'inherit');
  const coldStartMs = Date.now() - t0;
  let peakRssMb = 0;
  const rssByProcess: number[] = [];
  const stopApp = async () => {
    const a = app;
    if (a.exitCode !== null) return;
    const hwm = vmHwmMb(a.pid ?? 0);
    rssByProcess.push(hwm);
    peakRssMb = Math.max(peakRssMb, hwm);
    await new Promise<void>((r) => (a.once('exit', () => r()), a.kill('SIGTERM')));
  };
  try {
    say(`App ready in ${coldStartMs} ms (pid ${app.pid ?? '?'})`);

    // Install, token, channel on line 1.
    await portal.installApp({ installUrl: `${url}/b24/install`, mode: 'ui' });
    portal.finishInstall();
    const tr = await fetch(`${url}/api/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        DOMAIN: portal.domain,
        AUTH_ID: portal.issueTokens({ userId: 1 }).accessToken,
        member_id: portal.memberId,
      }),
    });
    const { token } = (await tr.json()) as { token: string };
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    gupshup.addApp({ appName: 'BenchShop', apiKey: 'bench-key-abcdefgh', sourceNumber: '5491100000999' });
    const ch = (await (
      await fetch(`${url}/api/v1/channels`, {
        method: 'POST',
        headers: auth,
        body: JSON.stringify({
          name: 'Bench',
          gupshupAppName: 'BenchShop',
          sourceNumber: '5491100000999',
          apiKey: 'bench-key-abcdefgh',
        }),
      })
    ).json()) as { id: string; callbackUrl: string };
    await fetch(`${url}/api/v1/channels/${ch.id}/activate`, {
      method: 'POST',
      headers: auth,
      body: '{"lineId":1}',
    });
    gupshup.setCallbackUrl('BenchShop', ch.callbackUrl);

    // 1. Inbound acceptance.
    say(`\n1. ${N} inbound webhooks, ${CONNECTIONS} connections …`);
    const inbound = await floodInbound(ch.callbackUrl, N, { tag: 'flood' });
    // The same webhooks at a steady rate below the ceiling: latency when the app is not saturated
    // (at saturation, 64 open connections queue by construction: p99 ≥ 64 / throughput).
    const PACED_RATE = Number(process.env.BENCH_PACED_RATE ?? 1000);
    const paced = await floodInbound(ch.callbackUrl, PACED_RATE * 5, { tag: 'paced', rate: PACED_RATE });
    say(`   at a steady ${PACED_RATE}/s: p50 ${paced.p50} ms, p99 ${paced.p99} ms, non-2xx ${paced.non2xx}`);
    const pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const stored = Number(
      (await pool.query<{ n: string }>(`SELECT count(*) n FROM messages WHERE direction = 'in'`)).rows[0]
        ?.n ?? 0,
    );
    const dupRows = Number(
      (
        await pool.query<{ n: string }>(
          `SELECT count(*) n FROM (SELECT wa_message_id FROM messages WHERE direction='in' GROUP BY wa_message_id HAVING count(*) > 1) d`,
        )
      ).rows[0]?.n ?? 0,
    );
    const lost = inbound.uniqueAcked + paced.uniqueAcked - stored;
    say(
      `   accepted ${inbound.rps.toFixed(0)}/s, p50 ${inbound.p50} ms, p99 ${inbound.p99} ms, non-2xx ${inbound.non2xx}, lost ${lost}, duplicated rows ${dupRows}`,
    );

    say(`\n   Baseline: a naive connector that calls Bitrix24 before answering (rate limit 2/s, burst 50) …`);
    const baseline = await naiveBaseline(
      portal.url,
      portal.issueTokens({ userId: 1 }).accessToken,
      Math.min(400, N),
    );
    say(
      `   accepted ${baseline.rps.toFixed(1)}/s, p50 ${baseline.p50} ms, p99 ${baseline.p99} ms, refused by Bitrix24 ${baseline.refused} of ${baseline.total} (lost: answered without delivering)`,
    );

    // 2. Relay to the rate-limited portal, from the backlog step 1 left.
    const delivered = async () =>
      Number(
        (
          await pool.query<{ n: string }>(
            `SELECT count(*) n FROM messages WHERE direction = 'in' AND status = 'delivered'`,
          )
        ).rows[0]?.n ?? 0,
      );
    // Calls are counted by their time stamps, so a call log that rolls over cannot skew a window.
    const relayWindow = async () => {
      const d0 = await delivered();
      const from = Date.now();
      await new Promise((r) => setTimeout(r, RELAY_WINDOW_MS));
      const d1 = await delivered();
      const inWindow = portal
        .calls()
        .filter(
          (c) => c.method === 'imconnector.send.messages' && c.at >= from && c.at < from + RELAY_WINDOW_MS,
        );
      return {
        perSec: +((d1 - d0) / (RELAY_WINDOW_MS / 1000)).toFixed(1),
        delivered: d1 - d0,
        calls: inWindow.filter((c) => c.status === 200).length,
        refusedByBitrix24: inWindow.filter((c) => c.error === 'QUERY_LIMIT_EXCEEDED').length,
      };
    };
    say(`\n2. Relay to a portal limited to 2 req/s, burst 50: ${RELAY_WINDOW_MS / 1000} s windows …`);
    const relay = await relayWindow();
    say(
      `   batched: ${relay.perSec} msgs/s (${relay.delivered} in ${relay.calls} calls), refused by Bitrix24 ${relay.refusedByBitrix24}`,
    );
    await stopApp();
    app = await spawnApp({ ...env, INBOUND_BATCH_SIZE: '1' }, 'inherit');
    const relayBaseline = await relayWindow();
    say(
      `   one call per message: ${relayBaseline.perSec} msgs/s (${relayBaseline.delivered} in ${relayBaseline.calls} calls), refused by Bitrix24 ${relayBaseline.refusedByBitrix24}`,
    );
    await stopApp();
    app = await spawnApp(env, 'inherit');

    // 3. Outbound latency: chats whose customers wrote, then one operator message each.
    say(`\n3. ${OUTBOUND} operator messages to ${OUTBOUND} chats, ${OUTBOUND_RATE}/s …`);
    portal.setRate(null);
    const phones = Array.from({ length: OUTBOUND }, (_, i) => `5492200${String(i).padStart(6, '0')}`);
    await pool.query(`UPDATE jobs SET status = 'cancelled' WHERE status IN ('pending','running')`);
    for (const p of phones) await gupshup.customerSends({ appName: 'BenchShop', from: p, text: 'hola' });
    await waitUntil(
      async () =>
        phones.every((p) => portal.messages({ author: 'customer' }).some((m) => m.externalChatId === p)),
      60_000,
    );
    // Operators reply at a steady OUTBOUND_RATE, under the channel's Gupshup pace (20/s): the latency
    // measured is the relay's own, not a queue of replies waiting for Gupshup's throughput.
    const startedAt = new Map<string, number>();
    const begin = Date.now();
    await Promise.all(
      phones.map(async (p, i) => {
        await new Promise((r) => setTimeout(r, begin + (i * 1000) / OUTBOUND_RATE - Date.now()));
        startedAt.set(p, Date.now());
        await portal.operatorSend({ line: 1, externalChatId: p, text: 'respuesta', signature: false });
      }),
    );
    await waitUntil(async () => phones.every((p) => gupshup.sent({ destination: p }).length > 0), 60_000);
    const lat = phones.map(
      (p) => (gupshup.sent({ destination: p })[0]?.at ?? NaN) - (startedAt.get(p) ?? NaN),
    );
    const outbound = {
      p50: pct(lat, 50),
      p99: pct(lat, 99),
      sentTwice: phones.filter((p) => gupshup.sent({ destination: p }).length > 1).length,
    };
    say(
      `   event → Gupshup request p50 ${outbound.p50} ms, p99 ${outbound.p99} ms, sent twice ${outbound.sentTwice}`,
    );
    await pool.end();
    rssByProcess.push(vmHwmMb(app.pid ?? 0));
    peakRssMb = Math.max(peakRssMb, ...rssByProcess);
    const relayRatio = +(relay.perSec / Math.max(0.1, relayBaseline.perSec)).toFixed(1);
    const result = {
      at: new Date().toISOString(),
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      coldStartMs,
      inbound: { requests: N, connections: CONNECTIONS, ...inbound, stored, lost, duplicatedRows: dupRows },
      inboundPaced: { perSec: PACED_RATE, ...paced },
      inboundBaseline: baseline,
      inboundRatio: +(inbound.rps / baseline.rps).toFixed(1),
      relay: {
        windowMs: RELAY_WINDOW_MS,
        batched: relay,
        oneCallPerMessage: relayBaseline,
        ratio: relayRatio,
      },
      outbound: { messages: OUTBOUND, perSec: OUTBOUND_RATE, ...outbound },
      peakRssMb,
      // Flood + batched relay, one-call-per-message relay, outbound: one app process each.
      rssByProcessMb: rssByProcess,
      targets: {
        inboundPerSec: 3000,
        inboundP99Ms: 25,
        relayPerSecPerPortal: 50,
        outboundP50Ms: 20,
        rssMb: 200,
        coldStartMs: 5000,
      },
    };
    await mkdir('bench/results', { recursive: true });
    const file = `bench/results/${result.at.replace(/[:.]/g, '-')}.json`;
    await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
    say('\n| measure | result | baseline | ratio | target |');
    say('|---|---|---|---|---|');
    say(
      `| inbound webhooks accepted/s | ${inbound.rps.toFixed(0)} | ${baseline.rps.toFixed(1)} | ${result.inboundRatio}× | ≥ 3000 |`,
    );
    say(
      `| inbound p50 / p99 latency | ${inbound.p50} / ${inbound.p99} ms | ${baseline.p50} / ${baseline.p99} ms | | p99 ≤ 25 ms |`,
    );
    say(
      `| inbound p50 / p99 at a steady ${PACED_RATE}/s | ${paced.p50} / ${paced.p99} ms | | | p99 ≤ 25 ms |`,
    );
    say(`| inbound lost / duplicated | ${lost} / ${dupRows} | ${baseline.refused} undelivered | | 0 / 0 |`);
    say(
      `| msgs/s into a portal limited to 2 req/s | ${relay.perSec} | ${relayBaseline.perSec} (one call each) | ${relayRatio}× | ≥ 50 |`,
    );
    say(
      `| Bitrix24 refusals (QUERY_LIMIT_EXCEEDED) | ${relay.refusedByBitrix24} | ${relayBaseline.refusedByBitrix24} | | 0 |`,
    );
    say(`| outbound event → Gupshup p50 / p99 | ${outbound.p50} / ${outbound.p99} ms | | | p50 ≤ 20 ms |`);
    say(`| peak RSS of the app | ${peakRssMb} MB | | | ≤ 200 MB |`);
    say(`| cold start to ready | ${coldStartMs} ms | | | ≤ 5000 ms |`);
    say(`\nWritten to ${file}`);
  } finally {
    await stopApp();
    await gupshup.close();
    await portal.close();
    await db.embedded?.stop();
  }
}

async function floodInbound(callbackUrl: string, n: number, o: { rate?: number; tag: string }) {
  let seq = 0;
  const ids: string[] = [];
  const body = (id: string, phone: string) =>
    JSON.stringify({
      app: 'BenchShop',
      timestamp: Date.now(),
      version: 2,
      type: 'message',
      payload: {
        id,
        source: phone,
        type: 'text',
        payload: { text: 'hola' },
        sender: { phone, name: 'Cliente' },
      },
    });
  const res = await autocannon({
    url: callbackUrl,
    method: 'POST',
    connections: CONNECTIONS,
    amount: n,
    ...(o.rate ? { overallRate: o.rate } : {}),
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req) => {
          seq++;
          // Every 20th request repeats an earlier message: Gupshup's retries.
          const id =
            seq % 20 === 0 && ids.length ? (ids[Math.floor(ids.length / 2)] ?? 'x') : `wamid.${o.tag}.${seq}`;
          if (!id.endsWith(`.${seq}`) || seq % 20 !== 0) ids.push(id);
          return { ...req, body: body(id, `54911${String(seq % 500).padStart(8, '0')}`) };
        },
      },
    ],
  });
  const unique = new Set(ids).size;
  return {
    rps: res.requests.total / ((res.finish.getTime() - res.start.getTime()) / 1000),
    total: res.requests.total,
    p50: res.latency.p50,
    p99: res.latency.p99,
    non2xx: res.non2xx + res.errors + res.timeouts,
    uniqueAcked: res.non2xx + res.errors + res.timeouts === 0 ? unique : NaN,
  };
}

/** What connectors without a queue do: relay to Bitrix24 inside the webhook, then answer. */
async function naiveBaseline(portalUrl: string, accessToken: string, n: number) {
  let refused = 0;
  const srv = createServer((req, res) => {
    let data = '';
    req.on('data', (d: Buffer) => (data += d.toString()));
    req.on('end', () => {
      const payload = JSON.parse(data) as { payload: { id: string; sender: { phone: string } } };
      void fetch(`${portalUrl}/rest/imconnector.send.messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          auth: accessToken,
          CONNECTOR: 'whatsappb24_gupshup',
          LINE: 1,
          MESSAGES: [
            {
              user: { id: payload.payload.sender.phone },
              message: { id: payload.payload.id, text: 'hola' },
              chat: { id: payload.payload.sender.phone },
            },
          ],
        }),
      })
        .then(async (r) => {
          if (!r.ok) refused++;
          await r.text();
        })
        .catch(() => refused++)
        .finally(() => res.end());
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as AddressInfo).port;
  let seq = 0;
  const res = await autocannon({
    url: `http://127.0.0.1:${port}/`,
    method: 'POST',
    connections: CONNECTIONS,
    amount: n,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req) => {
          seq++;
          const phone = `54933${String(seq).padStart(8, '0')}`;
          return {
            ...req,
            body: JSON.stringify({
              type: 'message',
              payload: { id: `wamid.base.${seq}`, sender: { phone } },
            }),
          };
        },
      },
    ],
  });
  await new Promise<void>((r) => srv.close(() => r()));
  return {
    rps: res.requests.total / ((res.finish.getTime() - res.start.getTime()) / 1000),
    p50: res.latency.p50,
    p99: res.latency.p99,
    refused,
    total: n,
  };
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
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
