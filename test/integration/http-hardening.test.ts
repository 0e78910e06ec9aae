import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  connectChannel,
  frontendAuth,
  installAndToken,
  STACK_METRICS_TOKEN,
  type Stack,
} from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';

/**
 * Issue 8: headers on every answer (pages carry the viewer's AUTH_ID), /metrics only with its token,
 * and Fastify's own refusals (router, body parsers, Node's HTTP parser) in our error format.
 */
const form = { 'content-type': 'application/x-www-form-urlencoded' };

function expectNoStore(res: Response, what: string): void {
  expect.soft(res.headers.get('x-content-type-options'), what).toBe('nosniff');
  expect.soft(res.headers.get('cache-control'), what).toBe('no-store');
}

async function expectOurError(res: Response, status: number, code: string, what: string): Promise<void> {
  const text = await res.text();
  expect.soft(res.status, `${what}: ${text.slice(0, 200)}`).toBe(status);
  let body: { error?: { code?: string; message?: string; requestId?: string } } = {};
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    // left empty: the assertions below name what is missing
  }
  expect.soft(body.error?.code, what).toBe(code);
  expect.soft(body.error?.message, what).toBeTruthy();
  expect.soft(body.error?.requestId, what).toMatch(/^req-/);
  expect.soft(Object.keys(body), what).toEqual(['error']);
  expectNoStore(res, what);
}

/** One raw HTTP/1.1 exchange: for what fetch will not send (a method Node's parser refuses). */
function rawHttp(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let out = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (out += d));
    socket.on('end', () => resolve(out));
    socket.on('close', () => resolve(out));
    socket.on('error', reject);
  });
}

describe('HTTP hardening', () => {
  const s = useStack();
  let token = '';

  const page = async (st: Stack, path: string, body: Record<string, string>) =>
    fetch(`${st.url}${path}?DOMAIN=${encodeURIComponent(st.portal.domain)}&PROTOCOL=0&LANG=en`, {
      method: 'POST',
      headers: form,
      body: new URLSearchParams(body).toString(),
    });

  it('pages with the viewer’s AUTH_ID are not stored or sniffed; the install page may be framed by the portal only', async () => {
    token = await installAndToken(s);
    await connectChannel(s, token, 1);
    const a = await frontendAuth(s, 1);
    const appPage = await page(s, '/b24/app', { AUTH_ID: a.AUTH_ID, member_id: a.member_id });
    expect(appPage.status).toBe(200);
    expectNoStore(appPage, 'app page');
    const connector = await page(s, '/b24/connector', {
      AUTH_ID: a.AUTH_ID,
      member_id: a.member_id,
      PLACEMENT: 'SETTING_CONNECTOR',
      PLACEMENT_OPTIONS: JSON.stringify({ LINE: 1, ACTIVE_STATUS: true }),
    });
    expect(connector.status).toBe(200);
    expectNoStore(connector, 'connector page');
    const errorPage = await page(s, '/b24/app', { AUTH_ID: 'forged', member_id: a.member_id });
    expect(errorPage.status).toBe(401);
    expectNoStore(errorPage, 'error page');

    // The install page, opened again by the portal's admin (a re-install is how Bitrix24 repairs it).
    const t = s.portal.issueTokens({ userId: 1 });
    const install = await page(s, '/b24/install', {
      AUTH_ID: t.accessToken,
      REFRESH_ID: t.refreshToken,
      AUTH_EXPIRES: '3600',
      member_id: s.portal.memberId,
      APPLICATION_TOKEN: s.portal.applicationToken,
      PLACEMENT: 'DEFAULT',
    });
    expect(install.status).toBe(200);
    // The page finishes the installation with our own bundle (the Bitrix24 SDK inside), no CDN script.
    expect(await install.text()).toMatch(/<script src="\/ui\/app\.js\?v=[0-9a-f]+"><\/script>/);
    expectNoStore(install, 'install page');
    const csp = install.headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`frame-ancestors http://${s.portal.domain}`);
    expect(csp).toContain("script-src 'self'");
    const installError = await fetch(`${s.url}/b24/install?DOMAIN=evil.example&PROTOCOL=1`, {
      method: 'POST',
      headers: form,
      body: 'AUTH_ID=a&REFRESH_ID=b&member_id=x',
    });
    expect(installError.status).toBeGreaterThanOrEqual(400);
    expectNoStore(installError, 'install error page');
    expect(installError.headers.get('content-security-policy')).toMatch(
      /^frame-ancestors https:\/\/evil\.example;/,
    );
    const noDomain = await fetch(`${s.url}/b24/install`, { method: 'POST', headers: form, body: 'x=1' });
    expect(noDomain.headers.get('content-security-policy')).toMatch(/^frame-ancestors 'none';/);
  });

  it('API answers, errors and 404s are not stored', async () => {
    const list = await fetch(`${s.url}/api/v1/channels`, { headers: { authorization: `Bearer ${token}` } });
    expect(list.status).toBe(200);
    expectNoStore(list, 'channel list');
    expectNoStore(await fetch(`${s.url}/api/v1/channels`), 'API 401');
    expectNoStore(await fetch(`${s.url}/healthz`), 'healthz');
    expectNoStore(await fetch(`${s.url}/no/such/page`), '404');

    // A served file keeps its own `private, max-age` (media.test.ts); a refused link is not stored.
    expectNoStore(await fetch(`${s.url}/media/0b1c6f0e-2f9a-4c1e-8a43-5d7e8f9a0b1c`), 'unsigned media');
  });

  it('/metrics needs its bearer token', async () => {
    await expectOurError(await fetch(`${s.url}/metrics`), 401, 'unauthorized', 'metrics without a token');
    await expectOurError(
      await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${token}` } }),
      401,
      'unauthorized',
      'metrics with an API token',
    );
    const ok = await fetch(`${s.url}/metrics`, {
      headers: { authorization: `Bearer ${STACK_METRICS_TOKEN}` },
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('whatsappb24_http_requests_total');
  });

  it('Fastify’s own refusals use our error format', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const json = { ...auth, 'content-type': 'application/json' };
    await expectOurError(
      await fetch(`${s.url}/api/v1/channels/${'a'.repeat(200)}`, { headers: auth }),
      414,
      'uri_too_long',
      '200-character path parameter',
    );
    await expectOurError(
      await fetch(`${s.url}/api/v1/channels/%`, { headers: auth }),
      400,
      'bad_request',
      'bad % escape in the path',
    );
    await expectOurError(
      await fetch(`${s.url}/api/v1/channels/%E0%A4%A`, { headers: auth }),
      400,
      'bad_request',
      'truncated UTF-8 escape',
    );
    await expectOurError(await fetch(`${s.url}/no/such/route`), 404, 'not_found', 'unknown route');
    await expectOurError(
      await fetch(`${s.url}/api/v1/channels`, { method: 'PROPFIND', headers: auth }),
      404,
      'not_found',
      'PROPFIND on a known path',
    );
    await expectOurError(
      await fetch(`${s.url}/api/v1/channels`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/xml' },
        body: '<channel/>',
      }),
      415,
      'unsupported_media_type',
      'XML to a JSON route',
    );
    // Fastify parses text/plain into a string: the route's own validation refuses it.
    await expectOurError(
      await fetch(`${s.url}/api/v1/channels`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'text/plain' },
        body: 'name=x',
      }),
      400,
      'validation_error',
      'text/plain to a JSON route',
    );
    await expectOurError(
      await fetch(`${s.url}/api/v1/channels`, { method: 'POST', headers: json, body: '{"name":' }),
      400,
      'bad_request',
      'broken JSON',
    );
    await expectOurError(
      await fetch(`${s.url}/api/v1/channels`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ name: 'x'.repeat(1_100_000) }),
      }),
      413,
      'payload_too_large',
      'body over the limit',
    );

    // Refused by Node's HTTP parser before any request exists: still our format, then closed.
    const raw = await rawHttp(s.url, 'BREW /api/v1/channels HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect(raw.toLowerCase()).toContain('x-content-type-options: nosniff');
    const body = JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4)) as {
      error: { code: string; message: string; requestId: string };
    };
    expect(body.error.code).toBe('bad_request');
    expect(body.error.requestId).toMatch(/^req-/);
  });
});

describe('HTTP hardening: /metrics without METRICS_TOKEN', () => {
  const s = useStack({ env: { METRICS_TOKEN: '' } });

  it('answers 404 to everyone, token or not', async () => {
    await expectOurError(await fetch(`${s.url}/metrics`), 404, 'not_found', 'metrics switched off');
    await expectOurError(
      await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${STACK_METRICS_TOKEN}` } }),
      404,
      'not_found',
      'metrics switched off, with a token',
    );
  });
});
