import { stringify } from 'qs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  STACK_CLIENT_ID,
  STACK_CLIENT_SECRET,
  connectChannel,
  createToken,
  installAndToken,
  waitFor,
  type Stack,
} from '../../scripts/stack.js';
import { startSandboxPortal, type SandboxPortal } from '../../scripts/sandbox/portal/index.js';
import { useStack } from '../helpers/stack.js';

/**
 * Issue 8 items 1–3, from an attacker's side: installs are proven by Bitrix24's OAuth server (the
 * sandbox portal's, shared by every sandbox portal as oauth.bitrix.info is by every cloud portal).
 */
const form = { 'content-type': 'application/x-www-form-urlencoded' };

async function postInstallPage(s: Stack, domain: string, fields: Record<string, string>) {
  const r = await fetch(`${s.url}/b24/install?DOMAIN=${encodeURIComponent(domain)}&PROTOCOL=0&LANG=en`, {
    method: 'POST',
    headers: form,
    body: stringify(fields),
  });
  return { status: r.status, body: await r.text() };
}

async function postInstallEvent(s: Stack, path: string, auth: Record<string, string>) {
  const r = await fetch(`${s.url}${path}`, {
    method: 'POST',
    headers: form,
    body: stringify({ event: 'ONAPPINSTALL', data: { LANGUAGE_ID: 'en' }, auth }),
  });
  return { status: r.status, body: await r.text() };
}

/** An event the app accepts and ignores: proves which application token the app trusts. */
async function probeEvent(s: Stack, portal: SandboxPortal, applicationToken?: string) {
  const r = await portal.postEvent({
    event: 'ONIMCONNECTORDIALOGSTART',
    data: {},
    handler: `${s.url}/b24/events`,
    ...(applicationToken !== undefined ? { auth: { application_token: applicationToken } } : {}),
  });
  return r[0]?.status;
}

async function portalRow(s: Stack, memberId: string) {
  return s.deps.db
    .selectFrom('portals')
    .select(['status', 'domain', 'client_endpoint', 'application_token_mac', 'refresh_token_enc'])
    .where('member_id', '=', memberId)
    .executeTakeFirst();
}

async function count(s: Stack, table: 'portals' | 'jobs') {
  const r = await s.deps.db
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('install takeover attempts', () => {
  const s = useStack();
  let evil: SandboxPortal;
  let token: string;

  beforeAll(async () => {
    token = await installAndToken(s);
    await connectChannel(s, token, 1);
    // The attacker's own, genuine portal: an admin there, nobody on the victim's portal.
    evil = await startSandboxPortal({
      clientId: STACK_CLIENT_ID,
      clientSecret: STACK_CLIENT_SECRET,
      oauthServer: s.portal,
    });
    await evil.installApp({ installUrl: `${s.url}/does-not-exist`, mode: 'ui' });
  });
  afterAll(async () => {
    await evil?.close();
  });

  it('a non-admin cannot re-install: install page refused, application token and OAuth tokens kept', async () => {
    const before = await portalRow(s, s.portal.memberId);
    const bruno = s.portal.issueTokens({ userId: 2 });
    const withRealRefresh = await postInstallPage(s, s.portal.domain, {
      AUTH_ID: bruno.accessToken,
      REFRESH_ID: bruno.refreshToken,
      member_id: s.portal.memberId,
      APPLICATION_TOKEN: 'chosen-by-the-attacker',
    });
    expect(withRealRefresh.status).toBe(403);
    expect(withRealRefresh.body).toContain('administrator');
    const withAnyRefresh = await postInstallPage(s, s.portal.domain, {
      AUTH_ID: s.portal.issueTokens({ userId: 2 }).accessToken,
      REFRESH_ID: 'anything',
      member_id: s.portal.memberId,
      APPLICATION_TOKEN: 'chosen-by-the-attacker',
    });
    expect(withAnyRefresh.status).toBe(401);
    expect(await portalRow(s, s.portal.memberId)).toEqual(before);
    expect(await probeEvent(s, s.portal, 'chosen-by-the-attacker')).toBe(403);
    expect(await probeEvent(s, s.portal)).toBe(200);
  });

  it('a non-admin cannot re-install with a forged ONAPPINSTALL carrying their own real tokens', async () => {
    const before = await portalRow(s, s.portal.memberId);
    const jobs = await count(s, 'jobs');
    const bruno = s.portal.issueTokens({ userId: 2 });
    const r = await postInstallEvent(s, '/b24/events', {
      member_id: s.portal.memberId,
      domain: s.portal.domain,
      client_endpoint: `${s.portal.url}/rest/`,
      access_token: bruno.accessToken,
      refresh_token: bruno.refreshToken,
      application_token: 'chosen-by-the-attacker',
    });
    expect(r.status).toBe(403);
    expect(await portalRow(s, s.portal.memberId)).toEqual(before);
    expect(await count(s, 'jobs')).toBe(jobs);
    expect(await probeEvent(s, s.portal, 'chosen-by-the-attacker')).toBe(403);
    expect(await probeEvent(s, s.portal)).toBe(200);
  });

  it('an admin of another portal cannot pass their tokens off as this portal’s', async () => {
    const before = await portalRow(s, s.portal.memberId);
    const mine = evil.issueTokens({ userId: 1 });
    const page = await postInstallPage(s, s.portal.domain, {
      AUTH_ID: mine.accessToken,
      REFRESH_ID: mine.refreshToken,
      member_id: s.portal.memberId,
      APPLICATION_TOKEN: 'chosen-by-the-attacker',
    });
    expect(page.status).toBe(403);
    expect(page.body).toContain('member_id differs');
    // The right member_id, tokens of the right portal, but a DOMAIN of the attacker's choosing.
    const admin = s.portal.issueTokens({ userId: 1 });
    const elsewhere = await postInstallPage(s, evil.domain, {
      AUTH_ID: admin.accessToken,
      REFRESH_ID: admin.refreshToken,
      member_id: s.portal.memberId,
    });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body).toContain('domain differs');
    // The member_id in look-alike unicode is another member_id, not this one.
    const wide = await postInstallPage(s, s.portal.domain, {
      AUTH_ID: admin.accessToken,
      REFRESH_ID: s.portal.issueTokens({ userId: 1 }).refreshToken,
      member_id: s.portal.memberId.replace(/[a-f]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)),
    });
    expect(wide.status).toBe(403);
    expect(await portalRow(s, s.portal.memberId)).toEqual(before);
    expect(evil.calls().filter((c) => c.method.startsWith('imconnector'))).toEqual([]);
  });

  it('a refresh the OAuth server refuses, or cannot answer, stores nothing', async () => {
    const before = await portalRow(s, s.portal.memberId);
    const admin = () => s.portal.issueTokens({ userId: 1 });
    s.portal.failNext({ method: 'oauth/token', times: 1, status: 400, error: 'invalid_grant' });
    const a = admin();
    const refused = await postInstallPage(s, s.portal.domain, {
      AUTH_ID: a.accessToken,
      REFRESH_ID: a.refreshToken,
      member_id: s.portal.memberId,
      APPLICATION_TOKEN: 'new-token',
    });
    expect(refused.status).toBe(401);
    s.portal.failNext({ method: 'oauth/token', times: 1, status: 503, error: 'temporarily_unavailable' });
    const b = admin();
    const down = await postInstallPage(s, s.portal.domain, {
      AUTH_ID: b.accessToken,
      REFRESH_ID: b.refreshToken,
      member_id: s.portal.memberId,
      APPLICATION_TOKEN: 'new-token',
    });
    expect(down.status).toBe(503);
    expect(await portalRow(s, s.portal.memberId)).toEqual(before);
    expect(await probeEvent(s, s.portal, 'new-token')).toBe(403);
  });

  it('an admin’s re-install is proven and keeps the rotated refresh token, not the one posted', async () => {
    const a = s.portal.issueTokens({ userId: 1 });
    const r = await postInstallPage(s, s.portal.domain, {
      AUTH_ID: a.accessToken,
      REFRESH_ID: a.refreshToken,
      member_id: s.portal.memberId,
      APPLICATION_TOKEN: s.portal.applicationToken,
    });
    expect(r.status).toBe(200);
    const row = await portalRow(s, s.portal.memberId);
    expect(row?.refresh_token_enc).toBeTruthy();
    expect(s.deps.box.decrypt(row?.refresh_token_enc ?? '')).not.toBe(a.refreshToken);
    // The posted refresh token was spent on the proof: Bitrix24 no longer takes it.
    const again = await postInstallPage(s, s.portal.domain, {
      AUTH_ID: a.accessToken,
      REFRESH_ID: a.refreshToken,
      member_id: s.portal.memberId,
    });
    expect(again.status).toBe(401);
    expect(await probeEvent(s, s.portal)).toBe(200);
  });
});

describe('claiming an uninstalled or unknown portal', () => {
  const s = useStack();
  let evil: SandboxPortal;

  beforeAll(async () => {
    const token = await installAndToken(s);
    await connectChannel(s, token, 1);
    evil = await startSandboxPortal({
      clientId: STACK_CLIENT_ID,
      clientSecret: STACK_CLIENT_SECRET,
      oauthServer: s.portal,
    });
    await evil.installApp({ installUrl: `${s.url}/does-not-exist`, mode: 'ui' });
    const res = await s.portal.uninstallApp({ clean: false });
    expect(res.map((x) => x.status)).toEqual([200]);
  });
  afterAll(async () => {
    await evil?.close();
  });

  it('an ONAPPINSTALL naming the uninstalled portal’s member_id with the caller’s domain is refused', async () => {
    const jobs = await count(s, 'jobs');
    const mine = evil.issueTokens({ userId: 1 });
    for (const path of ['/b24/install', '/b24/events']) {
      const r = await postInstallEvent(s, path, {
        member_id: s.portal.memberId,
        domain: evil.domain,
        client_endpoint: `${evil.url}/rest/`,
        access_token: mine.accessToken,
        refresh_token: evil.issueTokens({ userId: 1 }).refreshToken,
        application_token: 'chosen-by-the-attacker',
      });
      expect(r.status, path).toBe(403);
    }
    const made = await postInstallEvent(s, '/b24/install', {
      member_id: s.portal.memberId,
      domain: evil.domain,
      client_endpoint: `${evil.url}/rest/`,
      access_token: 'made-up',
      refresh_token: 'made-up',
      application_token: 'chosen-by-the-attacker',
    });
    expect(made.status).toBe(401);
    const row = await portalRow(s, s.portal.memberId);
    expect(row?.status).toBe('uninstalled');
    expect(row?.domain).toBe(s.portal.domain);
    expect(await count(s, 'jobs')).toBe(jobs);
    expect(evil.calls()).toEqual([]);
    const tokens = await fetch(`${s.url}/api/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ DOMAIN: evil.domain, AUTH_ID: mine.accessToken, member_id: s.portal.memberId }),
    });
    expect(tokens.status).toBe(401);
  });

  it('an ONAPPINSTALL with made-up tokens for a member_id never seen stores nothing and calls nobody', async () => {
    const portals = await count(s, 'portals');
    const jobs = await count(s, 'jobs');
    const r = await postInstallEvent(s, '/b24/install', {
      member_id: 'f'.repeat(32),
      domain: evil.domain,
      client_endpoint: `${evil.url}/rest/`,
      access_token: 'made-up',
      refresh_token: 'made-up',
      application_token: 'chosen-by-the-attacker',
    });
    expect(r.status).toBe(401);
    expect(r.body).toContain('did not confirm');
    expect(await count(s, 'portals')).toBe(portals);
    expect(await count(s, 'jobs')).toBe(jobs);
    expect(evil.calls()).toEqual([]);
  });

  it('the real owner re-installs afterwards and gets the portal’s channels back', async () => {
    const res = await s.portal.installApp({ installUrl: `${s.url}/b24/install`, mode: 'ui' });
    expect(res.status).toBe(200);
    s.portal.finishInstall();
    const token = await createToken(s);
    const list = await fetch(`${s.url}/api/v1/channels`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await list.json()) as { items: unknown[] };
    expect(body.items).toHaveLength(1);
    expect(await probeEvent(s, s.portal)).toBe(200);
  });
});

describe('a portal whose install page carries no APPLICATION_TOKEN', () => {
  const s = useStack({ portal: { iframeApplicationToken: false } });

  it('takes the token from the first proven ONAPPINSTALL, and no forged one plants a token', async () => {
    const page = await s.portal.installApp({ installUrl: `${s.url}/b24/install`, mode: 'ui' });
    expect(page.status).toBe(200);
    s.portal.finishInstall();
    expect((await portalRow(s, s.portal.memberId))?.application_token_mac).toBeNull();
    expect(await probeEvent(s, s.portal)).toBe(401);

    // A forged ONAPPINSTALL first: a non-admin's real tokens, then made-up ones.
    const bruno = s.portal.issueTokens({ userId: 2 });
    const auth = {
      member_id: s.portal.memberId,
      domain: s.portal.domain,
      client_endpoint: `${s.portal.url}/rest/`,
      access_token: bruno.accessToken,
      refresh_token: bruno.refreshToken,
      application_token: 'chosen-by-the-attacker',
    };
    expect((await postInstallEvent(s, '/b24/events', auth)).status).toBe(403);
    expect((await postInstallEvent(s, '/b24/events', { ...auth, refresh_token: 'made-up' })).status).toBe(
      401,
    );
    expect((await portalRow(s, s.portal.memberId))?.application_token_mac).toBeNull();

    // Bitrix24's own ONAPPINSTALL (the installing admin's tokens) is proven and sets the token.
    const ev = await s.portal.installApp({ installUrl: `${s.url}/b24/install`, mode: 'callback' });
    expect(ev.status).toBe(200);
    await waitFor(async () => (await portalRow(s, s.portal.memberId))?.status === 'installed');
    expect((await portalRow(s, s.portal.memberId))?.application_token_mac).toBeTruthy();
    expect(await probeEvent(s, s.portal)).toBe(200);
    expect(await probeEvent(s, s.portal, 'chosen-by-the-attacker')).toBe(403);
  });
});

describe('a forged uninstall', () => {
  const s = useStack();

  it('is refused while the portal still accepts our token, even with the real application token', async () => {
    const token = await installAndToken(s);
    await connectChannel(s, token, 1);
    // Every user who opens the app's pages receives APPLICATION_TOKEN (reference §1.2).
    const forged = await s.portal.postEvent({
      event: 'ONAPPUNINSTALL',
      data: { LANGUAGE_ID: 'es', CLEAN: '1' },
      handler: `${s.url}/b24/events`,
    });
    expect(forged.map((r) => r.status)).toEqual([403]);
    expect((await portalRow(s, s.portal.memberId))?.status).toBe('installed');
    const list = await fetch(`${s.url}/api/v1/channels`, { headers: { authorization: `Bearer ${token}` } });
    expect(list.status).toBe(200);
    expect(((await list.json()) as { items: Array<{ status: string }> }).items[0]?.status).toBe('active');

    // Bitrix24's own uninstall revokes our access first: then it is taken.
    const genuine = await s.portal.uninstallApp({ clean: true });
    expect(genuine.map((r) => r.status)).toEqual([200]);
    expect((await portalRow(s, s.portal.memberId))?.status).toBe('uninstalled');
  });
});

describe('a frontend auth issued to another application', () => {
  const s = useStack();

  it('does not pass for this app, even for a portal admin', async () => {
    const token = await installAndToken(s);
    // Another app installed on the same portal holds the admin's token for itself.
    const foreign = s.portal.issueTokens({ userId: 1, appCode: 'vendor.otherapp' }).accessToken;
    const auth = { DOMAIN: s.portal.domain, AUTH_ID: foreign, member_id: s.portal.memberId };
    const create = await fetch(`${s.url}/api/v1/tokens`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(auth),
    });
    expect(create.status).toBe(401);
    expect(((await create.json()) as { error: { message: string } }).error.message).toContain(
      'another application',
    );
    const page = await fetch(`${s.url}/api/v1/channels`, {
      headers: { 'x-b24-auth': new URLSearchParams(auth).toString() },
    });
    expect(page.status).toBe(401);
    // The same admin's token for this app passes.
    const own = await fetch(`${s.url}/api/v1/channels`, {
      headers: {
        'x-b24-auth': new URLSearchParams({
          ...auth,
          AUTH_ID: s.portal.issueTokens({ userId: 1 }).accessToken,
        }).toString(),
      },
    });
    expect(own.status).toBe(200);
    expect(token).toMatch(/^wab24_/);
  });
});
