import { describe, expect, it } from 'vitest';
import { frontendAuth, installAndToken, SAMPLE_PORTAL } from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';

/** The OpenAPI document of /api/v1 comes from the routes' own schemas; integrators get a page for it. */
describe('OpenAPI', () => {
  const s = useStack({ portal: SAMPLE_PORTAL, worker: false });

  it('serves /api/v1/openapi.json with the API routes and nothing outside /api/v1', async () => {
    const r = await fetch(`${s.url}/api/v1/openapi.json`);
    expect(r.status).toBe(200);
    const doc = (await r.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/tokens', '/api/v1/tokens/{id}']));
    expect(Object.keys(doc.paths).every((p) => p.startsWith('/api/v1/'))).toBe(true);
    expect(JSON.stringify(doc.paths['/api/v1/tokens']?.post)).toContain('member_id');
  });

  it('serves a readable page for integrators, from the app itself', async () => {
    const r = await fetch(`${s.url}/api/v1/docs/`, { redirect: 'follow' });
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toContain('text/html');
    const html = await r.text();
    expect(html).toContain('swagger');
    expect(html).not.toMatch(/https?:\/\/(cdn|unpkg)/);
  });

  it('a schema refusal is a 400 in our error format, naming the field', async () => {
    const r = await fetch(`${s.url}/api/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ DOMAIN: 'x.bitrix24.com', AUTH_ID: 'a' }),
    });
    expect(r.status).toBe(400);
    const body = (await r.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error.code).toBe('validation_error');
    expect(body.error.message).toContain('member_id');
    expect(body.error.requestId).toMatch(/^req-/);
  });

  it('documents the roles routes under their tag', async () => {
    const doc = (await (await fetch(`${s.url}/api/v1/openapi.json`)).json()) as {
      paths: Record<string, Record<string, { tags?: string[]; summary?: string }>>;
    };
    for (const [path, method] of [
      ['/api/v1/me', 'get'],
      ['/api/v1/roles', 'get'],
      ['/api/v1/roles', 'put'],
      ['/api/v1/portal/users', 'get'],
      ['/api/v1/portal/departments', 'get'],
      ['/api/v1/crm/pipelines', 'get'],
    ] as const) {
      expect(doc.paths[path]?.[method]?.tags, `${method} ${path}`).toEqual(['roles']);
      expect(doc.paths[path]?.[method]?.summary, `${method} ${path}`).toBeTruthy();
    }
    expect(JSON.stringify(doc.paths['/api/v1/roles']?.put)).toContain('receivesNew');
  });

  it('an admin-only route refuses a non-admin before it looks at the input', async () => {
    await installAndToken(s);
    const as = async (userId: number, method: string, path: string, body?: unknown) => {
      const auth = new URLSearchParams(await frontendAuth(s, userId)).toString();
      const r = await fetch(`${s.url}/api/v1${path}`, {
        method,
        headers: {
          'x-b24-auth': auth,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return { status: r.status, body: (await r.json()) as { error?: { code: string; message: string } } };
    };
    const agent = 2;
    const admin = 1;
    expect((await as(agent, 'GET', '/portal/users?start=-1')).status).toBe(403);
    expect((await as(agent, 'PUT', '/roles', { changes: 'all' })).status).toBe(403);
    const bad = await as(admin, 'PUT', '/roles', { changes: 'all' });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('validation_error');
    expect(bad.body.error?.message).toContain('changes');
    expect((await as(admin, 'GET', '/portal/users?start=-1')).status).toBe(400);
  });
});
