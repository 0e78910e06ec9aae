/**
 * Phase 1, inbound webhooks durably accepted: N Gupshup callbacks over CONNECTIONS connections, 5 % of
 * them repeats of an earlier one (Gupshup's retries); then what the database kept: lost (acknowledged
 * but not stored) and duplicated rows.
 */
import autocannon from 'autocannon';
import type pg from 'pg';
import { CONNECTIONS, count, RequestSpan, say, waitUntil } from './common.js';
import { BENCH_APP } from './setup.js';

export interface FloodResult {
  rps: number;
  total: number;
  p50: number;
  p99: number;
  non2xx: number;
  /** Distinct messages acknowledged (NaN when any request failed: then nothing is claimed). */
  uniqueAcked: number;
}

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

/**
 * The bodies of one flood, in order: every 20th repeats an earlier message (Gupshup's retries), the
 * rest are new messages of 500 customers. `tag` keeps each flood's message ids apart.
 */
export class WebhookSequence {
  #seq = 0;
  readonly #ids: string[] = [];

  constructor(private readonly tag: string) {}

  next(): string {
    const seq = ++this.#seq;
    const repeat = seq % 20 === 0 && this.#ids.length > 0;
    const id = repeat ? (this.#ids[Math.floor(this.#ids.length / 2)] ?? 'x') : `wamid.${this.tag}.${seq}`;
    if (!repeat) this.#ids.push(id);
    return webhook(id, `54911${String(seq % 500).padStart(8, '0')}`);
  }

  /** Distinct messages among the bodies made so far. */
  get unique(): number {
    return this.#ids.length;
  }
}

/** n text-message callbacks, as fast as CONNECTIONS connections allow (each sends when answered). */
export async function floodInbound(callbackUrl: string, n: number, tag: string): Promise<FloodResult> {
  const bodies = new WebhookSequence(tag);
  const span = new RequestSpan();
  const res = await autocannon({
    url: callbackUrl,
    method: 'POST',
    connections: CONNECTIONS,
    amount: n,
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req) => {
          span.started();
          return { ...req, body: bodies.next() };
        },
        onResponse: () => span.answered(),
      },
    ],
  });
  const failed = res.non2xx + res.errors + res.timeouts;
  return {
    rps: span.perSecond(res),
    total: res.requests.total,
    p50: res.latency.p50,
    p99: res.latency.p99,
    non2xx: failed,
    uniqueAcked: failed === 0 ? bodies.unique : NaN,
  };
}

export const floodLine = (r: FloodResult) =>
  `accepted ${r.rps.toFixed(0)}/s, p50 ${r.p50} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}`;

/** No `inbound.accept` job left: the app's worker has written every accepted webhook's rows. */
export async function ingestDrained(pool: pg.Pool): Promise<void> {
  await waitUntil(
    async () =>
      (await count(
        pool,
        `SELECT count(*) n FROM jobs WHERE topic = 'inbound.accept' AND status IN ('pending', 'running')`,
      )) === 0,
    300_000,
  );
}

/** Counted once every app flood is over: each acknowledged message stored once. */
export async function ingestKept(pool: pg.Pool, acked: number) {
  await ingestDrained(pool);
  const stored = await count(pool, `SELECT count(*) n FROM messages WHERE direction = 'in'`);
  const dupRows = await count(
    pool,
    `SELECT count(*) n FROM (SELECT wa_message_id FROM messages WHERE direction='in' GROUP BY wa_message_id HAVING count(*) > 1) d`,
  );
  const lost = acked - stored;
  say(
    `   acknowledged ${acked} distinct messages, stored ${stored}: lost ${lost}, duplicated rows ${dupRows}`,
  );
  return { stored, lost, dupRows };
}
