/**
 * Phase 1, inbound webhooks durably accepted: N Gupshup callbacks over CONNECTIONS connections, 5 % of
 * them repeats of an earlier one (Gupshup's retries); then what the database kept: lost (acknowledged
 * but not stored) and duplicated rows.
 */
import autocannon from 'autocannon';
import type pg from 'pg';
import { CONNECTIONS, count, N, perSecond, say, waitUntil } from './common.js';
import { BENCH_APP } from './setup.js';

export type FloodResult = Awaited<ReturnType<typeof floodInbound>>;

const webhook = (id: string, phone: string) =>
  JSON.stringify({
    app: BENCH_APP,
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

/** n text-message callbacks, as fast as the connections allow or at `rate` per second. */
export async function floodInbound(callbackUrl: string, n: number, o: { rate?: number; tag: string }) {
  let seq = 0;
  const ids: string[] = [];
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
          return { ...req, body: webhook(id, `54911${String(seq % 500).padStart(8, '0')}`) };
        },
      },
    ],
  });
  const unique = new Set(ids).size;
  return {
    rps: perSecond(res),
    total: res.requests.total,
    p50: res.latency.p50,
    p99: res.latency.p99,
    non2xx: res.non2xx + res.errors + res.timeouts,
    uniqueAcked: res.non2xx + res.errors + res.timeouts === 0 ? unique : NaN,
  };
}

export async function ingestFlood(callbackUrl: string): Promise<FloodResult> {
  say(`\n1. ${N} inbound webhooks, ${CONNECTIONS} connections …`);
  return floodInbound(callbackUrl, N, { tag: 'flood' });
}

/** Counted once both floods (this phase's and the steady one) are over: each acknowledged message stored once. */
export async function ingestKept(pool: pg.Pool, inbound: FloodResult, paced: FloodResult) {
  // The webhook stores the raw event and its job; the worker writes the message row from it.
  const t0 = Date.now();
  await waitUntil(
    async () =>
      (await count(
        pool,
        `SELECT count(*) n FROM jobs WHERE topic = 'inbound.accept' AND status IN ('pending', 'running')`,
      )) === 0,
    300_000,
  );
  say(`   the worker wrote the last message row ${Date.now() - t0} ms after the floods`);
  const stored = await count(pool, `SELECT count(*) n FROM messages WHERE direction = 'in'`);
  const dupRows = await count(
    pool,
    `SELECT count(*) n FROM (SELECT wa_message_id FROM messages WHERE direction='in' GROUP BY wa_message_id HAVING count(*) > 1) d`,
  );
  const lost = inbound.uniqueAcked + paced.uniqueAcked - stored;
  say(
    `   accepted ${inbound.rps.toFixed(0)}/s, p50 ${inbound.p50} ms, p99 ${inbound.p99} ms, non-2xx ${inbound.non2xx}, lost ${lost}, duplicated rows ${dupRows}`,
  );
  return { stored, lost, dupRows };
}
