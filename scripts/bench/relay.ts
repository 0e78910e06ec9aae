/**
 * Phase 2, delivery under the portal's rate limit (the sandbox enforces Bitrix24's 2 req/s, burst
 * 50): customer messages delivered per second from the backlog phase 1 left, batched
 * (INBOUND_BATCH_SIZE=50), and the same app restarted with one message per call
 * (INBOUND_BATCH_SIZE=1) as the baseline, each over the same window on the same backlog.
 */
import type pg from 'pg';
import type { SandboxPortal } from '../sandbox/portal/index.js';
import type { AppProcesses } from './app-process.js';
import { count, RELAY_WINDOW_MS, say } from './common.js';

export type RelayWindow = Awaited<ReturnType<typeof relayWindow>>;

/** Calls are counted by their time stamps, so a call log that rolls over cannot skew a window. */
async function relayWindow(pool: pg.Pool, portal: SandboxPortal) {
  const delivered = () =>
    count(pool, `SELECT count(*) n FROM messages WHERE direction = 'in' AND status = 'delivered'`);
  const d0 = await delivered();
  const from = Date.now();
  await new Promise((r) => setTimeout(r, RELAY_WINDOW_MS));
  const d1 = await delivered();
  const inWindow = portal
    .calls()
    .filter((c) => c.method === 'imconnector.send.messages' && c.at >= from && c.at < from + RELAY_WINDOW_MS);
  return {
    perSec: +((d1 - d0) / (RELAY_WINDOW_MS / 1000)).toFixed(1),
    delivered: d1 - d0,
    calls: inWindow.filter((c) => c.status === 200).length,
    refusedByBitrix24: inWindow.filter((c) => c.error === 'QUERY_LIMIT_EXCEEDED').length,
  };
}

/** Leaves the app running again as `env` starts it (batched). */
export async function relayUnderRateLimit(
  pool: pg.Pool,
  portal: SandboxPortal,
  apps: AppProcesses,
  env: NodeJS.ProcessEnv,
): Promise<{ batched: RelayWindow; oneCallPerMessage: RelayWindow }> {
  say(`\n2. Relay to a portal limited to 2 req/s, burst 50: ${RELAY_WINDOW_MS / 1000} s windows …`);
  const relay = await relayWindow(pool, portal);
  say(
    `   batched: ${relay.perSec} msgs/s (${relay.delivered} in ${relay.calls} calls), refused by Bitrix24 ${relay.refusedByBitrix24}`,
  );
  await apps.restart({ ...env, INBOUND_BATCH_SIZE: '1' });
  const relayBaseline = await relayWindow(pool, portal);
  say(
    `   one call per message: ${relayBaseline.perSec} msgs/s (${relayBaseline.delivered} in ${relayBaseline.calls} calls), refused by Bitrix24 ${relayBaseline.refusedByBitrix24}`,
  );
  await apps.restart(env);
  return { batched: relay, oneCallPerMessage: relayBaseline };
}
