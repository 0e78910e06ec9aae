import { beforeAll, describe, expect, it } from 'vitest';
import { api, frontendAuth, installAndToken, waitFor, SAMPLE_PORTAL } from '../../scripts/stack.js';
import { TokensRepository } from '../../src/modules/tokens/tokens.repository.js';
import { billingProbe } from '../helpers/billing-send.js';
import { useStack } from '../helpers/stack.js';

/**
 * The low-balance threshold (GET/PUT /api/v1/billing/settings) and its warning: one Bitrix24
 * notification (im.notify.system.add) per crossing below it, re-armed when the balance is back at or
 * above it; and the route from the attacker's side.
 */
describe('low-balance threshold', () => {
  const s = useStack({ portal: SAMPLE_PORTAL, env: { BILLING_ENFORCED: 'true' } });
  const probe = billingProbe(s);
  let token = '';
  let portalId = 0;
  const ADMIN = 1;
  const BRUNO = 2; // an agent, no chat role that opens billing
  beforeAll(async () => {
    token = await installAndToken(s);
    portalId = await probe.portalId();
  });

  const settings = (method: 'GET' | 'PUT', body?: unknown, auth: Record<string, string> = bearer(token)) =>
    fetch(`${s.url}/api/v1/billing/settings`, {
      method,
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const asUser = async (userId: number) => ({
    'x-b24-auth': new URLSearchParams(await frontendAuth(s, userId)).toString(),
  });
  const notifyCalls = () => s.portal.calls().filter((c) => c.method === 'im.notify.system.add');
  let n = 0;
  const spend = async (units: number) => {
    for (let i = 0; i < units; i++) {
      const r = await s.deps.ledger.reserve(portalId, `spend:${n++}`);
      if (r.reservationId) await s.deps.ledger.settle(r.reservationId);
    }
  };
  const warnings = async () =>
    (
      await s.deps.db
        .selectFrom('jobs')
        .select('status')
        .where('topic', '=', 'billing.low_balance')
        .where('portal_id', '=', portalId)
        .execute()
    ).length;

  it('starts with no threshold; the billing admin sets one and reads it back', async () => {
    const r = await settings('GET');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ lowBalanceThreshold: null });
    await s.deps.ledger.credit({
      portalId,
      units: 10,
      validityDays: 30,
      provider: 'operator',
      eventId: 'th-1',
    });
    const put = await settings('PUT', { lowBalanceThreshold: 5 }, await asUser(ADMIN));
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ lowBalanceThreshold: 5 });
    expect(await (await settings('GET')).json()).toEqual({ lowBalanceThreshold: 5 });
    expect(await warnings()).toBe(0);
  });

  it('warns the admins once per crossing below the threshold, again only after the balance was back above it', async () => {
    await spend(5); // 10 → 5: not below
    await s.deps.worker.drain();
    expect(await warnings()).toBe(0);
    await spend(1); // 5 → 4: below
    await spend(2); // 4 → 2: still the same crossing
    await waitFor(() => notifyCalls().length === 1, 10_000, 'the notification');
    await s.deps.worker.drain();
    expect(await warnings()).toBe(1);
    const [call] = notifyCalls();
    expect(call?.params).toMatchObject({ USER_ID: ADMIN, TAG: 'whatsappb24_low_balance' });
    expect(JSON.stringify(call?.params)).toContain('quedan 4 mensajes');
    expect(s.portal.notifications()).toHaveLength(1);

    await s.deps.ledger.credit({
      portalId,
      units: 10,
      validityDays: 30,
      provider: 'operator',
      eventId: 'th-2',
    });
    await s.deps.worker.drain();
    expect(await warnings()).toBe(1); // 12: back above, re-armed, nothing sent
    await spend(8); // 12 → 4: the second crossing
    await waitFor(() => notifyCalls().length === 2, 10_000, 'the second notification');
    await s.deps.worker.drain();
    expect(await warnings()).toBe(2);
    // The same tag: the admin's panel holds the latest warning, not a pile of them.
    expect(s.portal.notifications()).toHaveLength(1);
  });

  it('a threshold set above the balance warns at once; null switches the warning off', async () => {
    const before = await warnings();
    expect((await settings('PUT', { lowBalanceThreshold: 100 })).status).toBe(200);
    await s.deps.worker.drain();
    expect(await warnings()).toBe(before + 1);
    expect((await settings('PUT', { lowBalanceThreshold: null })).status).toBe(200);
    await spend(1);
    await s.deps.worker.drain();
    expect(await warnings()).toBe(before + 1);
    expect(await (await settings('GET')).json()).toEqual({ lowBalanceThreshold: null });
  });

  it('refuses callers without a token, agents, and bad values, changing nothing', async () => {
    expect((await settings('PUT', { lowBalanceThreshold: 7 })).status).toBe(200);
    expect((await settings('GET', undefined, {})).status).toBe(401);
    expect((await settings('PUT', { lowBalanceThreshold: 1 }, {})).status).toBe(401);
    expect(
      (await settings('PUT', { lowBalanceThreshold: 1 }, bearer('wab24_forged_token_xxxxxxxxxxxxx'))).status,
    ).toBe(401);
    const agent = await asUser(BRUNO);
    expect((await settings('GET', undefined, agent)).status).toBe(403);
    expect((await settings('PUT', { lowBalanceThreshold: 1 }, agent)).status).toBe(403);
    expect((await settings('PUT', { lowBalanceThreshold: 'nope' }, agent)).status).toBe(403); // 403 before 400
    for (const bad of [
      { lowBalanceThreshold: -1 },
      { lowBalanceThreshold: 1.5 },
      { lowBalanceThreshold: '10' },
      { lowBalanceThreshold: '１０' },
      { lowBalanceThreshold: 1e9 },
      { lowBalanceThreshold: true },
      {},
      { lowBalanceThreshold: 5, extra: 1 },
      { 'lowBalance\u200bThreshold': 5 },
      { ｌowBalanceThreshold: 5 },
      [5],
      'null',
      '{"lowBalanceThreshold": 5',
    ]) {
      const r = await settings('PUT', bad);
      expect(r.status, JSON.stringify(bad)).toBe(400);
    }
    expect(await (await settings('GET')).json()).toEqual({ lowBalanceThreshold: 7 });
  });

  it("another portal's token reads and changes only its own settings", async () => {
    const other = await s.deps.db
      .insertInto('portals')
      .values({
        member_id: 'other-member',
        domain: 'other.example.com',
        client_endpoint: 'https://other.example.com/rest/',
        status: 'installed',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const otherToken = 'wab24_otherportaltoken_0123456789ab';
    await new TokensRepository(s.deps.db).insert({
      portalId: other.id,
      tokenMac: s.deps.box.mac(otherToken),
      prefix: otherToken.slice(0, 10),
      label: null,
      createdByUserId: null,
    });
    const mine = bearer(otherToken);
    expect(await (await settings('GET', undefined, mine)).json()).toEqual({ lowBalanceThreshold: null });
    expect((await settings('PUT', { lowBalanceThreshold: 3 }, mine)).status).toBe(200);
    expect(await (await settings('GET', undefined, mine)).json()).toEqual({ lowBalanceThreshold: 3 });
    expect(await (await settings('GET')).json()).toEqual({ lowBalanceThreshold: 7 });
    // The API's own view of billing stays the portal's own too.
    expect((await api<{ available: number }>(s, otherToken, 'GET', '/balance')).body.available).toBe(0);
  });
});
