/**
 * The machine's own ceiling, measured in the same run as the app (issue 10 item 6): the same flood of
 * webhooks (same bodies, connections and count) against ceiling-server.mjs, a bare route that only
 * parses and durably inserts one row per request into the same PostgreSQL, with the app's pool size.
 * The app's figure is then quoted as a fraction of what this machine can do at all, and the route's
 * own p99 at the app's half-load rate shows what latency the disk allows.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { freePort } from '../../src/shared/db/embedded.js';
import { N, say } from './common.js';
import { floodInbound, floodLine, type FloodResult } from './ingest-flood.js';

export class CeilingRoute {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
  ) {}

  static async start(databaseUrl: string, poolMax: number): Promise<CeilingRoute> {
    const port = await freePort();
    const child = spawn(process.execPath, ['scripts/bench/ceiling-server.mjs'], {
      env: { ...process.env, DATABASE_URL: databaseUrl, PORT: String(port), DB_POOL_MAX: String(poolMax) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await once(child.stdout, 'data');
    return new CeilingRoute(`http://127.0.0.1:${port}/ceiling`, child);
  }

  async flood(tag: string): Promise<FloodResult> {
    const r = await floodInbound(this.url, N, tag);
    say(`   ceiling route: ${floodLine(r)}`);
    return r;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    this.child.kill('SIGTERM');
    await once(this.child, 'exit');
  }
}
