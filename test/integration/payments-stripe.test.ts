import { describe, expect, it } from 'vitest';
import { api, installAndToken, SAMPLE_PORTAL, waitFor } from '../../scripts/stack.js';
import { signatureHeader } from '../../scripts/sandbox/stripe/index.js';
import { useStack } from '../helpers/stack.js';
import { balance, checkout, operatorPack, payOnPage, untilOrder, webhooksDone } from '../helpers/payments.js';

/**
 * Packs bought with Stripe, end to end through the sandbox Stripe (the official SDK against it):
 * checkout → the hosted page → the signed webhook → billing_credit, once; refunds and disputes
 * through billing_refund; the signature's attacker side.
 */
describe('payments: Stripe packs', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token = '';
  let packId = 0;

  it('checkout → pay → webhook credits the pack once; the return page shows it paid', async () => {
    token = await installAndToken(s);
    packId = await operatorPack(s, { messages: 1000, priceMinor: 1500 });
    const c = await checkout(s, token, {
      kind: 'pack',
      packId,
      provider: 'stripe',
      returnPath: '/marketplace/app/7/',
    });
    expect(c.status).toBe(200);
    expect(c.body.redirectUrl).toMatch(new RegExp(`^${s.pay.stripe.url}/pay/cs_test_`));
    // Our key per order reached Stripe.
    const create = s.pay.stripe.requests().find((r) => r.path === '/v1/checkout/sessions');
    expect(create?.idempotencyKey).toBe(`checkout:${c.body.orderId}`);
    const back = await payOnPage(c.body.redirectUrl);
    expect(back.status).toBe(200);
    const html = await back.text();
    expect(html).toContain('id="status"');
    expect(html).toContain(`https://${s.portal.domain}/marketplace/app/7/`);
    await untilOrder(s, c.body.orderId, 'paid');
    await webhooksDone(s);
    expect(await balance(s, token)).toMatchObject({ available: 1000, reserved: 0, debt: 0 });
    const orders = await api<{ orders: Array<Record<string, unknown>> }>(s, token, 'GET', '/orders');
    expect(orders.body.orders[0]).toMatchObject({
      id: c.body.orderId,
      kind: 'pack',
      provider: 'stripe',
      status: 'paid',
      amount: 1500,
      currency: 'USD',
      units: 1000,
    });
    expect(String(orders.body.orders[0]?.receiptUrl)).toMatch(/\/receipts\/ch_test_/);
    // Every event delivered again, in reverse order: nothing changes.
    for (const e of [...s.pay.stripe.events()].reverse()) await s.pay.stripe.redeliver(e.id);
    await webhooksDone(s);
    expect(await balance(s, token)).toMatchObject({ available: 1000 });
    const status = await fetch(
      `${s.url}/billing/orders/${c.body.orderId}/status?t=${new URL(back.url).searchParams.get('t')}`,
    );
    expect(await status.json()).toEqual({ status: 'paid' });
  });

  it('a partial refund takes back its share, a second refund the rest; the balance follows', async () => {
    const c = await checkout(s, token, { kind: 'pack', packId, provider: 'stripe' });
    await payOnPage(c.body.redirectUrl);
    await untilOrder(s, c.body.orderId, 'paid');
    await webhooksDone(s);
    expect((await balance(s, token)).available).toBe(2000);
    const pi = s.pay.stripe.model.sessions.get(c.body.redirectUrl.split('/').pop() ?? '')
      ?.payment_intent as string;
    s.pay.stripe.model.refund({ payment_intent: pi, amount: '600' });
    await webhooksDone(s);
    // 1000 units × 600 / 1500 = 400 taken back.
    expect((await balance(s, token)).available).toBe(1600);
    s.pay.stripe.model.refund({ payment_intent: pi });
    await untilOrder(s, c.body.orderId, 'refunded');
    await webhooksDone(s);
    expect((await balance(s, token)).available).toBe(1000);
    // The first refund's event again, late: the total only grows.
    const first = s.pay.stripe.events().find((e) => e.type === 'charge.refunded');
    await s.pay.stripe.redeliver(first!.id);
    await webhooksDone(s);
    expect((await balance(s, token)).available).toBe(1000);
    expect(await s.deps.ledger.reconcile()).toEqual([]);
  });

  it('a dispute takes the whole pack back; spent units become debt (docs/billing.md)', async () => {
    const c = await checkout(s, token, { kind: 'pack', packId, provider: 'stripe' });
    await payOnPage(c.body.redirectUrl);
    await untilOrder(s, c.body.orderId, 'paid');
    await webhooksDone(s);
    const before = (await balance(s, token)).available;
    const portal = await s.deps.db.selectFrom('portals').select('id').executeTakeFirstOrThrow();
    // Spend everything but 300 units.
    for (let i = 0; i < 3; i++) {
      const r = await s.deps.ledger.reserve(portal.id, `spend-${i}`, {
        units: Math.floor((before - 300) / 3),
      });
      await s.deps.ledger.settle(r.reservationId!);
    }
    const pi = s.pay.stripe.model.sessions.get(c.body.redirectUrl.split('/').pop() ?? '')
      ?.payment_intent as string;
    s.pay.stripe.model.dispute(pi, 'lost');
    await untilOrder(s, c.body.orderId, 'disputed');
    await webhooksDone(s);
    const b = await balance(s, token);
    expect(b.available).toBe(0);
    expect(b.debt).toBe(1000 - 300 - ((before - 300) % 3));
    expect(await s.deps.ledger.reconcile()).toEqual([]);
  });

  it('signatures: tampered, stale, wrong secret and missing are 400 and store nothing; a good one is 200', async () => {
    const url = `${s.url}/webhooks/stripe`;
    const body = JSON.stringify({
      id: 'evt_test_forged',
      object: 'event',
      type: 'checkout.session.completed',
      data: { object: {} },
    });
    const post = (b: string, sig?: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(sig ? { 'stripe-signature': sig } : {}) },
        body: b,
      });
    const secret = s.pay.stripe.webhookSecret;
    expect((await post(body.replace('forged', 'forgeD'), signatureHeader(body, secret))).status).toBe(400);
    expect(
      (await post(body, signatureHeader(body, secret, Math.floor(Date.now() / 1000) - 301))).status,
    ).toBe(400);
    expect((await post(body, signatureHeader(body, 'whsec_wrong_secret'))).status).toBe(400);
    expect((await post(body)).status).toBe(400);
    expect((await post('{"id":', signatureHeader('{"id":', secret))).status).toBe(400);
    const stored = await s.deps.db
      .selectFrom('payment_webhooks')
      .select('id')
      .where('event_id', '=', 'evt_test_forged')
      .execute();
    expect(stored).toEqual([]);
    const good = await post(body, signatureHeader(body, secret));
    expect(good.status).toBe(200);
    await waitFor(async () => {
      const w = await s.deps.db
        .selectFrom('payment_webhooks')
        .select('state')
        .where('event_id', '=', 'evt_test_forged')
        .executeTakeFirst();
      return w?.state === 'ignored';
    });
  });
});
