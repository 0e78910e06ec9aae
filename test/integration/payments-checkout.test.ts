import { describe, expect, it } from 'vitest';
import {
  connectChannel,
  createToken,
  frontendAuth,
  installAndToken,
  SAMPLE_PORTAL,
} from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';
import { checkout, operatorPack } from '../helpers/payments.js';

/** POST /api/v1/checkout from the attacker's side, and its idempotency. */
describe('payments: checkout attacker side and idempotency', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token = '';
  let packId = 0;

  it('no token 401, a bad token 401, a user without billing rights 403 (before the body is read)', async () => {
    token = await installAndToken(s);
    packId = await operatorPack(s);
    const body = { kind: 'pack', packId, provider: 'stripe' };
    const none = await fetch(`${s.url}/api/v1/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(none.status).toBe(401);
    expect((await checkout(s, 'wab24_not-a-token-0123456789', body)).status).toBe(401);
    // Bruno (user 2) is an agent, not an admin, and no channel's boss.
    const auth = new URLSearchParams(await frontendAuth(s, 2)).toString();
    const agent = await fetch(`${s.url}/api/v1/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-b24-auth': auth },
      body: JSON.stringify({ kind: 'bogus' }),
    });
    expect(agent.status).toBe(403);
    const orders = await fetch(`${s.url}/api/v1/orders`, { headers: { 'x-b24-auth': auth } });
    expect(orders.status).toBe(403);
    expect(await s.deps.db.selectFrom('billing_orders').select('id').execute()).toEqual([]);
  });

  it('bad bodies, odd unicode and open redirects are 400; unknown packs and channels 404; nothing is written', async () => {
    const bad: unknown[] = [
      {},
      { kind: 'pack' },
      { kind: 'pack', packId, provider: 'bitcoin' },
      { kind: 'pack', packId: -1, provider: 'stripe' },
      { kind: 'pack', packId: 1.5, provider: 'stripe' },
      { kind: 'pack', packId: '１２', provider: 'stripe' },
      { kind: 'pack', packId: `${packId}\u0000`, provider: 'stripe' },
      { kind: 'pack', packId, provider: 'stripe', extra: 1 },
      { kind: 'subscription', channelId: 'not-a-uuid', months: 1, provider: 'stripe' },
      {
        kind: 'subscription',
        channelId: '00000000-0000-4000-8000-000000000000',
        months: 7,
        provider: 'stripe',
      },
      {
        kind: 'subscription',
        channelId: '00000000-0000-4000-8000-000000000000',
        months: 1,
        provider: 'paypal',
      },
      ...[
        'https://evil.example/',
        '//evil.example/',
        '/\\evil.example',
        '\\\\evil.example',
        'javascript:alert(1)',
        '/javascript:alert(1)',
        '/../../etc',
        '/ok/\u202egnp.exe',
        '/ok\u0000',
        '/a b',
        `/${'a'.repeat(600)}`,
        'relative/path',
      ].map((returnPath) => ({ kind: 'pack', packId, provider: 'stripe', returnPath })),
    ];
    for (const b of bad) {
      const r = await checkout(s, token, b);
      expect(r.status, JSON.stringify(b)).toBe(400);
    }
    expect((await checkout(s, token, '{"kind":')).status).toBe(400);
    expect((await checkout(s, token, { kind: 'pack', packId: 999999, provider: 'stripe' })).status).toBe(404);
    const foreign = {
      kind: 'subscription',
      channelId: '00000000-0000-4000-8000-000000000000',
      months: 1,
      provider: 'stripe',
    };
    expect((await checkout(s, token, foreign)).status).toBe(404);
    expect(await s.deps.db.selectFrom('billing_orders').select('id').execute()).toEqual([]);
  });

  it("another portal's channel is a 404 and nothing is ordered", async () => {
    await connectChannel(s, token, 1);
    const other = await s.deps.db
      .insertInto('portals')
      .values({
        member_id: 'other-member-0001',
        domain: 'other.bitrix24.es',
        client_endpoint: 'https://other.bitrix24.es/rest/',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const foreign = await s.deps.db
      .insertInto('channels')
      .values({
        portal_id: other.id,
        name: 'Ajeno',
        gupshup_app_name: 'OtherApp',
        source_number: '5491100000999',
        callback_nonce: 'n-0001',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const r = await checkout(s, token, {
      kind: 'subscription',
      channelId: foreign.id,
      months: 1,
      provider: 'stripe',
    });
    expect(r.status).toBe(404);
    expect(await s.deps.db.selectFrom('billing_orders').select('id').execute()).toEqual([]);
  });

  it('the same Idempotency-Key answers the same order and page; another body under it is a 409; no key makes a new order', async () => {
    const body = { kind: 'pack', packId, provider: 'stripe', returnPath: '/marketplace/app/7/?x=1' };
    const a = await checkout(s, token, body, 'buy-1');
    const b = await checkout(s, token, body, 'buy-1');
    expect(a.status).toBe(200);
    expect(b.body).toEqual(a.body);
    const both = await Promise.all([checkout(s, token, body, 'buy-2'), checkout(s, token, body, 'buy-2')]);
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect(both[1]?.body.orderId).toBe(both[0]?.body.orderId);
    expect((await checkout(s, token, { ...body, provider: 'paypal' }, 'buy-1')).status).toBe(409);
    const c = await checkout(s, token, body);
    expect(c.body.orderId).not.toBe(a.body.orderId);
    // Stripe got one create per order, each with the order's own key.
    const keys = s.pay.stripe
      .requests()
      .filter((r) => r.path === '/v1/checkout/sessions')
      .map((r) => r.idempotencyKey);
    expect(new Set(keys)).toEqual(
      new Set([
        `checkout:${a.body.orderId}`,
        `checkout:${both[0]?.body.orderId}`,
        `checkout:${c.body.orderId}`,
      ]),
    );
    // A bearer token of another admin sees only this portal's orders.
    const t2 = await createToken(s, 1);
    const list = await fetch(`${s.url}/api/v1/orders`, { headers: { authorization: `Bearer ${t2}` } });
    expect(((await list.json()) as { orders: unknown[] }).orders).toHaveLength(3);
  });

  it('the return page and its status need the order token', async () => {
    const r = await fetch(`${s.url}/billing/orders/1/status?t=wrong-token-0123456789abc`);
    expect(r.status).toBe(404);
    const page = await fetch(`${s.url}/billing/return?order=1&t=wrong-token-0123456789abc`);
    expect(page.status).toBe(404);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
  });
});
