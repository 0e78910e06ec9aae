/**
 * What the sandbox portal's own tests share: a stub standing in for the app (it records every request
 * the portal makes to it), a portal with the app installed, and helpers to call REST and the OAuth
 * server. `portal`, `app`, `token` and `refresh` are those of the running test (set by `setup()` and
 * `boot()`).
 */
import { expect } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import qs from 'qs';
import { startSandboxPortal } from '../../../scripts/sandbox/portal/index.js';
import type { SandboxPortal, SandboxPortalOptions } from '../../../scripts/sandbox/portal/index.js';

export const CLIENT_ID = 'app.sandbox.test';
export const CLIENT_SECRET = 'sandbox-secret';
export const ICON = {
  DATA_IMAGE: 'data:image/svg+xml;charset=US-ASCII,%3Csvg%3E%3C/svg%3E',
  COLOR: '#69acc0',
};

interface Hit {
  url: string;
  query: URLSearchParams;
  raw: string;
  form: Record<string, unknown>;
  contentType: string;
}

interface Stub {
  url: string;
  hits: Hit[];
  status: number;
  close(): Promise<void>;
}

async function startStub(): Promise<Stub> {
  const hits: Hit[] = [];
  const stub: Stub = { url: '', hits, status: 200, close: () => Promise.resolve() };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const u = new URL(req.url ?? '/', 'http://stub');
      hits.push({
        url: req.url ?? '/',
        query: u.searchParams,
        raw,
        form: qs.parse(raw, { depth: 10, arrayLimit: 1000 }),
        contentType: String(req.headers['content-type']),
      });
      res.writeHead(stub.status, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stub.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  stub.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return stub;
}

interface RestResult<T> {
  status: number;
  body: T & {
    error?: string;
    error_description?: string;
    time?: Record<string, unknown>;
    total?: number;
    next?: number;
  };
}

export async function rest<T = { result: unknown }>(
  portal: SandboxPortal,
  method: string,
  params: Record<string, unknown>,
  o: { form?: boolean; get?: boolean; base?: string } = {},
): Promise<RestResult<T>> {
  const base = o.base ?? `${portal.url}/rest/`;
  let res: Response;
  if (o.get) {
    res = await fetch(`${base}${method}?${qs.stringify(params)}`);
  } else if (o.form) {
    res = await fetch(`${base}${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: qs.stringify(params),
    });
  } else {
    res = await fetch(`${base}${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(params),
    });
  }
  return { status: res.status, body: (await res.json()) as RestResult<T>['body'] };
}

export async function oauth(
  portal: SandboxPortal,
  params: Record<string, string>,
  post = false,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = post
    ? await fetch(`${portal.oauthUrl}/oauth/token/`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams(params).toString(),
      })
    : await fetch(`${portal.oauthUrl}/oauth/token/?${new URLSearchParams(params).toString()}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export function formOf(hit: Hit | undefined): Record<string, unknown> {
  if (!hit) throw new Error('no hit');
  return hit.form;
}

export function pick(o: unknown, path: string): unknown {
  let v: unknown = o;
  for (const k of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

export let portal: SandboxPortal;
export let app: Stub;
export let token: string;
export let refresh: string;

/** A portal of its own, nothing installed (the test installs the app itself). */
export async function startPortal(extra: Partial<SandboxPortalOptions> = {}): Promise<void> {
  portal = await startSandboxPortal({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...extra });
}

/** A portal with the app installed by its install page (§1.2); `token`, `refresh` are that page's. */
export async function boot(extra: Partial<SandboxPortalOptions> = {}, finish = true): Promise<void> {
  await startPortal(extra);
  const r = await portal.installApp({ installUrl: `${app.url}/b24/install` });
  expect(r.status).toBe(200);
  const f = formOf(app.hits.at(-1));
  token = String(f['AUTH_ID']);
  refresh = String(f['REFRESH_ID']);
  if (finish) portal.finishInstall();
}

export async function registerAndActivate(line = 1, id = 'acme_wa'): Promise<void> {
  const reg = await rest<{ result: { result: boolean } }>(portal, 'imconnector.register', {
    auth: token,
    ID: id,
    NAME: 'Acme WhatsApp',
    ICON,
    PLACEMENT_HANDLER: `${app.url}/b24/connector`,
  });
  expect(reg.body.result.result).toBe(true);
  const act = await rest(portal, 'imconnector.activate', {
    auth: token,
    CONNECTOR: id,
    LINE: line,
    ACTIVE: 1,
  });
  expect(act.body.result).toBe(true);
}

export function customerMessage(
  text: string,
  mid: string,
  chatId = '5215550001',
  userId = chatId,
): Record<string, unknown> {
  return {
    user: { id: userId, name: 'Asha' },
    message: { id: mid, date: 1773265993, text },
    chat: { id: chatId },
  };
}

export async function setup(): Promise<void> {
  app = await startStub();
}

export async function teardown(): Promise<void> {
  await portal.close();
  await app.close();
}
