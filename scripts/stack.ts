import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../src/app.js';
import { createDeps, type Deps, type DepsOverrides } from '../src/composition-root.js';
import { loadConfig, type Config } from '../src/config.js';
import { appLoginPassword, appLoginUrl } from '../src/shared/db/app-role.js';
import { freePort } from '../src/shared/db/embedded.js';
import { buildServer } from './build.js';
import {
  startSandboxGupshup,
  type SandboxGupshup,
  type SandboxGupshupOptions,
} from './sandbox/gupshup/index.js';
import { startSandboxPortal, type SandboxPortal, type SandboxPortalOptions } from './sandbox/portal/index.js';
import { startPaymentSandboxes, type PaymentSandboxes } from './sandbox/payments.js';
import { startSandboxSmsapi, type SandboxSmsapi } from './sandbox/smsapi/index.js';

/**
 * The app and both sandboxes on loopback, wired together: used by `npm run demo`, the integration
 * tests and the benchmark. The app is the real one (config, composition root, HTTP); only Bitrix24
 * and Gupshup are stand-ins.
 */
export const STACK_CLIENT_ID = 'local.wab24demo.000001';
export const STACK_CLIENT_SECRET = 'sandbox-client-secret-0123456789';
export const STACK_APP_SECRET = 'sandbox-app-secret-please-change-0123456789abcdef';
/** The vendor operator's token in the stack (confirms requested numbers). */
export const STACK_OPERATOR_TOKEN = 'sandbox-operator-token-0123456789abcdef';
/** The token Prometheus would send for /metrics in the stack. */
export const STACK_METRICS_TOKEN = 'sandbox-metrics-token-0123456789abcdef';

/** A portal with a few people in two departments: the demo and the browser tests use it. */
export const SAMPLE_PORTAL: Partial<SandboxPortalOptions> = {
  users: [
    {
      ID: 1,
      NAME: 'Ana',
      LAST_NAME: 'Admin',
      ADMIN: true,
      WORK_POSITION: 'Administradora',
      UF_DEPARTMENT: [1],
    },
    { ID: 2, NAME: 'Bruno', LAST_NAME: 'Agente', ADMIN: false, WORK_POSITION: 'Agente', UF_DEPARTMENT: [2] },
    {
      ID: 3,
      NAME: 'Carla',
      LAST_NAME: 'Gómez',
      ADMIN: false,
      WORK_POSITION: 'Vendedora',
      UF_DEPARTMENT: [2],
    },
    {
      ID: 4,
      NAME: 'Diego',
      LAST_NAME: 'Fernández',
      ADMIN: false,
      WORK_POSITION: 'Vendedor',
      UF_DEPARTMENT: [2],
    },
    { ID: 5, NAME: 'Elena', LAST_NAME: 'Ruiz', ADMIN: false, WORK_POSITION: 'Calidad', UF_DEPARTMENT: [3] },
    {
      ID: 6,
      NAME: 'Fabio',
      LAST_NAME: 'Souza',
      ADMIN: false,
      WORK_POSITION: 'Jefe de ventas',
      UF_DEPARTMENT: [2],
    },
  ],
  departments: [
    { ID: 1, NAME: 'Dirección', UF_HEAD: 1 },
    { ID: 2, NAME: 'Ventas', PARENT: 1, UF_HEAD: 6 },
    { ID: 3, NAME: 'Soporte', PARENT: 1, UF_HEAD: 5 },
  ],
};

export interface StackOptions {
  databaseUrl: string;
  port?: number;
  logLevel?: string;
  worker?: boolean;
  workerConfig?: Partial<Config['worker']>;
  portal?: Partial<SandboxPortalOptions>;
  gupshup?: SandboxGupshupOptions;
  overrides?: DepsOverrides;
  /** More environment for the app (e.g. INBOUND_BATCH_SIZE). */
  env?: Record<string, string>;
  /** Reuse sandboxes from another stack (a second app instance on the same database). */
  shareWith?: Stack;
  /**
   * Who the app connects as: `app` (default) its own limited role, as the embedded server does
   * (shared/db/app-role.ts; `databaseUrl` must then be a superuser's, as the tests' and the demo's
   * are); `owner` the URL as given.
   */
  databaseRole?: 'app' | 'owner';
}

export interface Stack {
  url: string;
  app: FastifyInstance;
  deps: Deps;
  portal: SandboxPortal;
  gupshup: SandboxGupshup;
  /** Sandbox Stripe and PayPal (`stripe`, `paypal`), wired to the app's webhooks. */
  pay: PaymentSandboxes;
  /** Sandbox SMSAPI (its first account's token is `smsapi.token`). */
  smsapi: SandboxSmsapi;
  close(): Promise<void>;
}

export async function startStack(o: StackOptions): Promise<Stack> {
  const portal =
    o.shareWith?.portal ??
    (await startSandboxPortal({ clientId: STACK_CLIENT_ID, clientSecret: STACK_CLIENT_SECRET, ...o.portal }));
  const gupshup = o.shareWith?.gupshup ?? (await startSandboxGupshup(o.gupshup ?? {}));
  const pay = o.shareWith?.pay ?? (await startPaymentSandboxes());
  const smsapi = o.shareWith?.smsapi ?? (await startSandboxSmsapi());
  const port = o.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  // Re-hosted media of this stack: a folder of its own, removed on close.
  const mediaDir = path.join(tmpdir(), `wab24-media-${port}-${process.pid}`);
  const databaseUrl =
    o.databaseRole === 'owner'
      ? o.databaseUrl
      : await appLoginUrl(o.databaseUrl, appLoginPassword(STACK_APP_SECRET));
  const config = loadConfig(
    {
      PORT: String(port),
      HOST: '127.0.0.1',
      PUBLIC_URL: url,
      DATABASE_URL: databaseUrl,
      APP_SECRET: STACK_APP_SECRET,
      B24_CLIENT_ID: STACK_CLIENT_ID,
      B24_CLIENT_SECRET: STACK_CLIENT_SECRET,
      B24_OAUTH_URL: portal.oauthUrl,
      B24_ALLOW_PRIVATE_HOSTS: 'true',
      GUPSHUP_API_URL: gupshup.url,
      LOG_LEVEL: o.logLevel ?? process.env.STACK_LOG_LEVEL ?? 'silent',
      WORKER_POLL_MS: '50',
      OPERATOR_TOKEN: STACK_OPERATOR_TOKEN,
      METRICS_TOKEN: STACK_METRICS_TOKEN,
      // Billing is off unless a test or the demo turns it on (env: { BILLING_ENFORCED: 'true' }).
      BILLING_ENFORCED: 'false',
      ...pay.env,
      SMSAPI_BASE_URL: smsapi.url,
      ...o.env,
      MEDIA_DIR: mediaDir,
    },
    { backoffBaseMs: 200, backoffMaxMs: 3_000, leaseMs: 30_000, ...o.workerConfig },
  );
  if (!o.shareWith) portal.setAppUrl(`${url}/b24/app`);
  if (!o.shareWith) pay.setAppUrl(url);
  const deps = createDeps(config, o.overrides);
  const app = await buildApp(deps);
  await app.listen({ port, host: '127.0.0.1' });
  if (o.worker !== false) deps.worker.start();
  return {
    url,
    app,
    deps,
    portal,
    gupshup,
    pay,
    smsapi,
    close: async () => {
      await app.close();
      await rm(mediaDir, { recursive: true, force: true });
      if (!o.shareWith) {
        await smsapi.close();
        await pay.close();
        await gupshup.close();
        await portal.close();
      }
    },
  };
}

/** Polls until `check` returns a truthy value (or throws after `timeoutMs`). */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<NonNullable<T>> {
  const start = Date.now();
  let last: T | undefined;
  while (Date.now() - start < timeoutMs) {
    last = await check();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what} (last: ${JSON.stringify(last)})`);
}

/** Installs the app into the sandbox portal the way Bitrix24 does, and returns an API token. */
export async function installAndToken(s: Stack, mode: 'ui' | 'callback' = 'ui'): Promise<string> {
  const res = await s.portal.installApp({ installUrl: `${s.url}/b24/install`, mode });
  if (res.status !== 200) throw new Error(`install page answered ${res.status}: ${res.body.slice(0, 300)}`);
  if (mode === 'ui') {
    // The page's script finishes the installation through the Bitrix24 SDK on the install page.
    if (!res.body.includes('"page":"install"') || !res.body.includes('src="/ui/app.js?v=')) {
      throw new Error('install page does not finish the installation');
    }
    s.portal.finishInstall();
  } else {
    await waitFor(
      async () => {
        const p = await s.deps.db
          .selectFrom('portals')
          .select('status')
          .where('member_id', '=', s.portal.memberId)
          .executeTakeFirst();
        return p?.status === 'installed';
      },
      20_000,
      'portal setup job',
    );
  }
  return createToken(s);
}

export async function createToken(s: Stack, userId = 1): Promise<string> {
  const auth = await frontendAuth(s, userId);
  const r = await fetch(`${s.url}/api/v1/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(auth),
  });
  const body = (await r.json()) as { token?: string };
  if (r.status !== 201 || !body.token) {
    throw new Error(`token creation answered ${r.status}: ${JSON.stringify(body)}`);
  }
  return body.token;
}

/** The frontend auth an iframe page would get: a fresh token of that portal user. */
export async function frontendAuth(
  s: Stack,
  userId = 1,
): Promise<{ DOMAIN: string; AUTH_ID: string; member_id: string }> {
  return {
    DOMAIN: s.portal.domain,
    AUTH_ID: s.portal.issueTokens({ userId }).accessToken,
    member_id: s.portal.memberId,
  };
}

export async function api<T = unknown>(
  s: Stack,
  token: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const r = await fetch(`${s.url}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
}

export interface DemoChannel {
  id: string;
  callbackUrl: string;
  appName: string;
  sourceNumber: string;
}

/** Creates a Gupshup app in the sandbox, a channel for it in the app (key checked), activates it on `line`. */
export async function connectChannel(s: Stack, token: string, line = 1, n = 1): Promise<DemoChannel> {
  const appName = `DemoShop${n}`;
  const sourceNumber = `5491100000${String(n).padStart(3, '0')}`;
  const apiKey = `sandbox-key-${n}-abcdefgh`;
  // With its App ID, as the pages ask for it: the key is checked with Gupshup, and the health strip
  // can check it again (without it the Gupshup indicator stays grey).
  const { appId } = s.gupshup.addApp({ appName, apiKey, sourceNumber });
  const created = await api<{ id: string; callbackUrl: string }>(s, token, 'POST', '/channels', {
    name: `Tienda ${n}`,
    gupshupAppName: appName,
    gupshupAppId: appId,
    sourceNumber,
    apiKey,
  });
  if (created.status !== 201) {
    throw new Error(`channel creation answered ${created.status}: ${JSON.stringify(created.body)}`);
  }
  s.gupshup.setCallbackUrl(appName, created.body.callbackUrl);
  const act = await api(s, token, 'POST', `/channels/${created.body.id}/activate`, { lineId: line });
  if (act.status !== 200) throw new Error(`activation answered ${act.status}: ${JSON.stringify(act.body)}`);
  return { id: created.body.id, callbackUrl: created.body.callbackUrl, appName, sourceNumber };
}

/**
 * The environment for running the app as its own process (`src/server.ts`, as `npm start` does)
 * against the given sandboxes; used by the benchmark and the SIGKILL test.
 */
export function appProcessEnv(o: {
  port: number;
  databaseUrl: string;
  portal: SandboxPortal;
  gupshup: SandboxGupshup;
  logLevel?: string;
  pollMs?: number;
  /** Charge the send path (BILLING_ENFORCED); off by default, as in the test stack. */
  billing?: boolean;
}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PORT: String(o.port),
    HOST: '127.0.0.1',
    PUBLIC_URL: `http://127.0.0.1:${o.port}`,
    DATABASE_URL: o.databaseUrl,
    APP_SECRET: STACK_APP_SECRET,
    B24_CLIENT_ID: STACK_CLIENT_ID,
    B24_CLIENT_SECRET: STACK_CLIENT_SECRET,
    B24_OAUTH_URL: o.portal.oauthUrl,
    B24_ALLOW_PRIVATE_HOSTS: 'true',
    GUPSHUP_API_URL: o.gupshup.url,
    LOG_LEVEL: o.logLevel ?? 'silent',
    WORKER_POLL_MS: String(o.pollMs ?? 50),
    BILLING_ENFORCED: o.billing ? 'true' : 'false',
  };
}

/**
 * Starts the app process with that environment and resolves once `/readyz` answers 200; rejects at
 * once, with what the process printed on stderr, when it exits before that. `detached` makes it the
 * leader of a process group of its own (with its embedded PostgreSQL), to kill them all at once.
 */
let serverBundle: Promise<string> | undefined;

export async function spawnApp(
  env: NodeJS.ProcessEnv,
  stdio: 'ignore' | 'inherit' = 'ignore',
  opts: { detached?: boolean } = {},
): Promise<ChildProcess> {
  // BENCH_PROFILE=1: a V8 CPU profile of each app process in bench/profiles/ (open in Chrome DevTools).
  const profile = process.env.BENCH_PROFILE ? ['--cpu-prof', '--cpu-prof-dir=bench/profiles'] : [];
  // The app as `npm start` runs it (package.json): the built bundle, plain JavaScript, an 8 MB young
  // generation instead of V8's 16 MB, and the old generation let grow to 1.5 times what the last full
  // GC kept: V8's own factor (up to 4) let the ingest flood's garbage pile up to a 171–252 MB peak in
  // the bench, 150–161 MB with this, for the same GC time and CPU (docs/performance.md, "Memory").
  const entry = await (serverBundle ??= buildServer());
  const app = spawn(
    process.execPath,
    [...profile, '--enable-source-maps', '--max-semi-space-size=8', '--heap-growing-percent=50', entry],
    {
      env,
      stdio: ['ignore', stdio, stdio === 'inherit' ? 'inherit' : 'pipe'],
      detached: opts.detached ?? false,
    },
  );
  let stderr = '';
  app.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let exit: string | undefined;
  app.once('exit', (code, signal) => {
    exit = signal ?? `code ${code}`;
  });
  const url = env.PUBLIC_URL ?? '';
  await waitFor(
    () => {
      if (exit) throw new Error(`The app process exited (${exit}) before it was ready: ${stderr.trim()}`);
      return fetch(`${url}/readyz`)
        .then((r) => r.ok)
        .catch(() => false);
    },
    30_000,
    'the app process to be ready',
  );
  return app;
}
