/** What every phase stands on: a fresh bench database, and the app installed with one channel on line 1. */
import pg from 'pg';
import { freePort, startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/shared/db/embedded.js';
import { migrate } from '../../src/shared/db/migrate.js';
import { startSandboxGupshup, type SandboxGupshup } from '../sandbox/gupshup/index.js';
import { startSandboxPortal, type SandboxPortal } from '../sandbox/portal/index.js';
import { appProcessEnv, STACK_CLIENT_ID, STACK_CLIENT_SECRET } from '../stack.js';
import { AppProcesses } from './app-process.js';
import { POOL_MAX } from './common.js';

export const BENCH_APP = 'BenchShop';

/** The database `wab24_bench`, dropped and migrated afresh (embedded PostgreSQL unless DATABASE_URL). */
export async function benchDatabase(): Promise<{ url: string; embedded?: EmbeddedDatabase }> {
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

export type BenchDatabase = Awaited<ReturnType<typeof benchDatabase>>;

/** Both sandboxes, the app as its own process on the bench database, and a small pool to read it. */
export interface BenchStack {
  portal: SandboxPortal;
  gupshup: SandboxGupshup;
  url: string;
  env: NodeJS.ProcessEnv;
  apps: AppProcesses;
  pool: pg.Pool;
  /** Stops all of it, the database too. */
  close(): Promise<void>;
}

/** What every whole-app phase starts from (`npm run bench`, and `BENCH_ONLY=outbound|campaign`). */
export async function benchStack(
  db: BenchDatabase,
  o: { pollMs?: number; env?: (env: NodeJS.ProcessEnv) => NodeJS.ProcessEnv } = {},
): Promise<BenchStack> {
  const portal = await startSandboxPortal({
    clientId: STACK_CLIENT_ID,
    clientSecret: STACK_CLIENT_SECRET,
    callLogLimit: 2000,
  });
  const gupshup = await startSandboxGupshup({ eventDelayMs: [50, 200] });
  const port = await freePort();
  const base = {
    ...appProcessEnv({
      port,
      databaseUrl: db.url,
      portal,
      gupshup,
      logLevel: 'error',
      pollMs: o.pollMs ?? 100,
    }),
    DB_POOL_MAX: String(POOL_MAX),
  };
  const env = o.env ? o.env(base) : base;
  const apps = await AppProcesses.coldStart(env);
  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  return {
    portal,
    gupshup,
    url: `http://127.0.0.1:${port}`,
    env,
    apps,
    pool,
    close: async () => {
      await pool.end();
      await apps.stop();
      await gupshup.close();
      await portal.close();
      await db.embedded?.stop();
    },
  };
}

/** The bench's channel, with the API token and the sandbox app's id (the campaign phase uses them). */
export interface BenchChannel {
  id: string;
  callbackUrl: string;
  token: string;
  appId: string;
}

/**
 * Install, API token, a channel on the Gupshup app BenchShop, active on open line 1. The outbound
 * phase's other portals each get a Gupshup app (name, number, key) of their own.
 */
export async function installChannel(
  url: string,
  portal: SandboxPortal,
  gupshup: SandboxGupshup,
  app = { appName: BENCH_APP, sourceNumber: '5491100000999', apiKey: 'bench-key-abcdefgh' },
): Promise<BenchChannel> {
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
  const { appId } = gupshup.addApp({
    appName: app.appName,
    apiKey: app.apiKey,
    sourceNumber: app.sourceNumber,
  });
  const ch = (await (
    await fetch(`${url}/api/v1/channels`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({
        name: 'Bench',
        gupshupAppName: app.appName,
        sourceNumber: app.sourceNumber,
        apiKey: app.apiKey,
      }),
    })
  ).json()) as { id: string; callbackUrl: string };
  await fetch(`${url}/api/v1/channels/${ch.id}/activate`, {
    method: 'POST',
    headers: auth,
    body: '{"lineId":1}',
  });
  gupshup.setCallbackUrl(app.appName, ch.callbackUrl);
  return { ...ch, token, appId };
}
