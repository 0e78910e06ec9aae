/**
 * The sandbox Stripe against /work/shared/reference/payments-and-sms.md §1, driven by the official
 * SDK as the app drives it (host/port/protocol options) and by a webhook receiver that checks the
 * signature with the SDK's constructEvent.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandboxStripe, type SandboxStripe } from '../../../scripts/sandbox/stripe/index.js';

let sb: SandboxStripe;
let sdk: Stripe;
let hook: Server;
let received: Stripe.Event[];

beforeEach(async () => {
  sb = await startSandboxStripe();
  sdk = new Stripe(sb.secretKey, { host: sb.host, port: sb.port, protocol: 'http', maxNetworkRetries: 0 });
  received = [];
  hook = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      try {
        received.push(
          Stripe.webhooks.constructEvent(
            Buffer.concat(chunks),
            String(req.headers['stripe-signature']),
            sb.webhookSecret,
          ),
        );
        res.writeHead(200).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  sb.setWebhookUrl(`http://127.0.0.1:${(hook.address() as AddressInfo).port}/`);
});
afterEach(async () => {
  await sb.close();
  await new Promise<void>((r) => hook.close(() => r()));
});

const packSession = (extra: Partial<Stripe.Checkout.SessionCreateParams> = {}) => ({
  mode: 'payment' as const,
  line_items: [
    { quantity: 1, price_data: { currency: 'usd', unit_amount: 1500, product_data: { name: 'Pack' } } },
  ],
  client_reference_id: '42',
  metadata: { order_id: '42' },
  payment_intent_data: { metadata: { order_id: '42' } },
  success_url: 'http://127.0.0.1/ok?session_id={CHECKOUT_SESSION_ID}',
  cancel_url: 'http://127.0.0.1/cancel',
  ...extra,
});

describe('sandbox Stripe (§1)', () => {
  it('§1.2 creates a Checkout Session from the SDK form encoding; §1.5 its events verify with constructEvent', async () => {
    const s = await sdk.checkout.sessions.create(packSession());
    expect(s).toMatchObject({
      object: 'checkout.session',
      mode: 'payment',
      status: 'open',
      payment_status: 'unpaid',
      amount_total: 1500,
      currency: 'usd',
      client_reference_id: '42',
      metadata: { order_id: '42' },
    });
    const r = await fetch(s.url!, {
      method: 'POST',
      body: 'action=pay',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    });
    expect(r.status).toBe(303);
    expect(r.headers.get('location')).toBe(`http://127.0.0.1/ok?session_id=${s.id}`);
    await sb.settled();
    expect(received.map((e) => e.type)).toEqual(
      expect.arrayContaining(['checkout.session.completed', 'charge.succeeded']),
    );
    const done = received.find((e) => e.type === 'checkout.session.completed')!.data.object;
    expect(done).toMatchObject({ id: s.id, payment_status: 'paid', status: 'complete' });
    expect(String(done.payment_intent as string)).toMatch(/^pi_/);
  });

  it('§1.3 the same Idempotency-Key replays the first answer; other parameters under it are an idempotency error', async () => {
    const a = await sdk.checkout.sessions.create(packSession(), { idempotencyKey: 'k1' });
    const b = await sdk.checkout.sessions.create(packSession(), { idempotencyKey: 'k1' });
    expect(b.id).toBe(a.id);
    await expect(
      sdk.checkout.sessions.create(packSession({ client_reference_id: '43' }), { idempotencyKey: 'k1' }),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
  });

  it('refuses a wrong key (401), a missing success_url and a recurring price in payment mode (400)', async () => {
    const wrong = new Stripe('sk_test_wrong', {
      host: sb.host,
      port: sb.port,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    await expect(wrong.checkout.sessions.create(packSession())).rejects.toBeInstanceOf(
      Stripe.errors.StripeAuthenticationError,
    );
    await expect(sdk.checkout.sessions.create(packSession({ success_url: '' }))).rejects.toBeInstanceOf(
      Stripe.errors.StripeInvalidRequestError,
    );
    await expect(
      sdk.checkout.sessions.create(
        packSession({
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: 'usd',
                unit_amount: 1,
                recurring: { interval: 'month' },
                product_data: { name: 'x' },
              },
            },
          ],
        }),
      ),
    ).rejects.toBeInstanceOf(Stripe.errors.StripeInvalidRequestError);
  });

  it('§1.4 refunds: charge.refunded carries the cumulative amount_refunded; more than was paid is refused', async () => {
    const s = await sdk.checkout.sessions.create(packSession());
    sb.model.pay(s.id);
    const pi = String(sb.model.sessions.get(s.id)!.payment_intent);
    await sdk.refunds.create({ payment_intent: pi, amount: 500 });
    await sdk.refunds.create({ payment_intent: pi, amount: 700 });
    await expect(sdk.refunds.create({ payment_intent: pi, amount: 400 })).rejects.toBeInstanceOf(
      Stripe.errors.StripeInvalidRequestError,
    );
    await sb.settled();
    const refunded = received
      .filter((e) => e.type === 'charge.refunded')
      .map((e) => e.data.object.amount_refunded);
    expect(refunded).toEqual([500, 1200]);
  });

  it('§1.7 subscription mode: a customer and a subscription; invoice.paid has the subscription under parent; portal sessions', async () => {
    const { payment_intent_data: _pi, ...base } = packSession();
    const s = await sdk.checkout.sessions.create({
      ...base,
      mode: 'subscription',
      line_items: [
        {
          quantity: 1,
          price_data: {
            currency: 'usd',
            unit_amount: 2000,
            recurring: { interval: 'month', interval_count: 3 },
            product_data: { name: 'Channel' },
          },
        },
      ],
      subscription_data: { metadata: { order_id: '9' } },
    });
    expect(String(s.customer as string)).toMatch(/^cus_/);
    sb.model.pay(s.id);
    await sb.settled();
    const inv = received.find((e) => e.type === 'invoice.paid')!.data.object;
    expect(String(inv.parent?.subscription_details?.subscription as string)).toMatch(/^sub_/);
    const portal = await sdk.billingPortal.sessions.create({
      customer: s.customer as string,
      return_url: 'https://x.bitrix24.es/',
    });
    expect(portal.url).toMatch(/\/portal\/bps_/);
    await expect(sdk.billingPortal.sessions.create({ customer: 'cus_nope' })).rejects.toBeInstanceOf(
      Stripe.errors.StripeInvalidRequestError,
    );
  });
});
