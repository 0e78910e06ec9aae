import { describe, expect, it } from 'vitest';
import { useStack } from '../helpers/stack.js';

/** The OpenAPI document of /api/v1 comes from the routes' own schemas; integrators get a page for it. */
describe('OpenAPI', () => {
  const s = useStack({ worker: false });

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
});
