/**
 * The machine's own ceiling, measured in the same run as the app (issue 10 item 6): the same flood of
 * webhooks (same bodies, connections and count) against ceiling-server.mjs, a bare route that only
 * parses and durably inserts one row per request into the same PostgreSQL. The app's figure is then
 * quoted as a fraction of what this machine can do at all.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from '../../src/shared/db/embedded.js';
import { N, say } from './common.js';
import { floodInbound, type FloodResult } from './ingest-flood.js';

export async function ingestCeiling(databaseUrl: string): Promise<FloodResult> {
  const port = await freePort();
  const child = spawn(process.execPath, ['scripts/bench/ceiling-server.mjs'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await once(child.stdout, 'data');
    say(`\n   Ceiling: a bare route that only inserts one row per request, same flood …`);
    const r = await floodInbound(`http://127.0.0.1:${port}/ceiling`, N, { tag: 'ceiling' });
    say(`   accepted ${r.rps.toFixed(0)}/s, p50 ${r.p50} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}`);
    return r;
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
  }
}
