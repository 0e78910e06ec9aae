import { z } from 'zod';
import type { PaymentEvent, WebhookEnvelope } from '../../modules/billing/payment-ports.js';
import { SIGNATURE_TOLERANCE_SEC, stripeModule } from './stripe.client.js';

/**
 * Stripe's webhooks (reference §1.4–§1.7): the signature is checked on the raw bytes with the SDK
 * (`constructEvent`, HMAC-SHA256 of `t.payload`, 300 s tolerance); the events we act on are read with
 * zod into what they mean for an order. Unknown events are `ignored`, never an error.
 */
const envelope = z.object({ id: z.string().min(1).max(255), type: z.string().min(1).max(255) });

/** Verifies a delivery; throws `SignatureError` when it is not Stripe's (or too old). */
export async function verifyStripeDelivery(
  raw: Buffer,
  header: string | undefined,
  secret: string,
  nowSec?: number,
): Promise<WebhookEnvelope> {
  if (!header) throw new SignatureError('no Stripe-Signature header');
  const Stripe = await stripeModule();
  try {
    const e = Stripe.webhooks.constructEvent(
      raw,
      header,
      secret,
      SIGNATURE_TOLERANCE_SEC,
      undefined,
      nowSec,
    ) as unknown;
    const env = envelope.parse(e);
    return { eventId: env.id, eventType: env.type };
  } catch (err) {
    throw new SignatureError(err instanceof Error ? err.message.split('\n')[0]! : 'invalid signature');
  }
}

export class SignatureError extends Error {
  override name = 'SignatureError';
}

const meta = z.record(z.string(), z.string()).nullish();
const orderIdOf = (m: Record<string, string> | null | undefined, ref?: string | null): number | null => {
  const v = m?.order_id ?? ref ?? null;
  return v && /^\d{1,15}$/.test(v) ? Number(v) : null;
};
const idOf = z.union([z.string(), z.object({ id: z.string() })]).nullish();
const id = (v: z.infer<typeof idOf>): string | null => (typeof v === 'string' ? v : (v?.id ?? null));

const session = z.object({
  id: z.string(),
  mode: z.string(),
  payment_status: z.string(),
  amount_total: z.number().int().nullish(),
  currency: z.string().nullish(),
  client_reference_id: z.string().nullish(),
  metadata: meta,
  payment_intent: idOf,
  customer: idOf,
  subscription: idOf,
});
const charge = z.object({
  id: z.string(),
  payment_intent: idOf,
  amount: z.number().int(),
  amount_refunded: z.number().int(),
  receipt_url: z.string().nullish(),
});
const dispute = z.object({ id: z.string(), payment_intent: idOf, charge: idOf, status: z.string() });
const invoice = z.object({
  id: z.string(),
  period_end: z.number().nullish(),
  lines: z.object({ data: z.array(z.object({ period: z.object({ end: z.number() }).nullish() })) }).nullish(),
  // This API version: the subscription is under `parent` (§1.1); older ones had it at the top.
  parent: z
    .object({
      subscription_details: z.object({ subscription: idOf, metadata: meta }).nullish(),
    })
    .nullish(),
  subscription: idOf,
});
const subscription = z.object({ id: z.string(), status: z.string(), metadata: meta });

/** What a verified Stripe event means for us. */
export function stripeEvent(body: string): PaymentEvent {
  const e = z
    .object({
      id: z.string(),
      type: z.string(),
      created: z.number().int().nonnegative().nullish(),
      data: z.object({ object: z.record(z.string(), z.unknown()) }),
    })
    .parse(JSON.parse(body));
  const o = e.data.object;
  const createdAt = e.created ? new Date(e.created * 1000) : null;
  switch (e.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const s = session.parse(o);
      const orderId = orderIdOf(s.metadata, s.client_reference_id);
      if (orderId === null) return { kind: 'ignored', why: 'session without our order id' };
      // §1.4: `unpaid` is a delayed method; async_payment_succeeded comes when it clears.
      if (s.payment_status !== 'paid' && s.payment_status !== 'no_payment_required') {
        return { kind: 'ignored', why: `payment_status ${s.payment_status}` };
      }
      return {
        kind: 'paid',
        orderId,
        paymentId: id(s.payment_intent) ?? id(s.subscription),
        amountMinor: s.amount_total ?? 0,
        currency: (s.currency ?? '').toUpperCase(),
        customerId: id(s.customer),
        subscriptionId: id(s.subscription),
      };
    }
    case 'checkout.session.async_payment_failed':
    case 'checkout.session.expired': {
      const s = session.parse(o);
      const orderId = orderIdOf(s.metadata, s.client_reference_id);
      if (orderId === null) return { kind: 'ignored', why: 'session without our order id' };
      return e.type === 'checkout.session.expired'
        ? { kind: 'cancelled', orderId }
        : { kind: 'failed', orderId, reason: 'async_payment_failed' };
    }
    case 'charge.succeeded': {
      const c = charge.parse(o);
      const pi = id(c.payment_intent);
      return pi && c.receipt_url
        ? { kind: 'receipt', paymentId: pi, receiptUrl: c.receipt_url }
        : { kind: 'ignored', why: 'charge without payment intent or receipt' };
    }
    case 'charge.refunded': {
      const c = charge.parse(o);
      const pi = id(c.payment_intent);
      if (!pi) return { kind: 'ignored', why: 'charge without payment intent' };
      return { kind: 'refunded', paymentId: pi, totalRefundedMinor: c.amount_refunded };
    }
    case 'charge.dispute.created':
    case 'charge.dispute.closed': {
      const d = dispute.parse(o);
      const pi = id(d.payment_intent);
      if (!pi) return { kind: 'ignored', why: 'dispute without payment intent' };
      return e.type === 'charge.dispute.created'
        ? { kind: 'disputed', paymentId: pi }
        : { kind: 'dispute_closed', paymentId: pi, won: d.status === 'won' };
    }
    case 'invoice.paid':
    case 'invoice.payment_failed': {
      const inv = invoice.parse(o);
      const details = inv.parent?.subscription_details;
      const sub = id(details?.subscription) ?? id(inv.subscription);
      if (!sub) return { kind: 'ignored', why: 'invoice without subscription' };
      const orderId = orderIdOf(details?.metadata);
      if (e.type === 'invoice.payment_failed') {
        return { kind: 'subscription_unpaid', subscriptionId: sub, orderId, createdAt };
      }
      const end = inv.lines?.data[0]?.period?.end ?? inv.period_end;
      if (!end) return { kind: 'ignored', why: 'invoice without period' };
      return {
        kind: 'subscription_paid',
        subscriptionId: sub,
        orderId,
        periodEnd: new Date(end * 1000),
        createdAt,
      };
    }
    case 'customer.subscription.updated':
    case 'customer.subscription.deleted': {
      const s = subscription.parse(o);
      const orderId = orderIdOf(s.metadata);
      if (e.type === 'customer.subscription.deleted' || s.status === 'canceled') {
        return { kind: 'subscription_cancelled', subscriptionId: s.id, orderId, createdAt };
      }
      if (s.status === 'unpaid' || s.status === 'past_due' || s.status === 'incomplete_expired') {
        return { kind: 'subscription_unpaid', subscriptionId: s.id, orderId, createdAt };
      }
      return { kind: 'ignored', why: `subscription ${s.status}` };
    }
    default:
      return { kind: 'ignored', why: `event ${e.type}` };
  }
}
