import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  api,
  connectChannel,
  frontendAuth,
  installAndToken,
  SAMPLE_PORTAL,
  STACK_OPERATOR_TOKEN,
  type Stack,
} from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';

/**
 * Issue 4: the JSON API the admin pages use. Pages send their frontend auth (X-B24-Auth), checked
 * with the portal; admins change things, others read what their chat roles allow; bearer tokens
 * keep working; the operator confirms requested numbers.
 */
const pageAuth = new Map<number, string>();

/** A call as the app's page of that user makes it: one frontend auth per user, as a page keeps its own. */
async function asUser<T = unknown>(
  s: Stack,
  userId: number,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  let auth = pageAuth.get(userId);
  if (!auth) {
    auth = new URLSearchParams(await frontendAuth(s, userId)).toString();
    pageAuth.set(userId, auth);
  }
  const r = await fetch(`${s.url}/api/v1${path}`, {
    method,
    headers: { 'x-b24-auth': auth, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
}

describe('admin JSON API', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token = '';
  const ADMIN = 1;
  const BRUNO = 2;
  const CARLA = 3;
  const DIEGO = 4;
  const ELENA = 5;

  it('frontend auth works on the API; a forged AUTH_ID is 401; non-admins cannot change anything', async () => {
    token = await installAndToken(s);
    const me = await asUser<{ admin: boolean; userId: number }>(s, ADMIN, 'GET', '/me');
    expect(me).toMatchObject({ status: 200, body: { admin: true, userId: ADMIN } });

    const forged = await fetch(`${s.url}/api/v1/me`, {
      headers: { 'x-b24-auth': `DOMAIN=${s.portal.domain}&member_id=${s.portal.memberId}&AUTH_ID=forged` },
    });
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const incomplete = await fetch(`${s.url}/api/v1/me`, { headers: { 'x-b24-auth': 'DOMAIN=x' } });
    expect(incomplete.status).toBe(401);

    s.gupshup.addApp({
      appName: 'ShopUi01',
      appId: 'app-ui-1',
      apiKey: 'key-ui-1-abcdefgh',
      sourceNumber: '5491100000101',
    });
    const body = {
      name: 'Tienda UI',
      gupshupAppName: 'ShopUi01',
      gupshupAppId: 'app-ui-1',
      sourceNumber: '5491100000101',
      apiKey: 'key-ui-1-abcdefgh',
    };
    const refused = await asUser(s, BRUNO, 'POST', '/channels', body);
    expect(refused.status).toBe(403);
    expect(await asUser(s, BRUNO, 'GET', '/roles')).toMatchObject({ status: 403 });
    expect(await asUser(s, BRUNO, 'GET', '/tokens')).toMatchObject({ status: 403 });
    // Without any role a non-admin sees neither channels nor the trace.
    expect((await asUser(s, BRUNO, 'GET', '/channels')).status).toBe(403);
    expect((await asUser(s, BRUNO, 'GET', '/messages')).status).toBe(403);
  });

  it('the portal plan sets the shared REST budget: admins only, standard or enterprise, nothing else', async () => {
    expect((await asUser<{ plan: string }>(s, 1, 'GET', '/portal')).body.plan).toBe('standard');
    expect((await asUser(s, 2, 'PUT', '/portal/plan', { plan: 'enterprise' })).status).toBe(403);
    const bad = await asUser<{ error: { code: string } }>(s, 1, 'PUT', '/portal/plan', { plan: 'gold' });
    expect(bad.status).toBe(400);
    const ok = await asUser<{ plan: string; restBudget: { perSec: number; burst: number } }>(
      s,
      1,
      'PUT',
      '/portal/plan',
      { plan: 'enterprise' },
    );
    expect(ok.body).toMatchObject({ plan: 'enterprise', restBudget: { perSec: 5, burst: 250 } });
    const row = await s.deps.db
      .selectFrom('portals')
      .select(['rate_drain_per_sec', 'rate_burst'])
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ rate_drain_per_sec: 5, rate_burst: 250 });
    await asUser(s, 1, 'PUT', '/portal/plan', { plan: 'standard' });
    expect((await asUser<{ plan: string }>(s, 1, 'GET', '/portal')).body.plan).toBe('standard');
  });

  it('connecting checks the API key with Gupshup before saving: wrong key, unknown app, then success', async () => {
    const base = {
      name: 'Tienda UI',
      companyName: 'Zapatería Runner',
      gupshupAppName: 'ShopUi01',
      sourceNumber: '5491100000101',
      wabaId: '1029384756',
      lineId: 2,
    };
    const wrongKey = await asUser<{ error: { message: string } }>(s, ADMIN, 'POST', '/channels', {
      ...base,
      gupshupAppId: 'app-ui-1',
      apiKey: 'not-the-key-123',
    });
    expect(wrongKey.status).toBe(400);
    expect(wrongKey.body.error.message).toMatch(/rejected this API key/);
    const unknown = await asUser(s, ADMIN, 'POST', '/channels', {
      ...base,
      gupshupAppId: 'no-such-app',
      apiKey: 'key-ui-1-abcdefgh',
    });
    expect(unknown.status).toBe(400);
    expect((await api<{ items: unknown[] }>(s, token, 'GET', '/channels')).body.items).toHaveLength(0);

    const ok = await asUser<{ id: string; status: string; callbackUrl: string }>(
      s,
      ADMIN,
      'POST',
      '/channels',
      {
        ...base,
        gupshupAppId: 'app-ui-1',
        apiKey: 'key-ui-1-abcdefgh',
      },
    );
    expect(ok.status).toBe(201);
    expect(ok.body.callbackUrl).toMatch(/\/webhooks\/gupshup\//);
    const details = await asUser<{ items: Array<Record<string, unknown>> }>(
      s,
      ADMIN,
      'GET',
      '/channels/details',
    );
    expect(details.body.items[0]).toMatchObject({
      companyName: 'Zapatería Runner',
      wabaId: '1029384756',
      status: 'pending',
      subscription: 'trial',
      lineId: 2,
    });
    expect(Date.parse(String(details.body.items[0]?.paidUntil))).toBeGreaterThan(Date.now());
  });

  it('edits everything but the company name; a changed key is checked again', async () => {
    const [ch] = (await api<{ items: Array<{ id: string }> }>(s, token, 'GET', '/channels')).body.items;
    const id = ch?.id ?? '';
    const company = await asUser(s, ADMIN, 'PATCH', `/channels/${id}`, { companyName: 'Otra' });
    expect(company.status).toBe(400);
    const badKey = await asUser(s, ADMIN, 'PATCH', `/channels/${id}`, { apiKey: 'wrong-key-4567' });
    expect(badKey.status).toBe(400);
    const unknownField = await asUser(s, ADMIN, 'PATCH', `/channels/${id}`, { status: 'active' });
    expect(unknownField.status).toBe(400);
    const edited = await asUser<{ name: string }>(s, ADMIN, 'PATCH', `/channels/${id}`, {
      name: 'Tienda Centro',
      wabaId: '',
    });
    expect(edited).toMatchObject({ status: 200, body: { name: 'Tienda Centro' } });
    expect((await asUser(s, ADMIN, 'PATCH', '/channels/not-a-uuid', { name: 'x' })).status).toBe(404);
    const settings = await asUser<Record<string, unknown>>(s, ADMIN, 'GET', `/channels/${id}/settings`);
    expect(settings.body).toEqual({
      id,
      appName: 'ShopUi01',
      appId: 'app-ui-1',
      mode: 'live',
      wabaId: null,
      messagingTier: null,
      phoneQuality: null,
      wallet: { currency: 'USD', balance: 25.5 },
    });
  });

  it('a requested number stays Pending until the operator confirms it with the assigned number', async () => {
    const bad = await asUser(s, ADMIN, 'POST', '/number-requests', { companyName: '', contactName: 'Ana' });
    expect(bad.status).toBe(400);
    const req = await asUser<{ id: number; status: string }>(s, ADMIN, 'POST', '/number-requests', {
      companyName: 'Zapatería Runner Norte',
      contactName: 'Ana Admin',
      contactEmail: 'ana@example.com',
    });
    expect(req).toMatchObject({ status: 201, body: { status: 'pending' } });
    const listed = await asUser<{ items: Array<{ id: number; status: string }> }>(
      s,
      ADMIN,
      'GET',
      '/number-requests',
    );
    expect(listed.body.items.map((r) => r.status)).toEqual(['pending']);

    const confirmUrl = `${s.url}/api/v1/operator/number-requests/${req.body.id}/confirm`;
    const assigned = {
      sourceNumber: '5491100000202',
      gupshupAppName: 'RunnerNorte',
      gupshupAppId: 'app-norte',
      apiKey: 'key-norte-abcdefgh',
    };
    const noOperator = await fetch(confirmUrl, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(assigned),
    });
    expect(noOperator.status).toBe(401);
    const operator = { authorization: `Bearer ${STACK_OPERATOR_TOKEN}`, 'content-type': 'application/json' };
    const pending = await fetch(`${s.url}/api/v1/operator/number-requests`, { headers: operator });
    expect(((await pending.json()) as { items: Array<{ portal: string }> }).items[0]?.portal).toBe(
      s.portal.domain,
    );
    // The key is checked with Gupshup: the app must exist there first.
    const early = await fetch(confirmUrl, {
      method: 'POST',
      headers: operator,
      body: JSON.stringify(assigned),
    });
    expect(early.status).toBe(400);
    s.gupshup.addApp({
      appName: 'RunnerNorte',
      appId: 'app-norte',
      apiKey: 'key-norte-abcdefgh',
      sourceNumber: '5491100000202',
    });
    const done = await fetch(confirmUrl, {
      method: 'POST',
      headers: operator,
      body: JSON.stringify(assigned),
    });
    expect(done.status).toBe(201);
    const again = await fetch(confirmUrl, {
      method: 'POST',
      headers: operator,
      body: JSON.stringify(assigned),
    });
    expect(again.status).toBe(409);
    const details = await asUser<{
      items: Array<{ companyName: string; status: string; sourceNumber: string }>;
    }>(s, ADMIN, 'GET', '/channels/details');
    expect(details.body.items.find((c) => c.sourceNumber === '5491100000202')).toMatchObject({
      companyName: 'Zapatería Runner Norte',
      status: 'pending',
    });
    expect((await asUser<{ items: unknown[] }>(s, ADMIN, 'GET', '/number-requests')).body.items).toEqual([]);

    // A request can be withdrawn while it is pending, once.
    const other = await asUser<{ id: number }>(s, ADMIN, 'POST', '/number-requests', {
      companyName: 'Runner Sur',
      contactName: 'Ana Admin',
    });
    expect((await asUser(s, BRUNO, 'DELETE', `/number-requests/${other.body.id}`)).status).toBe(403);
    expect((await asUser(s, ADMIN, 'DELETE', `/number-requests/${other.body.id}`)).status).toBe(204);
    expect((await asUser(s, ADMIN, 'DELETE', `/number-requests/${other.body.id}`)).status).toBe(404);
    expect((await asUser(s, ADMIN, 'DELETE', '/number-requests/abc')).status).toBe(400);
  });

  it('lists portal users (paged, by name and department), departments, lines and CRM pipelines', async () => {
    const all = await asUser<{ items: Array<{ id: number; name: string }>; next: number | null }>(
      s,
      ADMIN,
      'GET',
      '/portal/users',
    );
    expect(all.body.items).toHaveLength(6);
    expect(all.body.next).toBeNull();
    const sales = await asUser<{ items: Array<{ id: number }> }>(
      s,
      ADMIN,
      'GET',
      '/portal/users?department=2',
    );
    expect(sales.body.items.map((u) => u.id).sort()).toEqual([2, 3, 4, 6]);
    const carla = await asUser<{ items: Array<{ name: string }> }>(
      s,
      ADMIN,
      'GET',
      '/portal/users?search=carla',
    );
    expect(carla.body.items.map((u) => u.name)).toEqual(['Carla Gómez']);
    expect((await asUser(s, ADMIN, 'GET', '/portal/users?department=abc')).status).toBe(400);
    const deps = await asUser<{ items: Array<{ name: string }> }>(s, ADMIN, 'GET', '/portal/departments');
    expect(deps.body.items.map((d) => d.name)).toEqual(['Dirección', 'Soporte', 'Ventas']);
    const lines = await asUser<{ items: Array<{ id: number; name: string }> }>(s, ADMIN, 'GET', '/lines');
    expect(lines.body.items).toEqual([
      { id: 1, name: 'Ventas' },
      { id: 2, name: 'Soporte' },
    ]);
    const crm = await asUser<{
      pipelines: Array<{ id: number; stages: Array<{ id: string }> }>;
      leadStages: unknown[];
    }>(s, ADMIN, 'GET', '/crm/pipelines');
    expect(crm.body.pipelines.map((p) => p.id)).toEqual([0, 1]);
    expect(crm.body.pipelines[1]?.stages.map((x) => x.id)).toEqual(['C1:NEW', 'C1:EXECUTING', 'C1:WON']);
    expect(crm.body.leadStages.length).toBeGreaterThan(0);
  });

  it('roles are applied all at once, enforced for reading and replay, and drive new-chat assignment', async () => {
    const ch = await connectChannel(s, token, 1, 7);
    const bad = await asUser(s, ADMIN, 'PUT', '/roles', { changes: [{ channelId: ch.id, userId: 'x' }] });
    expect(bad.status).toBe(400);
    const row = (
      userId: number,
      r: Partial<Record<'qualityControl' | 'salesRep' | 'receivesNew' | 'boss', boolean>>,
    ) => ({
      channelId: ch.id,
      userId,
      userName: `user ${userId}`,
      qualityControl: false,
      salesRep: false,
      receivesNew: false,
      boss: false,
      ...r,
    });
    const applied = await asUser(s, ADMIN, 'PUT', '/roles', {
      changes: [
        row(CARLA, { salesRep: true, receivesNew: true }),
        row(DIEGO, { salesRep: true, receivesNew: true }),
        row(BRUNO, { salesRep: true }),
        row(ELENA, { qualityControl: true }),
      ],
    });
    expect(applied.status).toBe(200);
    // Another portal's channel id in the batch: nothing of it is written.
    const foreign = await asUser(s, ADMIN, 'PUT', '/roles', {
      changes: [
        row(ELENA, { boss: true }),
        { ...row(ELENA, { boss: true }), channelId: '00000000-0000-4000-8000-000000000000' },
      ],
    });
    expect(foreign.status).toBe(404);
    const roles = await asUser<{ roles: Array<{ userId: number; boss: boolean; qualityControl: boolean }> }>(
      s,
      ADMIN,
      'GET',
      '/roles',
    );
    expect(roles.body.roles.find((r) => r.userId === ELENA)).toMatchObject({
      qualityControl: true,
      boss: false,
    });

    // Quality control reads the trace but cannot replay; a sales rep sees channels but not the trace.
    expect((await asUser(s, ELENA, 'GET', '/messages')).status).toBe(200);
    expect((await asUser(s, ELENA, 'POST', '/messages/1/replay', {})).status).toBe(403);
    expect((await asUser(s, BRUNO, 'GET', '/channels')).status).toBe(200);
    expect((await asUser(s, BRUNO, 'GET', '/messages')).status).toBe(403);

    // Round-robin among the reps marked for new clients; a known customer goes to his CRM responsible.
    const picks = [];
    for (let i = 0; i < 4; i++) picks.push(await s.deps.roles.pickResponsible(ch.id));
    expect(picks).toEqual([CARLA, DIEGO, CARLA, DIEGO]);
    expect(await s.deps.roles.pickResponsible(ch.id, BRUNO)).toBe(BRUNO);
    expect(await s.deps.roles.pickResponsible(ch.id, ELENA)).toBe(CARLA);

    // New customers become a deal in the chosen pipeline and stage, assigned to the picked rep.
    const crm = await asUser(s, ADMIN, 'PUT', `/channels/${ch.id}/crm`, {
      entity: 'deal',
      categoryId: 1,
      stageId: 'C1:NEW',
    });
    expect(crm.status).toBe(200);
    expect((await asUser(s, ADMIN, 'PUT', `/channels/${ch.id}/crm`, { entity: 'task' })).status).toBe(400);
    const { portal_id: portalId } = await s.deps.db
      .selectFrom('channels')
      .select('portal_id')
      .where('id', '=', ch.id)
      .executeTakeFirstOrThrow();
    const rec = await s.deps.roles.createCustomerRecord(
      portalId,
      ch.id,
      { name: 'María', phone: '5491155550001' },
      DIEGO,
    );
    expect(rec.entity).toBe('deal');
    expect(s.portal.crmRecords().at(-1)).toMatchObject({
      entity: 'deal',
      id: rec.id,
      fields: { CATEGORY_ID: 1, STAGE_ID: 'C1:NEW', ASSIGNED_BY_ID: DIEGO },
    });
  });

  it('callback URLs (they hold the webhook secret) go to portal admins and bearer tokens only', async () => {
    // Roles from the test above: Elena is quality control, Bruno a sales rep, Ana the portal admin.
    const [first] = (
      await api<{ items: Array<{ id: string; callbackUrl?: string }> }>(s, token, 'GET', '/channels')
    ).body.items;
    const id = first?.id ?? '';
    expect(first?.callbackUrl).toMatch(/\/webhooks\/gupshup\/[^/]+\/[^/]+$/);
    const secret = first?.callbackUrl?.split('/').at(-1) ?? '';
    expect(secret.length).toBeGreaterThan(10);
    for (const path of ['/channels', '/channels/details', `/channels/${id}`]) {
      const admin = await asUser(s, ADMIN, 'GET', path);
      expect(JSON.stringify(admin.body), `admin ${path}`).toContain(secret);
      for (const user of [ELENA, BRUNO]) {
        const r = await asUser<unknown>(s, user, 'GET', path);
        expect(r.status, `user ${user} ${path}`).toBe(200);
        const text = JSON.stringify(r.body);
        expect(text, `user ${user} ${path}`).toContain(id);
        expect(text, `user ${user} ${path}`).not.toContain('callbackUrl');
        expect(text, `user ${user} ${path}`).not.toContain(secret);
      }
    }
  });

  it('health strip, connector state per line, trace date filter; bearer tokens still work for everything', async () => {
    const health = await api<{
      items: Array<{
        channelId: string;
        tokenOk: boolean | null;
        connectorActive: boolean | null;
        gupshupOk: boolean | null;
        gupshupError: string | null;
        wallet: { currency: string; balance: number } | null;
      }>;
    }>(s, token, 'GET', '/channels/health');
    // The connected channel (line 1) is on in Bitrix24; the pending one that names line 2 is not.
    expect(
      health.body.items.filter((h) => h.connectorActive !== null).map((h) => [h.tokenOk, h.connectorActive]),
    ).toEqual([
      [true, false],
      [true, true],
    ]);
    const checked = health.body.items.find((h) => h.gupshupOk !== null);
    expect(checked?.gupshupOk).toBe(true);
    expect(checked?.gupshupError).toBeNull();
    // The wallet for the strip too (the sandbox gives 25.5 credits to every key it knows).
    expect(checked?.wallet).toEqual({ currency: 'USD', balance: 25.5 });
    expect((await api(s, token, 'GET', '/lines/1/status')).body).toEqual({
      line: 1,
      status: true,
      configured: true,
      error: false,
    });
    expect((await api(s, token, 'GET', '/lines/2/status')).body).toMatchObject({ status: false });
    expect((await api(s, token, 'GET', '/lines/zero/status')).status).toBe(400);

    const today = new Date().toISOString().slice(0, 10);
    expect((await api(s, token, 'GET', `/messages?from=${today}&to=${today}`)).status).toBe(200);
    const old = await api<{ items: unknown[] }>(s, token, 'GET', '/messages?to=2000-01-01');
    expect(old.body.items).toEqual([]);
    expect((await api(s, token, 'GET', '/messages?from=yesterday')).status).toBe(400);
  });
  it('pages: CSP frame-ancestors is the portal origin; bad or forged auth is a localized page without a stack', async () => {
    const a = await frontendAuth(s, ADMIN);
    const page = await fetch(`${s.url}/b24/app?DOMAIN=${encodeURIComponent(a.DOMAIN)}&PROTOCOL=0&LANG=en`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        AUTH_ID: a.AUTH_ID,
        member_id: a.member_id,
        PLACEMENT: 'DEFAULT',
      }).toString(),
    });
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain(`frame-ancestors http://${a.DOMAIN};`);
    expect(csp).not.toContain('frame-ancestors *');
    const html = await page.text();
    expect(html).toContain('WhatsApp for Bitrix24');
    // Data for the script is JSON with < escaped; the frontend auth is there for the API calls only.
    const boot = /<script type="application\/json" id="boot">([^<]*)<\/script>/.exec(html)?.[1] ?? '';
    expect((JSON.parse(boot) as { lang: string; admin: boolean }).admin).toBe(true);

    const forged = await fetch(`${s.url}/b24/app?DOMAIN=${encodeURIComponent(a.DOMAIN)}&LANG=es`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ AUTH_ID: 'forged', member_id: a.member_id }).toString(),
    });
    expect(forged.status).toBe(401);
    const text = await forged.text();
    expect(text).toContain('No se pudo completar');
    expect(text).not.toMatch(/at .+\.ts:\d+|Error:/);

    const garbage = await fetch(`${s.url}/b24/connector?DOMAIN=<script>`, { method: 'POST', body: 'x' });
    expect(garbage.status).toBe(400);
    expect(garbage.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    const noLine = await fetch(`${s.url}/b24/connector?DOMAIN=${encodeURIComponent(a.DOMAIN)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        AUTH_ID: a.AUTH_ID,
        member_id: a.member_id,
        PLACEMENT_OPTIONS: '{"LINE":"x"}',
      }).toString(),
    });
    expect(noLine.status).toBe(400);
    const script = await fetch(`${s.url}/ui/app.js`);
    expect(script.headers.get('content-type')).toContain('application/javascript');
  });
  it('pages load their script at a URL with its content hash: cached for good, revalidated by ETag elsewhere', async () => {
    const a = await frontendAuth(s, ADMIN);
    const html = await fetch(`${s.url}/b24/app?DOMAIN=${encodeURIComponent(a.DOMAIN)}&PROTOCOL=0&LANG=en`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ AUTH_ID: a.AUTH_ID, member_id: a.member_id }).toString(),
    }).then((r) => r.text());
    const src = /<script src="(\/ui\/app\.js\?v=([0-9a-f]{16}))"><\/script>/.exec(html);
    expect(src).not.toBeNull();
    const [, url = '', hash = ''] = src ?? [];

    const hashed = await fetch(`${s.url}${url}`);
    expect(hashed.status).toBe(200);
    expect(hashed.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(hashed.headers.get('etag')).toBe(`"${hash}"`);
    const code = Buffer.from(await hashed.arrayBuffer());
    expect(createHash('sha256').update(code).digest('hex').slice(0, 16)).toBe(hash);

    const plain = await fetch(`${s.url}/ui/app.js`);
    expect(plain.headers.get('cache-control')).toBe('no-cache');
    await plain.arrayBuffer();
    const again = await fetch(`${s.url}/ui/app.js`, { headers: { 'if-none-match': `"${hash}"` } });
    expect(again.status).toBe(304);
  });
});
