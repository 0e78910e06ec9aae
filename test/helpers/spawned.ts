import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll } from 'vitest';
import {
  startSandboxGupshup,
  type SandboxGupshup,
  type SandboxGupshupOptions,
} from '../../scripts/sandbox/gupshup/index.js';
import { startSandboxPortal, type SandboxPortal } from '../../scripts/sandbox/portal/index.js';
import { appProcessEnv, spawnApp, STACK_CLIENT_ID, STACK_CLIENT_SECRET } from '../../scripts/stack.js';
import { createDatabase, type Database } from '../../src/shared/db/database.js';
import { freePort } from '../../src/shared/db/embedded.js';
import { createTestDatabase } from './db.js';

/** The app as its own process, its sandboxes and a connection to its database, for one describe block. */
export interface SpawnedApp {
  readonly url: string;
  readonly portal: SandboxPortal;
  readonly gupshup: SandboxGupshup;
  readonly db: Database;
  readonly app: ChildProcess | undefined;
  start(): Promise<void>;
  /** SIGKILL, resolved once the process has exited. */
  kill(): Promise<void>;
}

/**
 * Starts the sandboxes, a database of its own and the app process (`npm start`'s bundle) before the
 * block's tests; kills and drops everything after. `env` adds to the process's environment.
 */
export function useSpawnedApp(o: { env?: Record<string, string>; gupshup?: SandboxGupshupOptions } = {}) {
  const state: { -readonly [K in keyof SpawnedApp]?: SpawnedApp[K] } & {
    env?: NodeJS.ProcessEnv;
    drop?: () => Promise<void>;
  } = {};
  const need = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('useSpawnedApp(): only there once the tests run');
    return v;
  };
  const h: SpawnedApp = {
    get url() {
      return need(state.url);
    },
    get portal() {
      return need(state.portal);
    },
    get gupshup() {
      return need(state.gupshup);
    },
    get db() {
      return need(state.db);
    },
    get app() {
      return state.app;
    },
    start: async () => {
      state.app = await spawnApp(need(state.env));
    },
    kill: async () => {
      const app = state.app;
      if (!app || app.exitCode !== null || app.signalCode !== null) return;
      const exited = new Promise((r) => app.once('exit', r));
      app.kill('SIGKILL');
      await exited;
    },
  };
  beforeAll(async () => {
    const testDb = await createTestDatabase();
    state.drop = testDb.drop;
    state.db = createDatabase(testDb.url, { max: 1 }).db;
    state.portal = await startSandboxPortal({ clientId: STACK_CLIENT_ID, clientSecret: STACK_CLIENT_SECRET });
    state.portal.setRate(null);
    state.gupshup = await startSandboxGupshup(o.gupshup ?? {});
    const port = await freePort();
    state.url = `http://127.0.0.1:${port}`;
    state.env = {
      ...appProcessEnv({ port, databaseUrl: testDb.url, portal: state.portal, gupshup: state.gupshup }),
      ...o.env,
    };
    await h.start();
  });
  afterAll(async () => {
    state.app?.kill('SIGKILL');
    await state.gupshup?.close();
    await state.portal?.close();
    await state.db?.destroy();
    await state.drop?.();
  });
  return h;
}

/**
 * For tests that run the app as its own process (SIGKILL, restarts): install it into the sandbox
 * portal, get an API token, connect a channel and activate it on line 1, over HTTP only.
 */
export async function installAndConnect(
  url: string,
  portal: SandboxPortal,
  c: { name: string; appName: string; sourceNumber: string; apiKey: string },
): Promise<{ token: string; channel: { id: string; callbackUrl: string }; activateStatus: number }> {
  await portal.installApp({ installUrl: `${url}/b24/install` });
  portal.finishInstall();
  const auth = {
    DOMAIN: portal.domain,
    AUTH_ID: portal.issueTokens({ userId: 1 }).accessToken,
    member_id: portal.memberId,
  };
  const { token } = (await (
    await fetch(`${url}/api/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(auth),
    })
  ).json()) as { token: string };
  const { appName, ...rest } = c;
  const h = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const channel = (await (
    await fetch(`${url}/api/v1/channels`, {
      method: 'POST',
      headers: h,
      body: JSON.stringify({ ...rest, gupshupAppName: appName }),
    })
  ).json()) as { id: string; callbackUrl: string };
  const activated = await fetch(`${url}/api/v1/channels/${channel.id}/activate`, {
    method: 'POST',
    headers: h,
    body: '{"lineId":1}',
  });
  return { token, channel, activateStatus: activated.status };
}

/**
 * Customer message number `i` to a channel's callback, as Gupshup posts it (v2): 20 customers in
 * turn from `phoneBase`. The HTTP status, or null when the app was not there to answer (killed).
 */
export function postCustomerText(
  callbackUrl: string,
  o: { appName: string; tag: string; phoneBase: number },
  i: number,
): Promise<number | null> {
  return fetch(callbackUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      app: o.appName,
      timestamp: Date.now(),
      version: 2,
      type: 'message',
      payload: {
        id: `wamid.${o.tag}.${i}`,
        type: 'text',
        payload: { text: `${o.tag[0] ?? 'm'}${i}` },
        sender: { phone: `549110000${String(o.phoneBase + (i % 20))}` },
      },
    }),
  }).then(
    (r) => r.status,
    () => null,
  );
}
