/**
 * Phase 3, outbound latency: OUTBOUND chats whose customers wrote, then one operator message each;
 * operator event received → Gupshup request started, p50/p99.
 */
import type pg from 'pg';
import type { SandboxGupshup } from '../sandbox/gupshup/index.js';
import type { SandboxPortal } from '../sandbox/portal/index.js';
import { OUTBOUND, OUTBOUND_RATE, pct, say, waitUntil } from './common.js';
import { BENCH_APP } from './setup.js';

export async function outboundLatency(pool: pg.Pool, portal: SandboxPortal, gupshup: SandboxGupshup) {
  say(`\n3. ${OUTBOUND} operator messages to ${OUTBOUND} chats, ${OUTBOUND_RATE}/s …`);
  portal.setRate(null);
  const phones = Array.from({ length: OUTBOUND }, (_, i) => `5492200${String(i).padStart(6, '0')}`);
  await pool.query(`UPDATE jobs SET status = 'cancelled' WHERE status IN ('pending','running')`);
  for (const p of phones) await gupshup.customerSends({ appName: BENCH_APP, from: p, text: 'hola' });
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
  const lat = phones.map((p) => (gupshup.sent({ destination: p })[0]?.at ?? NaN) - (startedAt.get(p) ?? NaN));
  // What the read-back cost in the portal's budget: its batch calls in this phase (acks counted apart).
  const calls = portal.calls().filter((c) => c.at >= begin);
  const outbound = {
    p50: pct(lat, 50),
    p99: pct(lat, 99),
    sentTwice: phones.filter((p) => gupshup.sent({ destination: p }).length > 1).length,
    readBackCalls: calls.filter((c) => c.method === 'batch').length,
    ackCalls: calls.filter((c) => c.method === 'imconnector.send.status.delivery').length,
  };
  say(
    `   event → Gupshup request p50 ${outbound.p50} ms, p99 ${outbound.p99} ms, sent twice ${outbound.sentTwice}`,
  );
  say(
    `   read back in ${outbound.readBackCalls} calls, acknowledged in ${outbound.ackCalls} calls (so far) for ${OUTBOUND} messages`,
  );
  return outbound;
}
