import { describe, expect, it } from 'vitest';
import {
  api,
  connectChannel,
  installAndToken,
  SAMPLE_PORTAL,
  STACK_OPERATOR_TOKEN,
} from '../../scripts/stack.js';
import { signatureHeader } from '../../scripts/sandbox/stripe/index.js';
import { useStack } from '../helpers/stack.js';
import { balance, checkout, operatorPack, payOnPage, untilOrder, webhooksDone } from '../helpers/payments.js';

/** PayPal packs (create → approve → capture → webhook, verification failure) and channel subscriptions. */
describe('payments: PayPal and subscriptions', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token = '';
  let packId = 0;

  it('PayPal: create with PayPal-Request-Id, approve, capture on return, credited once', async () => {
    token = await installAndToken(s);
    packId = await operatorPack(s, { messages: 500, priceMinor: 900 });
    const c = await checkout(s, token, { kind: 'pack', packId, provider: 'paypal' });
    expect(c.status).toBe(200);
    expect(c.body.redirectUrl).toMatch(new RegExp(`^${s.pay.paypal.url}/checkoutnow\\?token=`));
    const create = s.pay.paypal.requests().find((r) => r.path === '/v2/checkout/orders');
    expect(create?.requestId).toBe(`pp-create:${c.body.orderId}`);
    const back = await payOnPage(c.body.redirectUrl);
    expect(back.status).toBe(200);
    await untilOrder(s, c.body.orderId, 'paid');
    await webhooksDone(s);
    expect((await balance(s, token)).available).toBe(500);
    // Every PayPal event again: nothing more.
    for (const e of s.pay.paypal.events()) await s.pay.paypal.redeliver(e.id);
    await webhooksDone(s);
    expect((await balance(s, token)).available).toBe(500);
    const w = await s.deps.db
      .selectFrom('payment_webhooks')
      .select(['event_type', 'state'])
      .where('provider', '=', 'paypal')
      .execute();
    expect(w.map((x) => x.state)).not.toContain('rejected');
  });

  it('PayPal: a forged or tampered event fails verification and changes nothing; a refund reverses', async () => {
    const before = (await balance(s, token)).available;
    const real = s.pay.paypal.events().find((e) => e.event_type === 'PAYMENT.CAPTURE.COMPLETED');
    const forged = real!.body
      .replace(/"id":"WH-[A-F0-9]+"/, '"id":"WH-FORGED"')
      .replace('"value":"9.00"', '"value":"9.00" ');
    // Headers of the real delivery on another body: PayPal answers FAILURE.
    const headers = s.pay.paypal.model.sign(real!.body, s.pay.paypal.webhookId);
    expect(await s.pay.paypal.deliverRaw(forged, headers)).toBe(200);
    // Missing transmission headers: refused at the door.
    expect(await s.pay.paypal.deliverRaw(real!.body, { 'x-nothing': '1' })).toBe(400);
    await webhooksDone(s);
    const rejected = await s.deps.db
      .selectFrom('payment_webhooks')
      .select('state')
      .where('event_id', '=', 'WH-FORGED')
      .execute();
    expect(rejected).toEqual([{ state: 'rejected' }]);
    expect((await balance(s, token)).available).toBe(before);
    const cap = [...s.pay.paypal.model.captures.keys()][0]!;
    s.pay.paypal.model.refund(cap, { amount: { currency_code: 'USD', value: '4.50' } });
    await webhooksDone(s);
    expect((await balance(s, token)).available).toBe(before - 250);
    s.pay.paypal.model.refund(cap, {});
    await webhooksDone(s);
    expect((await balance(s, token)).available).toBe(before - 500);
    expect(await s.deps.ledger.reconcile()).toEqual([]);
  });

  /** Channel `n` on open line `n`, subscribed with Stripe for `months` and paid; its status reader. */
  const subscribed = async (n: number, months: 1 | 3) => {
    const ch = await connectChannel(s, token, n, n);
    const c = await checkout(s, token, {
      kind: 'subscription',
      channelId: ch.id,
      months,
      provider: 'stripe',
    });
    expect(c.status).toBe(200);
    await payOnPage(c.body.redirectUrl);
    await untilOrder(s, c.body.orderId, 'paid');
    await webhooksDone(s);
    const channel = () =>
      s.deps.db
        .selectFrom('channels')
        .select(['status', 'status_reason', 'paid_until'])
        .where('id', '=', ch.id)
        .executeTakeFirstOrThrow();
    return { ch, orderId: c.body.orderId, channel };
  };

  it('subscription: paid → channel paid until the period end; unpaid → Interrupted (reason in the admin language) → paid → back', async () => {
    await fetch(`${s.url}/api/v1/operator/billing/subscription-prices`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${STACK_OPERATOR_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        prices: [
          { currency: 'USD', months: 1, priceMinor: 2000 },
          { currency: 'USD', months: 3, priceMinor: 5400 },
        ],
      }),
    });
    const { ch, channel } = await subscribed(1, 3);
    expect((await channel()).status).toBe('active');
    expect((await channel()).paid_until!.getTime()).toBeGreaterThan(Date.now() + 80 * 86_400_000);
    const sub = [...s.pay.stripe.model.subscriptions.keys()][0]!;
    s.pay.stripe.model.renew(sub, false);
    await webhooksDone(s);
    expect(await channel()).toMatchObject({ status: 'interrupted', status_reason: 'subscription_unpaid' });
    const shown = await api<Array<{ id: string; status: string; statusReason?: string | null }>>(
      s,
      token,
      'GET',
      '/channels',
    );
    expect(JSON.stringify(shown.body)).toContain('subscription_unpaid');
    s.pay.stripe.model.renew(sub, true);
    await webhooksDone(s);
    expect(await channel()).toMatchObject({ status: 'active', status_reason: null });
    s.pay.stripe.model.cancel(sub);
    await webhooksDone(s);
    expect(await channel()).toMatchObject({ status: 'interrupted', status_reason: 'subscription_cancelled' });
    // The customer portal link for cards and cancellation.
    const portal = await api<{ url: string }>(s, token, 'POST', '/billing/customer-portal', {
      channelId: ch.id,
    });
    expect(portal.status).toBe(200);
    expect(portal.body.url).toMatch(new RegExp(`^${s.pay.stripe.url}/portal/bps_test_`));
  });

  it('subscription events in any order: a failure Stripe made before a payment we applied, delivered late or replayed, changes nothing', async () => {
    const { orderId, channel } = await subscribed(2, 1);
    const stripe = s.pay.stripe;
    const sub = [...stripe.model.subscriptions.values()].find(
      (x) => (x.metadata as Record<string, string>).order_id === String(orderId),
    )!.id as string;
    // Stripe makes the failed renewal (invoice.payment_failed, subscription past_due), but its
    // deliveries are held up; a minute later the retried payment succeeds and is delivered at once.
    stripe.setWebhookUrl('');
    const n = stripe.events().length;
    stripe.model.renew(sub, false);
    const held = stripe.events().slice(n);
    expect(held.map((e) => e.type)).toEqual(['invoice.payment_failed', 'customer.subscription.updated']);
    for (const e of held) e.created -= 60;
    stripe.setWebhookUrl(`${s.url}/webhooks/stripe`);
    stripe.model.renew(sub, true);
    await webhooksDone(s);
    expect(await channel()).toMatchObject({ status: 'active', status_reason: null });
    // The held failure arrives now: older than the payment applied, it changes nothing.
    for (const e of held) await stripe.redeliver(e.id);
    await webhooksDone(s);
    expect(await channel()).toMatchObject({ status: 'active', status_reason: null });
    const notes = await s.deps.db
      .selectFrom('payment_webhooks')
      .select(['event_id', 'state', 'note'])
      .where(
        'event_id',
        'in',
        held.map((e) => e.id),
      )
      .execute();
    expect(notes.map((x) => x.state)).toEqual(['applied', 'applied']);
    expect(notes.every((x) => /no change/.test(x.note ?? ''))).toBe(true);
    // An attacker replaying the old failure: again (a duplicate), or as captured ten minutes ago.
    await stripe.redeliver(held[0]!.id);
    const body = JSON.stringify(held[0]);
    const stale = signatureHeader(body, stripe.webhookSecret, Math.floor(Date.now() / 1000) - 600);
    const r = await fetch(`${s.url}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': stale },
      body,
    });
    expect(r.status).toBe(400);
    await webhooksDone(s);
    expect(await channel()).toMatchObject({ status: 'active', status_reason: null });
    // A failure made after the payment still interrupts the channel.
    stripe.model.renew(sub, false);
    await webhooksDone(s);
    expect(await channel()).toMatchObject({ status: 'interrupted', status_reason: 'subscription_unpaid' });
    // A payment made before that failure, delivered after it: paid_until grows, the channel stays
    // Interrupted (the failure is the latest word).
    const before = (await channel()).paid_until!.getTime();
    stripe.setWebhookUrl('');
    const m = stripe.events().length;
    stripe.model.renew(sub, true);
    const heldPaid = stripe.events().slice(m);
    expect(heldPaid.map((e) => e.type)).toEqual(['invoice.paid', 'customer.subscription.updated']);
    for (const e of heldPaid) e.created -= 60;
    stripe.setWebhookUrl(`${s.url}/webhooks/stripe`);
    for (const e of heldPaid) await stripe.redeliver(e.id);
    await webhooksDone(s);
    expect(await channel()).toMatchObject({ status: 'interrupted', status_reason: 'subscription_unpaid' });
    expect((await channel()).paid_until!.getTime()).toBeGreaterThan(before);
  });
});
