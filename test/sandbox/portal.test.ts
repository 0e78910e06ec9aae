/**
 * Tests of the sandbox Bitrix24 portal itself, against /work/shared/reference/bitrix24.md
 * (section numbers in the test names). Nothing from src/ is used.
 */
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import qs from 'qs';
import { startSandboxPortal } from '../../scripts/sandbox/portal/index.js';
import type { SandboxPortal, SandboxPortalOptions } from '../../scripts/sandbox/portal/index.js';

const CLIENT_ID = 'app.sandbox.test';
const CLIENT_SECRET = 'sandbox-secret';
const ICON = { DATA_IMAGE: 'data:image/svg+xml;charset=US-ASCII,%3Csvg%3E%3C/svg%3E', COLOR: '#69acc0' };

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

async function rest<T = { result: unknown }>(
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

async function oauth(
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

function formOf(hit: Hit | undefined): Record<string, unknown> {
  if (!hit) throw new Error('no hit');
  return hit.form;
}

function pick(o: unknown, path: string): unknown {
  let v: unknown = o;
  for (const k of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

describe('sandbox Bitrix24 portal', () => {
  let portal: SandboxPortal;
  let app: Stub;
  let token: string;
  let refresh: string;

  async function boot(extra: Partial<SandboxPortalOptions> = {}, finish = true): Promise<void> {
    portal = await startSandboxPortal({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, ...extra });
    const r = await portal.installApp({ installUrl: `${app.url}/b24/install` });
    expect(r.status).toBe(200);
    const f = formOf(app.hits.at(-1));
    token = String(f['AUTH_ID']);
    refresh = String(f['REFRESH_ID']);
    if (finish) portal.finishInstall();
  }

  async function registerAndActivate(line = 1, id = 'acme_wa'): Promise<void> {
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

  function customerMessage(
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

  beforeEach(async () => {
    app = await startStub();
  });

  afterEach(async () => {
    await portal.close();
    await app.close();
  });

  describe('installation (§1.2, §1.3, §1.4)', () => {
    it('UI install POSTs query DOMAIN/PROTOCOL/LANG/APP_SID and the form fields', async () => {
      await boot({ lang: 'pt' }, false);
      const hit = app.hits[0];
      expect(hit?.url.startsWith('/b24/install?')).toBe(true);
      expect(hit?.query.get('DOMAIN')).toBe(portal.domain);
      expect(hit?.query.get('PROTOCOL')).toBe('0');
      expect(hit?.query.get('LANG')).toBe('pt');
      expect(hit?.query.get('APP_SID')).toMatch(/^[0-9a-f]{32}$/);
      expect(hit?.contentType).toBe('application/x-www-form-urlencoded');
      const f = formOf(hit);
      expect(f['AUTH_EXPIRES']).toBe('3600');
      expect(f['SERVER_ENDPOINT']).toBe(`${portal.oauthUrl}/rest/`);
      expect(f['APPLICATION_TOKEN']).toBe(portal.applicationToken);
      expect(f['APPLICATION_TOKEN']).not.toBe(hit?.query.get('APP_SID'));
      expect(f['member_id']).toBe(portal.memberId);
      expect(f['status']).toBe('L');
      expect(f['PLACEMENT']).toBe('DEFAULT');
      expect(f['PLACEMENT_OPTIONS']).toBe('{}');
      expect(portal.isInstalled()).toBe(true);
      // not finished yet: app.info says INSTALLED false (§1.4)
      const info = await rest<{ result: { INSTALLED: boolean; CODE: string } }>(portal, 'app.info', {
        auth: token,
      });
      expect(info.body.result.INSTALLED).toBe(false);
      expect(info.body.result.CODE).toBe(CLIENT_ID);
      portal.finishInstall();
      const info2 = await rest<{ result: { INSTALLED: boolean } }>(portal, 'app.info', { auth: token });
      expect(info2.body.result.INSTALLED).toBe(true);
    });

    it('callback install POSTs ONAPPINSTALL form-encoded with refresh_token and application_token; finished at once', async () => {
      portal = await startSandboxPortal({ clientId: CLIENT_ID, clientSecret: CLIENT_SECRET });
      await portal.installApp({ installUrl: `${app.url}/b24/install`, mode: 'callback' });
      const f = formOf(app.hits[0]);
      expect(f['event']).toBe('ONAPPINSTALL');
      expect(pick(f, 'data.LANGUAGE_ID')).toBe('es');
      expect(pick(f, 'auth.application_token')).toBe(portal.applicationToken);
      expect(pick(f, 'auth.member_id')).toBe(portal.memberId);
      expect(pick(f, 'auth.client_endpoint')).toBe(`${portal.url}/rest/`);
      expect(typeof pick(f, 'auth.refresh_token')).toBe('string');
      const info = await rest<{ result: { INSTALLED: boolean } }>(portal, 'app.info', {
        auth: String(pick(f, 'auth.access_token')),
      });
      expect(info.body.result.INSTALLED).toBe(true);
      token = String(pick(f, 'auth.access_token'));
    });
    it('the portal page frames the install page; only that frame may finish the installation (§1.4)', async () => {
      await boot({}, false);
      const finished = async () =>
        ((await (await fetch(`${portal.url}/`)).json()) as { install_finished: boolean }).install_finished;
      const finish = (APP_SID: string) =>
        fetch(`${portal.url}/app/install-finish`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ APP_SID }),
        });
      expect((await finish('0'.repeat(32))).status).toBe(400);
      await expect(finished()).resolves.toBe(false);

      const html = await (
        await fetch(`${portal.url}/?view=install`, { headers: { accept: 'text/html' } })
      ).text();
      const action = new URL(
        (/<form id="open" method="post" target="app" action="([^"]+)"/.exec(html)?.[1] ?? '').replaceAll(
          '&#38;',
          '&',
        ),
      );
      expect(action.origin + action.pathname).toBe(`${app.url}/b24/install`);
      // The page answers the frame's getInitData: still installing, with the viewer's token.
      expect(html).toContain('"INSTALL":true');
      expect(html).toContain(`var appSid = "${action.searchParams.get('APP_SID')}"`);
      expect((await finish(action.searchParams.get('APP_SID') ?? '')).status).toBe(200);
      await expect(finished()).resolves.toBe(true);
    });
  });

  describe('REST transport (§1.5)', () => {
    beforeEach(async () => {
      await boot();
    });

    it('answers {result,time} via JSON, form, GET and the .json suffix', async () => {
      const a = await rest<{ result: { ID: string; ADMIN: boolean; NAME: string } }>(portal, 'profile', {
        auth: token,
      });
      expect(a.status).toBe(200);
      expect(a.body.result).toMatchObject({
        ID: '1',
        ADMIN: true,
        NAME: 'Ana',
        LAST_NAME: 'Admin',
        TIME_ZONE: '',
      });
      for (const k of [
        'start',
        'finish',
        'duration',
        'processing',
        'date_start',
        'date_finish',
        'operating_reset_at',
        'operating',
      ]) {
        expect(a.body.time).toHaveProperty(k);
      }
      const b = await rest<{ result: boolean }>(portal, 'user.admin.json', { auth: token }, { form: true });
      expect(b.body.result).toBe(true);
      const c = await rest<{ result: { ID: string } }>(
        portal,
        'profile.json',
        { auth: token },
        { get: true },
      );
      expect(c.body.result.ID).toBe('1');
    });

    it('unknown token → 401 NO_AUTH_FOUND; unknown method → 404 ERROR_METHOD_NOT_FOUND', async () => {
      const a = await rest(portal, 'profile', { auth: 'nope' });
      expect(a.status).toBe(401);
      expect(a.body.error).toBe('NO_AUTH_FOUND');
      const b = await rest(portal, 'profile', {});
      expect(b.status).toBe(401);
      const c = await rest(portal, 'no.such.method', { auth: token });
      expect(c.status).toBe(404);
      expect(c.body.error).toBe('ERROR_METHOD_NOT_FOUND');
      expect(portal.calls().map((x) => [x.method, x.status, x.error])).toContainEqual([
        'no.such.method',
        404,
        'ERROR_METHOD_NOT_FOUND',
      ]);
    });

    it('the OAuth server REST root serves app.info too (§6.2)', async () => {
      const r = await rest<{ result: { CODE: string } }>(
        portal,
        'app.info',
        { auth: token },
        { base: `${portal.oauthUrl}/rest/` },
      );
      expect(r.body.result.CODE).toBe(CLIENT_ID);
    });
  });

  describe('tokens (§1.6)', () => {
    beforeEach(async () => {
      await boot();
    });

    it('expired access token → 401 expired_token; refresh rotates the refresh token; the old one → invalid_grant', async () => {
      portal.expireAccessTokens();
      const a = await rest(portal, 'profile', { auth: token });
      expect(a.status).toBe(401);
      expect(a.body.error).toBe('expired_token');

      const r = await oauth(portal, {
        grant_type: 'refresh_token',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        refresh_token: refresh,
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        expires_in: 3600,
        client_endpoint: `${portal.url}/rest/`,
        server_endpoint: `${portal.oauthUrl}/rest/`,
        member_id: portal.memberId,
        user_id: 1,
        status: 'L',
      });
      expect(r.body['refresh_token']).not.toBe(refresh);
      expect(Number(r.body['expires'])).toBeGreaterThan(Date.now() / 1000);
      expect(portal.tokenRefreshes()).toBe(1);

      const ok = await rest(portal, 'profile', { auth: String(r.body['access_token']) });
      expect(ok.status).toBe(200);

      const again = await oauth(portal, {
        grant_type: 'refresh_token',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        refresh_token: refresh,
      });
      expect(again.status).toBe(400);
      expect(again.body['error']).toBe('invalid_grant');

      // the new refresh token works once, by POST form too
      const third = await oauth(
        portal,
        {
          grant_type: 'refresh_token',
          client_id: CLIENT_ID,
          client_secret: CLIENT_SECRET,
          refresh_token: String(r.body['refresh_token']),
        },
        true,
      );
      expect(third.status).toBe(200);
      expect(portal.tokenRefreshes()).toBe(2);
    });

    it('wrong client → invalid_client; tokens expire in real time with a short TTL', async () => {
      const r = await oauth(portal, {
        grant_type: 'refresh_token',
        client_id: CLIENT_ID,
        client_secret: 'wrong',
        refresh_token: refresh,
      });
      expect(r.body['error']).toBe('invalid_client');
      await portal.close();
      await boot({ accessTokenTtlSec: 1 });
      await new Promise((res) => setTimeout(res, 1100));
      const a = await rest(portal, 'profile', { auth: token });
      expect(a.body.error).toBe('expired_token');
    });
  });

  describe('rate limit and faults (§7, §1.5)', () => {
    beforeEach(async () => {
      await boot();
    });

    it('leaky bucket: above burst → 503 QUERY_LIMIT_EXCEEDED, refused calls do not fill it, it drains', async () => {
      // Slow drain so a loaded machine (calls taking 100+ ms) cannot leak a slot between the six calls.
      portal.setRate({ drainPerSec: 0.5, burst: 3 });
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++) statuses.push((await rest(portal, 'profile', { auth: token })).status);
      expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
      expect(statuses.slice(3)).toEqual([503, 503, 503]);
      const refused = await rest(portal, 'profile', { auth: token });
      expect(refused.body.error).toBe('QUERY_LIMIT_EXCEEDED');
      await new Promise((res) => setTimeout(res, 2_100)); // drains ≥1 slot
      expect((await rest(portal, 'profile', { auth: token })).status).toBe(200);
      portal.setRate(null);
      for (let i = 0; i < 20; i++) expect((await rest(portal, 'profile', { auth: token })).status).toBe(200);
    });

    it('default plan (2/s, burst 50) refuses a burst of 60 parallel calls beyond ~50', async () => {
      const rs = await Promise.all(
        Array.from({ length: 60 }, () => rest(portal, 'profile', { auth: token })),
      );
      const ok = rs.filter((r) => r.status === 200).length;
      // 1 call was already made by boot? no: install makes none; allow a little drain
      expect(ok).toBeGreaterThanOrEqual(49);
      expect(ok).toBeLessThanOrEqual(52);
      expect(rs.filter((r) => r.body.error === 'QUERY_LIMIT_EXCEEDED').length).toBe(60 - ok);
    });

    it('failNext and outage', async () => {
      portal.failNext({ method: 'profile', times: 2, status: 500, error: 'INTERNAL_SERVER_ERROR' });
      portal.failNext({ method: '*', times: 1, status: 429, error: 'OPERATION_TIME_LIMIT' });
      const a = await rest(portal, 'app.info', { auth: token });
      expect([a.status, a.body.error]).toEqual([429, 'OPERATION_TIME_LIMIT']);
      const b = await rest(portal, 'profile', { auth: token });
      expect([b.status, b.body.error]).toEqual([500, 'INTERNAL_SERVER_ERROR']);
      expect((await rest(portal, 'profile', { auth: token })).status).toBe(500);
      expect((await rest(portal, 'profile', { auth: token })).status).toBe(200);

      portal.outage({ ms: 120 });
      const c = await rest(portal, 'profile', { auth: token });
      expect([c.status, c.body.error]).toEqual([503, 'QUERY_LIMIT_EXCEEDED']);
      await new Promise((res) => setTimeout(res, 150));
      expect((await rest(portal, 'profile', { auth: token })).status).toBe(200);
      const log = portal.calls();
      expect(log.filter((x) => x.status === 500)).toHaveLength(2);
      expect(log.every((x) => typeof x.at === 'number')).toBe(true);
    });
  });

  describe('imconnector.register / list / unregister (§3.1–§3.3)', () => {
    beforeEach(async () => {
      await boot();
    });

    it('failures are HTTP 200 with result.result:false', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ NAME: 'x', ICON, PLACEMENT_HANDLER: 'http://h' }, 'CONNECTOR_ID_REQUIRED'],
        [
          { ID: 'acme.wa', NAME: 'x', ICON, PLACEMENT_HANDLER: 'http://h' },
          'APPLICATION_REGISTRATION_ERROR_POINT',
        ],
        [{ ID: 'acme_wa', ICON, PLACEMENT_HANDLER: 'http://h' }, 'NAME_REQUIRED'],
        [{ ID: 'acme_wa', NAME: 'x', PLACEMENT_HANDLER: 'http://h' }, 'ICON_REQUIRED'],
        [{ ID: 'acme_wa', NAME: 'x', ICON }, 'NO_PLACEMENT_HANDLER'],
      ];
      for (const [params, error] of cases) {
        const r = await rest<{ result: { result: boolean; error: string } }>(portal, 'imconnector.register', {
          auth: token,
          ...params,
        });
        expect(r.status).toBe(200);
        expect(r.body.result).toMatchObject({ result: false, error });
      }
      expect(portal.connectors()).toHaveLength(0);
    });

    it('ID is lower-cased; re-register updates; list; unregister removes statuses', async () => {
      const base = { auth: token, ID: 'Acme_WA', ICON, PLACEMENT_HANDLER: `${app.url}/b24/connector` };
      await rest(portal, 'imconnector.register', { ...base, NAME: 'One' });
      await rest(portal, 'imconnector.register', { ...base, NAME: 'Two', NEED_SIGNATURE: false });
      expect(portal.connectors()).toHaveLength(1);
      expect(portal.connectors()[0]).toMatchObject({ ID: 'acme_wa', NAME: 'Two', NEED_SIGNATURE: false });
      const list = await rest<{ result: Record<string, string> }>(portal, 'imconnector.list', {
        auth: token,
      });
      expect(list.body.result['acme_wa']).toBe('Two');
      await rest(portal, 'imconnector.activate', { auth: token, CONNECTOR: 'acme_wa', LINE: 1, ACTIVE: 1 });
      expect(portal.lineStatus(1, 'acme_wa').active).toBe(true);
      const un = await rest<{ result: { result: boolean } }>(portal, 'imconnector.unregister', {
        auth: token,
        ID: 'acme_wa',
      });
      expect(un.body.result.result).toBe(true);
      expect(portal.connectors()).toHaveLength(0);
      expect(portal.lineStatus(1, 'acme_wa')).toEqual({ active: false, data: null, error: false });
    });
  });

  describe('activate / status / data.set (§3.4–§3.6)', () => {
    beforeEach(async () => {
      await boot();
    });

    it('status without LINE is LINE 0 → not configured; activate, data.set, deactivate wipes data', async () => {
      await registerAndActivate(1);
      const s0 = await rest<{ result: Record<string, unknown> }>(portal, 'imconnector.status', {
        auth: token,
        CONNECTOR: 'acme_wa',
      });
      expect(s0.body.result).toMatchObject({ LINE: 0, CONFIGURED: false, STATUS: false });
      const s1 = await rest<{ result: Record<string, unknown> }>(portal, 'imconnector.status', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
      });
      expect(s1.body.result).toEqual({
        LINE: 1,
        CONNECTOR: 'acme_wa',
        ERROR: false,
        CONFIGURED: true,
        STATUS: true,
      });

      await rest(portal, 'imconnector.connector.data.set', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        DATA: { id: 'wa-5215550000', url: 'https://wa.me/5215550000', NAME: 'Ventas WA' },
      });
      expect(portal.lineStatus(1, 'acme_wa').data).toEqual({
        ID: 'wa-5215550000',
        URL: 'https://wa.me/5215550000',
        NAME: 'Ventas WA',
      });

      await rest(portal, 'imconnector.activate', { auth: token, CONNECTOR: 'acme_wa', LINE: 1, ACTIVE: '0' });
      expect(portal.lineStatus(1, 'acme_wa')).toEqual({ active: false, data: null, error: false });
      // "N" is non-empty → enables (§3.4), but the data is gone
      await rest(
        portal,
        'imconnector.activate',
        { auth: token, CONNECTOR: 'acme_wa', LINE: 1, ACTIVE: 'N' },
        { form: true },
      );
      expect(portal.lineStatus(1, 'acme_wa')).toEqual({ active: true, data: null, error: false });
    });

    it('argument errors → 400 ERROR_ARGUMENT; unknown connector → IMCONNECTOR_NO_CORRECT_PROVIDER', async () => {
      await registerAndActivate(1);
      const a = await rest(portal, 'imconnector.activate', { auth: token, CONNECTOR: 'acme_wa', ACTIVE: 1 });
      expect([a.status, a.body.error]).toEqual([400, 'ERROR_ARGUMENT']);
      const b = await rest(portal, 'imconnector.activate', {
        auth: token,
        CONNECTOR: 'other',
        LINE: 1,
        ACTIVE: 1,
      });
      expect([b.status, b.body.error]).toEqual([400, 'IMCONNECTOR_NO_CORRECT_PROVIDER']);
    });
  });

  describe('imconnector.send.messages (§3.7)', () => {
    beforeEach(async () => {
      await boot();
      await registerAndActivate(1);
    });

    it('validates CONNECTOR/LINE/MESSAGES and the line', async () => {
      const noLine = await rest(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        MESSAGES: [customerMessage('hi', 'm1')],
      });
      expect([noLine.status, noLine.body.error]).toEqual([400, 'ERROR_ARGUMENT']);
      const noMsgs = await rest(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [],
      });
      expect([noMsgs.status, noMsgs.body.error]).toEqual([400, 'ERROR_ARGUMENT']);
      const noChat = await rest(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [{ user: { id: '1' }, message: { text: 'x' } }],
      });
      expect([noChat.status, noChat.body.error]).toEqual([400, 'ERROR_ARGUMENT']);
      const inactive = await rest(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 2,
        MESSAGES: [customerMessage('hi', 'm1')],
      });
      expect([inactive.status, inactive.body.error]).toEqual([400, 'NOT_ACTIVE_LINE']);
      const wrongConn = await rest(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'zzz',
        LINE: 1,
        MESSAGES: [customerMessage('hi', 'm1')],
      });
      expect(wrongConn.body.error).toBe('IMCONNECTOR_NO_CORRECT_PROVIDER');
      expect(portal.messages()).toHaveLength(0);
    });

    it('per-element SUCCESS/ERRORS, session per USER_CODE, case-insensitive keys, files recorded', async () => {
      type R = { result: { SUCCESS: boolean; DATA: { RESULT: Array<Record<string, unknown>> } } };
      const r = await rest<R>(portal, 'imconnector.send.messages', {
        auth: token,
        connector: 'ACME_WA',
        line: '1',
        MESSAGES: [
          customerMessage('hola', 'g-1'),
          {
            USER: { ID: '5215550001' },
            MESSAGE: { ID: 'g-2', FILES: [{ URL: 'https://media.example/p.jpg', NAME: 'p.jpg' }] },
            CHAT: { ID: '5215550001', URL: 'https://wa.me/5215550001' },
          },
          { user: { id: '5215550001' }, message: { id: 'g-3' }, chat: { id: '5215550001' } },
          customerMessage('otro cliente', 'g-4', '5215550002'),
        ],
      });
      expect(r.status).toBe(200);
      const res = r.body.result.DATA.RESULT;
      expect(r.body.result.SUCCESS).toBe(false);
      expect(res.map((x) => x['SUCCESS'])).toEqual([true, true, false, true]);
      expect(res[2]?.['ERRORS']).toEqual(expect.arrayContaining([expect.any(String)]));
      const s0 = res[0]?.['session'] as { ID: string; CHAT_ID: string };
      const s1 = res[1]?.['session'] as { ID: string; CHAT_ID: string };
      const s3 = res[3]?.['session'] as { ID: string; CHAT_ID: string };
      expect(s0.CHAT_ID).toBe(s1.CHAT_ID);
      expect(s0.CHAT_ID).not.toBe(s3.CHAT_ID);
      expect(typeof s0.ID).toBe('string');
      expect(typeof res[0]?.['user']).toBe('string');
      expect(pick(res[1], 'chat.description')).toContain('https://wa.me/5215550001');

      const msgs = portal.messages({ line: 1, author: 'customer' });
      expect(msgs).toHaveLength(3);
      expect(msgs[0]).toMatchObject({
        text: 'hola',
        connectorMid: ['g-1'],
        externalChatId: '5215550001',
        chatId: Number(s0.CHAT_ID),
        date: 1773265993,
      });
      expect(msgs[1]?.files).toHaveLength(1);
      expect(msgs[1]?.files[0]).toMatchObject({ url: 'https://media.example/p.jpg', name: 'p.jpg' });
      // §3.7: the portal downloads each file url at call time; this host does not exist.
      expect(msgs[1]?.files[0]?.download?.status).toBeNull();
      expect(portal.downloads().map((d) => d.url)).toEqual(['https://media.example/p.jpg']);

      // a second call keeps the same chat for the same USER_CODE
      const again = await rest<R>(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [customerMessage('más', 'g-5')],
      });
      expect(pick(again.body.result.DATA.RESULT[0], 'session.CHAT_ID')).toBe(s0.CHAT_ID);
    });

    it('works form-encoded with bracket keys (§1.5)', async () => {
      const r = await rest<{ result: { SUCCESS: boolean } }>(
        portal,
        'imconnector.send.messages',
        {
          auth: token,
          CONNECTOR: 'acme_wa',
          LINE: 1,
          MESSAGES: [
            {
              user: { id: 'u1' },
              message: { id: 'f1', text: 'form', files: [{ url: 'https://x/y.pdf', name: 'y.pdf' }] },
              chat: { id: 'u1' },
            },
          ],
        },
        { form: true },
      );
      expect(r.body.result.SUCCESS).toBe(true);
      expect(portal.messages()[0]).toMatchObject({
        text: 'form',
        files: [{ url: 'https://x/y.pdf', name: 'y.pdf' }],
      });
    });

    it('update.messages finds by message.id in the chat; delete.messages removes (§3.8)', async () => {
      await rest(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [customerMessage('v1', 'g-1')],
      });
      type R = { result: { SUCCESS: boolean; DATA: { RESULT: Array<Record<string, unknown>> } } };
      const up = await rest<R>(portal, 'imconnector.update.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [customerMessage('v2', 'g-1'), customerMessage('zz', 'nope')],
      });
      expect(up.body.result.DATA.RESULT.map((x) => x['SUCCESS'])).toEqual([true, false]);
      expect(up.body.result.DATA.RESULT[1]?.['ERRORS']).toEqual([expect.stringContaining('nope')]);
      expect(up.body.result.DATA.RESULT[0]).not.toHaveProperty('session');
      expect(portal.messages()[0]).toMatchObject({ text: 'v2', updatedTimes: 1 });

      const del = await rest<R>(portal, 'imconnector.delete.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [{ user: { id: '5215550001' }, message: { id: 'g-1' }, chat: { id: '5215550001' } }],
      });
      expect(del.body.result.DATA.RESULT[0]).toMatchObject({
        SUCCESS: true,
        message: { id: 'g-1' },
        chat: { id: '5215550001' },
      });
      expect(portal.messages()).toHaveLength(0);
    });
  });

  describe('files sent by the connector (§3.7)', () => {
    beforeEach(async () => {
      await boot();
      await registerAndActivate(1);
    });

    it('downloads each file url at call time and records what it got', async () => {
      const url = `${app.url}/media/abc?exp=1&sig=x`;
      const r = await rest<{ result: { SUCCESS: boolean } }>(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [
          {
            user: { id: '5215550001' },
            message: { id: 'g-1', text: 'foto', files: [{ url, name: 'foto.png' }] },
            chat: { id: '5215550001' },
          },
        ],
      });
      expect(r.body.result.SUCCESS).toBe(true);
      expect(app.hits.map((h) => h.url).filter((u) => u.startsWith('/media/'))).toEqual([
        '/media/abc?exp=1&sig=x',
      ]);
      const [m] = portal.messages({ author: 'customer' });
      expect(m?.files[0]).toMatchObject({ url, name: 'foto.png' });
      expect(m?.files[0]?.download).toMatchObject({ url, status: 200, bytes: 2, contentType: 'text/plain' });
    });
  });

  describe('events (§2.1, §2.2, §4.1, §3.9)', () => {
    beforeEach(async () => {
      await boot({}, false);
      await registerAndActivate(1);
      await rest(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [customerMessage('hola', 'g-1')],
      });
      app.hits.length = 0;
    });

    it('event.bind: unknown event, duplicate, get, unbind', async () => {
      const handler = `${app.url}/b24/events`;
      const a = await rest(portal, 'event.bind', { auth: token, event: 'OnImConnectorMessageAdd', handler });
      expect(a.body.result).toBe(true);
      const dup = await rest(portal, 'event.bind', {
        auth: token,
        event: 'ONIMCONNECTORMESSAGEADD',
        handler,
      });
      expect([dup.status, dup.body.error]).toEqual([400, 'ERROR_HANDLER_ALREADY_EXIST']);
      const bad = await rest(portal, 'event.bind', { auth: token, event: 'OnNothing', handler });
      expect([bad.status, bad.body.error]).toEqual([400, 'ERROR_EVENT_NOT_FOUND']);
      expect(portal.bindings()).toEqual([{ event: 'ONIMCONNECTORMESSAGEADD', handler }]);
      const got = await rest<{ result: Array<Record<string, unknown>> }>(portal, 'event.get', {
        auth: token,
      });
      expect(got.body.result[0]).toMatchObject({
        event: 'ONIMCONNECTORMESSAGEADD',
        handler,
        auth_type: '0',
        offline: 0,
      });
      const un = await rest<{ result: { count: number } }>(portal, 'event.unbind', {
        auth: token,
        event: 'OnImConnectorMessageAdd',
        handler,
      });
      expect(un.body.result.count).toBe(1);
      expect(portal.bindings()).toEqual([]);
    });

    it('OnImConnectorMessageAdd: only after installFinish, form-encoded with bracket keys, signed text', async () => {
      const handler = `${app.url}/b24/events`;
      await rest(portal, 'event.bind', { auth: token, event: 'OnImConnectorMessageAdd', handler });

      const before = await portal.operatorSend({ line: 1, externalChatId: '5215550001', text: 'antes' });
      expect(before.responses).toEqual([]);
      expect(app.hits).toHaveLength(0);

      portal.finishInstall();
      const sent = await portal.operatorSend({
        line: 1,
        externalChatId: '5215550001',
        text: 'Hola [b]cliente[/b]',
        files: [{ name: 'doc.pdf', type: 'file', link: 'https://disk.example/doc.pdf', size: 1234 }],
      });
      expect(sent.responses).toEqual([{ handler, status: 200 }]);
      const hit = app.hits[0];
      expect(hit?.contentType).toBe('application/x-www-form-urlencoded');
      expect(hit?.raw).toContain('data%5BMESSAGES%5D%5B0%5D%5Bim%5D%5Bchat_id%5D=');
      expect(hit?.raw).toContain('auth%5Bapplication_token%5D=');
      const f = formOf(hit);
      expect(f['event']).toBe('ONIMCONNECTORMESSAGEADD');
      expect(typeof f['event_handler_id']).toBe('string');
      expect(f['ts']).toMatch(/^\d+$/);
      expect(pick(f, 'data.CONNECTOR')).toBe('acme_wa');
      expect(pick(f, 'data.LINE')).toBe('1');
      const m = (pick(f, 'data.MESSAGES') as Array<Record<string, unknown>>)[0];
      expect(pick(m, 'im.chat_id')).toBe(String(sent.chatId));
      expect(pick(m, 'im.message_id')).toBe(String(sent.messageId));
      expect(pick(m, 'message.user_id')).toBe('2');
      expect(pick(m, 'message.text')).toBe('[b]Bruno Agente:[/b][br] Hola [b]cliente[/b]');
      expect(pick(m, 'message.files')).toEqual([
        { name: 'doc.pdf', type: 'file', link: 'https://disk.example/doc.pdf', size: '1234' },
      ]);
      expect(pick(m, 'chat.id')).toBe('5215550001');
      const auth = f['auth'] as Record<string, unknown>;
      expect(auth['application_token']).toBe(portal.applicationToken);
      expect(auth['member_id']).toBe(portal.memberId);
      expect(auth['domain']).toBe(portal.domain);
      expect(auth['user_id']).toBe('2');
      for (const v of Object.values(auth)) expect(typeof v).toBe('string');
      // the event's token works for REST
      expect((await rest(portal, 'profile', { auth: String(auth['access_token']) })).status).toBe(200);

      const plain = await portal.operatorSend({
        line: 1,
        externalChatId: '5215550001',
        text: 'sin firma',
        signature: false,
      });
      expect(pick((pick(formOf(app.hits[1]), 'data.MESSAGES') as unknown[])[0], 'message.text')).toBe(
        'sin firma',
      );
      expect(plain.chatId).toBe(sent.chatId);
      expect(portal.messages({ author: 'operator' }).map((x) => x.text)).toEqual([
        'antes',
        'Hola [b]cliente[/b]',
        'sin firma',
      ]);
    });

    it('send.status.delivery needs message.id as an array; marks delivered and stores connectorMid', async () => {
      await rest(portal, 'event.bind', {
        auth: token,
        event: 'OnImConnectorMessageAdd',
        handler: `${app.url}/b24/events`,
      });
      portal.finishInstall();
      const sent = await portal.operatorSend({ line: 1, externalChatId: '5215550001', text: 'hola' });
      const el = (id: unknown) => ({
        im: { chat_id: sent.chatId, message_id: sent.messageId },
        message: { id, date: 1773760000 },
        chat: { id: '5215550001' },
      });
      const bad = await rest<{ result: { SUCCESS: boolean } }>(portal, 'imconnector.send.status.delivery', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [el('wamid.1')],
      });
      expect(bad.body.result.SUCCESS).toBe(false);
      expect(portal.messages({ author: 'operator' })[0]?.delivered).toBe(false);
      const good = await rest<{ result: { SUCCESS: boolean; DATA: unknown } }>(
        portal,
        'imconnector.send.status.delivery',
        { auth: token, CONNECTOR: 'acme_wa', LINE: 1, MESSAGES: [el(['wamid.1'])] },
        { form: true },
      );
      expect(good.body.result).toEqual({ SUCCESS: true, DATA: [] });
      expect(portal.messages({ author: 'operator' })[0]).toMatchObject({
        delivered: true,
        connectorMid: ['wamid.1'],
      });
      const reading = await rest<{ result: { SUCCESS: boolean } }>(
        portal,
        'imconnector.send.status.reading',
        { auth: token, CONNECTOR: 'acme_wa', LINE: 1, MESSAGES: [el(['wamid.1'])] },
      );
      expect(reading.body.result.SUCCESS).toBe(true);
    });

    it('OnImConnectorMessageUpdate/Delete go out only for acknowledged messages, shaped per §4.2/§4.3', async () => {
      const handler = `${app.url}/b24/events`;
      for (const event of ['OnImConnectorMessageUpdate', 'OnImConnectorMessageDelete']) {
        await rest(portal, 'event.bind', { auth: token, event, handler });
      }
      portal.finishInstall();
      const unacked = await portal.operatorSend({ line: 1, externalChatId: '5215550001', text: 'uno' });
      expect(await portal.operatorEdit({ messageId: unacked.messageId, text: 'uno bis' })).toEqual([]);
      expect(app.hits).toHaveLength(0);
      expect(portal.messages({ author: 'operator' })[0]?.text).toBe('uno bis');

      const sent = await portal.operatorSend({ line: 1, externalChatId: '5215550001', text: 'dos' });
      await rest(portal, 'imconnector.send.status.delivery', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [
          {
            im: { chat_id: sent.chatId, message_id: sent.messageId },
            message: { id: ['gs-1', 'gs-2'], date: 1773760000 },
            chat: { id: '5215550001' },
          },
        ],
      });
      expect(await portal.operatorEdit({ messageId: sent.messageId, text: 'dos bis' })).toEqual([
        { handler, status: 200 },
      ]);
      const upd = formOf(app.hits[0]);
      expect(upd['event']).toBe('ONIMCONNECTORMESSAGEUPDATE');
      const um = (pick(upd, 'data.MESSAGES') as Array<Record<string, unknown>>)[0];
      expect(pick(um, 'im.message_id')).toBe(String(sent.messageId));
      expect(pick(um, 'message.id')).toEqual(['gs-1', 'gs-2']);
      expect(pick(um, 'message.text')).toBe('[b]Bruno Agente:[/b][br] dos bis');
      expect(pick(um, 'chat.id')).toBe('5215550001');

      expect(await portal.operatorDelete({ messageId: sent.messageId })).toEqual([{ handler, status: 200 }]);
      const del = formOf(app.hits[1]);
      expect(del['event']).toBe('ONIMCONNECTORMESSAGEDELETE');
      const dm = pick(del, 'data.MESSAGES') as Array<Record<string, unknown>>;
      // one element per stored external id, message.id a string
      expect(dm.map((x) => pick(x, 'message.id'))).toEqual(['gs-1', 'gs-2']);
      expect(portal.messages({ author: 'operator' }).map((x) => x.text)).toEqual(['uno bis']);
    });

    it('serves operator files at link (public or private) and downloadLink (auth= required)', async () => {
      const pub = portal.addFile({ name: 'a b.png', contentType: 'image/png', data: Buffer.from('png') });
      const priv = portal.addFile({
        name: 'c.pdf',
        contentType: 'application/pdf',
        data: Buffer.from('pdf'),
        linkRequiresAuth: true,
      });
      expect(pub).toMatchObject({ name: 'a b.png', type: 'image', size: 3, mime: 'image/png' });
      expect(pub.downloadLink).toMatch(/^\/rest\/download\.json\?token=/);
      const get = async (u: string) => {
        const r = await fetch(u);
        return [r.status, r.status === 200 ? await r.text() : ''];
      };
      expect(await get(pub.link)).toEqual([200, 'png']);
      expect(await get(priv.link)).toEqual([401, '']);
      expect(await get(`${priv.link}?auth=${token}`)).toEqual([200, 'pdf']);
      expect(await get(`${portal.url}${pub.downloadLink ?? ''}`)).toEqual([401, '']);
      expect(await get(`${portal.url}${pub.downloadLink ?? ''}&auth=${token}`)).toEqual([200, 'png']);
      portal.expireAccessTokens();
      expect(await get(`${priv.link}?auth=${token}`)).toEqual([401, '']);
      expect(portal.fileRequests().map((r) => [r.status, r.withAuth])).toEqual([
        [200, false],
        [401, false],
        [200, true],
        [401, false],
        [200, true],
        [401, true],
      ]);
    });

    it('postEvent forges events with auth overrides; uninstall sends ONAPPUNINSTALL without tokens and revokes everything', async () => {
      const handler = `${app.url}/b24/events`;
      await rest(portal, 'event.bind', { auth: token, event: 'OnAppUninstall', handler });
      portal.finishInstall();
      const forged = await portal.postEvent({
        event: 'OnImConnectorMessageAdd',
        data: { CONNECTOR: 'acme_wa', LINE: 1 },
        handler,
        auth: { application_token: 'forged', access_token: undefined },
      });
      expect(forged).toEqual([{ handler, status: 200, body: 'ok' }]);
      const ff = formOf(app.hits[0]);
      expect(pick(ff, 'auth.application_token')).toBe('forged');
      expect(pick(ff, 'auth.access_token')).toBeUndefined();

      const appToken = portal.applicationToken;
      const r = await portal.uninstallApp({ clean: true });
      expect(r).toEqual([{ handler, status: 200 }]);
      const f = formOf(app.hits[1]);
      expect(f['event']).toBe('ONAPPUNINSTALL');
      expect(pick(f, 'data.CLEAN')).toBe('1');
      expect(pick(f, 'auth.application_token')).toBe(appToken);
      expect(pick(f, 'auth.access_token')).toBeUndefined();
      expect(pick(f, 'auth.refresh_token')).toBeUndefined();
      expect(portal.isInstalled()).toBe(false);
      expect(portal.applicationToken).toBe('');
      expect(portal.bindings()).toEqual([]);
      expect(portal.connectors()).toEqual([]);
      expect(portal.lineStatus(1, 'acme_wa').active).toBe(false);
      expect((await rest(portal, 'profile', { auth: token })).status).toBe(401);
      const ref = await oauth(portal, {
        grant_type: 'refresh_token',
        client_id: CLIENT_ID,
        client_secret: CLIENT_SECRET,
        refresh_token: refresh,
      });
      expect(ref.body['error']).toBe('invalid_grant');
    });
  });

  describe('batch, users, lines (§6.1, §6.4, §5)', () => {
    beforeEach(async () => {
      const users = Array.from({ length: 60 }, (_, i) => ({
        ID: i + 1,
        NAME: i === 0 ? 'Ana' : `Nombre${i + 1}`,
        LAST_NAME: i === 0 ? 'Admin' : i === 7 ? 'Quintero' : `Apellido${i + 1}`,
        ADMIN: i === 0,
      }));
      await boot({ users });
    });

    it('user.get pages by 50 with total/next; NAME_SEARCH and %NAME filters', async () => {
      const p1 = await rest<{ result: Array<{ ID: string }> }>(portal, 'user.get', { auth: token });
      expect(p1.body.result).toHaveLength(50);
      expect(p1.body.total).toBe(60);
      expect(p1.body.next).toBe(50);
      const p2 = await rest<{ result: Array<{ ID: string }> }>(portal, 'user.get', {
        auth: token,
        start: 50,
      });
      expect(p2.body.result.map((u) => u.ID)).toEqual(Array.from({ length: 10 }, (_, i) => String(51 + i)));
      expect(p2.body.next).toBeUndefined();
      const s = await rest<{ result: Array<{ ID: string }> }>(portal, 'user.get', {
        auth: token,
        FILTER: { NAME_SEARCH: 'quint' },
      });
      expect(s.body.result.map((u) => u.ID)).toEqual(['8']);
      const like = await rest<{ result: Array<{ ID: string }> }>(portal, 'user.get', {
        auth: token,
        filter: { '%NAME': 'bre5' },
      });
      expect(like.body.result.map((u) => u.ID)).toEqual([
        '5',
        '50',
        '51',
        '52',
        '53',
        '54',
        '55',
        '56',
        '57',
        '58',
        '59',
      ]);
      const admin = await rest<{ result: boolean }>(portal, 'user.admin', { auth: token });
      expect(admin.body.result).toBe(true);
    });

    it('imopenlines.config.list.get lists the lines', async () => {
      const r = await rest<{ result: Array<Record<string, unknown>> }>(
        portal,
        'imopenlines.config.list.get',
        { auth: token },
      );
      expect(r.body.result).toEqual([
        { ID: '1', ACTIVE: 'Y', LINE_NAME: 'Ventas' },
        { ID: '2', ACTIVE: 'Y', LINE_NAME: 'Soporte' },
      ]);
    });

    it('batch: string commands, result_error, $result references, limits', async () => {
      type B = {
        result: {
          result: Record<string, unknown>;
          result_error: Record<string, { error: string }>;
          result_total: Record<string, number>;
        };
      };
      const r = await rest<B>(portal, 'batch', {
        auth: token,
        halt: 0,
        cmd: {
          me: 'profile',
          users: 'user.get?FILTER[ID]=8',
          again: 'user.get?FILTER[ID]=$result[users][0][ID]',
          missing: 'no.such.method',
          inner: 'batch?cmd[a]=profile',
        },
      });
      expect(r.status).toBe(200);
      expect(pick(r.body.result.result, 'me.ID')).toBe('1');
      expect((r.body.result.result['again'] as Array<{ ID: string }>)[0]?.ID).toBe('8');
      expect(r.body.result.result_total['users']).toBe(1);
      expect(r.body.result.result_error['missing']?.error).toBe('ERROR_METHOD_NOT_FOUND');
      expect(r.body.result.result_error['inner']?.error).toBe('ERROR_BATCH_METHOD_NOT_ALLOWED');

      const list = await rest<{ result: { result: unknown; result_error: unknown } }>(portal, 'batch', {
        auth: token,
        cmd: ['profile', 'user.admin'],
      });
      expect(Array.isArray(list.body.result.result)).toBe(true);
      expect(list.body.result.result_error).toEqual([]);

      const tooMany = await rest(portal, 'batch', {
        auth: token,
        cmd: Array.from({ length: 51 }, () => 'profile'),
      });
      expect([tooMany.status, tooMany.body.error]).toEqual([400, 'ERROR_BATCH_LENGTH_EXCEEDED']);
      // one batch = one request for the rate bucket (§7)
      expect(portal.calls().filter((c) => c.method === 'batch')).toHaveLength(3);
    });
  });
  describe('CRM lookup by phone and chat transfer (beyond the reference: b24restdocs pages)', () => {
    beforeEach(async () => {
      await boot({
        users: [
          { ID: 1, NAME: 'Ana', LAST_NAME: 'Admin', ADMIN: true },
          { ID: 2, NAME: 'Bruno', LAST_NAME: 'Agente', ADMIN: false },
          { ID: 3, NAME: 'Carla', LAST_NAME: 'Gómez', ADMIN: false },
        ],
        lines: [
          { ID: 1, LINE_NAME: 'Ventas', QUEUE: [1, 2] },
          { ID: 2, LINE_NAME: 'Soporte' },
        ],
      });
    });

    it('crm.duplicate.findbycomm finds contacts and leads by phone whatever the formatting; nothing found is []', async () => {
      const contact = portal.addCrmContact({ name: 'Asha', phone: '+52 155 5000 1', assignedById: 2 });
      const lead = await rest<{ result: number }>(portal, 'crm.lead.add', {
        auth: token,
        fields: { TITLE: 'x', PHONE: [{ VALUE: '+5215550001', VALUE_TYPE: 'WORK' }] },
      });
      const both = await rest<{ result: Record<string, number[]> }>(portal, 'crm.duplicate.findbycomm', {
        auth: token,
        type: 'PHONE',
        values: ['+5215550001'],
      });
      expect(both.body.result).toEqual({ LEAD: [lead.body.result], CONTACT: [contact] });
      const onlyContacts = await rest<{ result: Record<string, number[]> }>(
        portal,
        'crm.duplicate.findbycomm',
        { auth: token, type: 'PHONE', values: ['5215550001'], entity_type: 'CONTACT' },
        { form: true },
      );
      expect(onlyContacts.body.result).toEqual({ CONTACT: [contact] });
      const none = await rest(portal, 'crm.duplicate.findbycomm', {
        auth: token,
        type: 'PHONE',
        values: ['+5215559999'],
      });
      expect(none.body.result).toEqual([]);
      const noType = await rest(portal, 'crm.duplicate.findbycomm', { auth: token, values: ['1'] });
      expect([noType.status, noType.body.error]).toEqual([400, 'Communication type is not defined']);
      const noValues = await rest(portal, 'crm.duplicate.findbycomm', { auth: token, type: 'PHONE' });
      expect([noValues.status, noValues.body.error]).toEqual([400, 'Communication values is not defined']);
    });

    it('crm.contact.get / crm.lead.get give the record with string ids and ASSIGNED_BY_ID; missing → 400', async () => {
      const id = portal.addCrmContact({ name: 'Asha', phone: '+5215550001', assignedById: 3 });
      const got = await rest<{ result: Record<string, unknown> }>(portal, 'crm.contact.get', {
        auth: token,
        id,
      });
      expect(got.body.result).toMatchObject({
        ID: String(id),
        ASSIGNED_BY_ID: '3',
        HAS_PHONE: 'Y',
        PHONE: [{ VALUE: '+5215550001', TYPE_ID: 'PHONE' }],
      });
      const lead = await rest<{ result: number }>(portal, 'crm.lead.add', {
        auth: token,
        fields: { TITLE: 'x', ASSIGNED_BY_ID: 2 },
      });
      const l = await rest<{ result: Record<string, unknown> }>(portal, 'crm.lead.get', {
        auth: token,
        ID: lead.body.result,
      });
      expect(l.body.result).toMatchObject({
        ID: String(lead.body.result),
        ASSIGNED_BY_ID: '2',
        HAS_PHONE: 'N',
      });
      expect(l.body.result['PHONE']).toBeUndefined();
      const missing = await rest(portal, 'crm.contact.get', { auth: token, id: 999 });
      expect([missing.status, missing.body.error_description]).toEqual([400, 'Not found']);
      const bad = await rest(portal, 'crm.lead.get', { auth: token });
      expect([bad.status, bad.body.error_description]).toEqual([400, 'ID is not defined or invalid.']);
    });

    it('imopenlines.operator.transfer hands a chat to an operator of its line or to a queue; others are OPERATOR_WRONG', async () => {
      await registerAndActivate(1);
      type R = { result: { DATA: { RESULT: Array<{ session: { CHAT_ID: string } }> } } };
      const sent = await rest<R>(portal, 'imconnector.send.messages', {
        auth: token,
        CONNECTOR: 'acme_wa',
        LINE: 1,
        MESSAGES: [customerMessage('hola', 'g-1')],
      });
      const chatId = Number(sent.body.result.DATA.RESULT[0]?.session.CHAT_ID);
      const ok = await rest(portal, 'imopenlines.operator.transfer', {
        auth: token,
        CHAT_ID: chatId,
        TRANSFER_ID: 2,
      });
      expect([ok.status, ok.body.result]).toEqual([200, true]);
      const queue = await rest(portal, 'imopenlines.operator.transfer', {
        auth: token,
        CHAT_ID: chatId,
        TRANSFER_ID: 'queue2',
      });
      expect(queue.body.result).toBe(true);
      // Carla is not an operator of line 1; 99 is nobody; chat 1 does not exist.
      for (const [chat, to] of [
        [chatId, 3],
        [chatId, 99],
        [1, 2],
      ]) {
        const r = await rest(portal, 'imopenlines.operator.transfer', {
          auth: token,
          CHAT_ID: chat,
          TRANSFER_ID: to,
        });
        expect([r.status, r.body.error]).toEqual([400, 'OPERATOR_WRONG']);
      }
      const noChat = await rest(portal, 'imopenlines.operator.transfer', { auth: token, TRANSFER_ID: 2 });
      expect(noChat.body.error).toBe('CHAT_ID_EMPTY');
      const noTarget = await rest(portal, 'imopenlines.operator.transfer', { auth: token, CHAT_ID: chatId });
      expect(noTarget.body.error).toBe('TRANSFER_ID_EMPTY');
      expect(portal.transfers()).toEqual([
        { chatId, line: 1, toUserId: 2, toQueue: null, byUserId: 1 },
        { chatId, line: 1, toUserId: null, toQueue: 2, byUserId: 1 },
      ]);
      const cfg = await rest<{ result: { QUEUE: string[] } }>(portal, 'imopenlines.config.get', {
        auth: token,
        CONFIG_ID: 1,
      });
      expect(cfg.body.result.QUEUE).toEqual(['1', '2']);
    });
  });

  describe('departments, CRM lists, user filters, the portal page (beyond the reference)', () => {
    beforeEach(async () => {
      await boot({
        users: [
          { ID: 1, NAME: 'Ana', LAST_NAME: 'Admin', ADMIN: true, UF_DEPARTMENT: [1] },
          { ID: 2, NAME: 'Bruno', LAST_NAME: 'Agente', ADMIN: false, UF_DEPARTMENT: [2] },
          { ID: 3, NAME: 'Carla', LAST_NAME: 'Gómez', ADMIN: false, UF_DEPARTMENT: [2] },
        ],
        departments: [
          { ID: 1, NAME: 'Dirección', UF_HEAD: 1 },
          { ID: 2, NAME: 'Ventas', PARENT: 1 },
        ],
        appUrl: `${app.url}/b24/app`,
      });
    });

    it('department.get lists departments with string ids, filters by PARENT and NAME', async () => {
      const all = await rest<{ result: Array<Record<string, unknown>> }>(portal, 'department.get', {
        auth: token,
      });
      expect(all.body.result).toEqual([
        { ID: '1', NAME: 'Dirección', SORT: 500, UF_HEAD: '1' },
        { ID: '2', NAME: 'Ventas', SORT: 500, PARENT: '1', UF_HEAD: '' },
      ]);
      expect(all.body.total).toBe(2);
      const kids = await rest<{ result: Array<{ ID: string }> }>(portal, 'department.get', {
        auth: token,
        PARENT: 1,
      });
      expect(kids.body.result.map((d) => d.ID)).toEqual(['2']);
      const named = await rest<{ result: Array<{ ID: string }> }>(
        portal,
        'department.get',
        { auth: token, NAME: 'vent' },
        { form: true },
      );
      expect(named.body.result.map((d) => d.ID)).toEqual(['2']);
    });

    it('user.get filters by UF_DEPARTMENT, combined with NAME_SEARCH', async () => {
      const dep = await rest<{ result: Array<{ ID: string }> }>(portal, 'user.get', {
        auth: token,
        FILTER: { UF_DEPARTMENT: 2, ACTIVE: true },
      });
      expect(dep.body.result.map((u) => u.ID)).toEqual(['2', '3']);
      const both = await rest<{ result: Array<{ ID: string }> }>(portal, 'user.get', {
        auth: token,
        FILTER: { UF_DEPARTMENT: 2, NAME_SEARCH: 'carl' },
      });
      expect(both.body.result.map((u) => u.ID)).toEqual(['3']);
    });

    it('crm.category.list needs entityTypeId and gives deal pipelines; crm.status.list gives lead statuses and stages', async () => {
      const missing = await rest(portal, 'crm.category.list', { auth: token });
      expect(missing.status).toBe(400);
      const cats = await rest<{
        result: { categories: Array<{ id: number; name: string; isDefault: string }> };
      }>(portal, 'crm.category.list', { auth: token, entityTypeId: 2 });
      expect(cats.body.result.categories.map((c) => [c.id, c.isDefault])).toEqual([
        [0, 'Y'],
        [1, 'N'],
      ]);
      const st = await rest<{ result: Array<{ ENTITY_ID: string; STATUS_ID: string }> }>(
        portal,
        'crm.status.list',
        {
          auth: token,
          filter: { ENTITY_ID: 'DEAL_STAGE_1' },
        },
      );
      expect(st.body.result.map((x) => x.STATUS_ID)).toEqual(['C1:NEW', 'C1:EXECUTING', 'C1:WON']);
      const leads = await rest<{ result: Array<{ STATUS_ID: string }> }>(portal, 'crm.status.list', {
        auth: token,
        filter: { ENTITY_ID: 'STATUS' },
      });
      expect(leads.body.result.map((x) => x.STATUS_ID)).toContain('NEW');
    });

    it('crm.lead.add and crm.deal.add store the fields and return the id; unknown responsible → error', async () => {
      const lead = await rest<{ result: number }>(portal, 'crm.lead.add', {
        auth: token,
        fields: { TITLE: 'WhatsApp: María', ASSIGNED_BY_ID: 2 },
      });
      expect(lead.status).toBe(200);
      const deal = await rest<{ result: number }>(portal, 'crm.deal.add', {
        auth: token,
        fields: { TITLE: 'x', CATEGORY_ID: 1, STAGE_ID: 'C1:NEW' },
      });
      expect(portal.crmRecords()).toEqual([
        { entity: 'lead', id: lead.body.result, fields: { TITLE: 'WhatsApp: María', ASSIGNED_BY_ID: 2 } },
        { entity: 'deal', id: deal.body.result, fields: { TITLE: 'x', CATEGORY_ID: 1, STAGE_ID: 'C1:NEW' } },
      ]);
      const empty = await rest(portal, 'crm.deal.add', { auth: token });
      expect(empty.status).toBe(400);
      const nobody = await rest(portal, 'crm.lead.add', {
        auth: token,
        fields: { TITLE: 'y', ASSIGNED_BY_ID: 99 },
      });
      expect(nobody.status).toBe(400);
    });

    it('a browser gets a portal page that POSTs the app its frontend auth into an iframe (§1.2, §4.7)', async () => {
      const json = await fetch(`${portal.url}/`);
      expect(((await json.json()) as { sandbox: string }).sandbox).toBe('bitrix24-portal');
      const res = await fetch(`${portal.url}/?lang=en&user=2`, { headers: { accept: 'text/html' } });
      const html = await res.text();
      expect(res.headers.get('content-type')).toContain('text/html');
      const action = /<form id="open" method="post" target="app" action="([^"]+)"/.exec(html)?.[1] ?? '';
      const target = new URL(action.replaceAll('&#38;', '&'));
      expect(target.origin + target.pathname).toBe(`${app.url}/b24/app`);
      expect(target.searchParams.get('LANG')).toBe('en');
      expect(target.searchParams.get('DOMAIN')).toBe(portal.domain);
      const field = (n: string) => new RegExp(`name="${n}" value="([^"]*)"`).exec(html)?.[1];
      expect(field('PLACEMENT')).toBe('DEFAULT');
      expect(field('member_id')).toBe(portal.memberId);
      // AUTH_ID is a real token of the chosen user
      const who = await rest<{ result: { ID: string } }>(portal, 'profile', { auth: field('AUTH_ID') });
      expect(who.body.result.ID).toBe('2');
      expect(html).toContain('<iframe name="app"');

      await registerAndActivate(2, 'acme_wa');
      const conn = await (
        await fetch(`${portal.url}/?view=connector&line=2`, { headers: { accept: 'text/html' } })
      ).text();
      expect(conn).toContain(`action="${app.url}/b24/connector?`);
      const rawOpts = /name="PLACEMENT_OPTIONS" value="([^"]*)"/.exec(conn)?.[1] ?? '';
      const opts = JSON.parse(rawOpts.replaceAll('&#34;', '"')) as Record<string, unknown>;
      expect(opts).toMatchObject({ CONNECTOR: 'acme_wa', LINE: '2', ACTIVE_STATUS: true });
      expect(/name="PLACEMENT" value="([^"]*)"/.exec(conn)?.[1]).toBe('SETTING_CONNECTOR');
    });
  });
});
