import { z } from 'zod';
import type { PaymentEvent, WebhookEnvelope } from '../../modules/billing/payment-ports.js';
import { fromPayPalValue } from './paypal.client.js';

/**
 * PayPal's webhooks (reference §2.6): the envelope (`id` `WH-…`, `event_type`, `resource`), the
 * transmission headers kept for verify-webhook-signature, and what each event we act on means.
 */
const envelope = z.object({
  id: z.string().min(1).max(255),
  event_type: z.string().min(1).max(255),
  resource: z.record(z.string(), z.unknown()),
});

export const PAYPAL_SIGNATURE_HEADERS = [
  'paypal-transmission-id',
  'paypal-transmission-time',
  'paypal-transmission-sig',
  'paypal-cert-url',
  'paypal-auth-algo',
] as const;

/** The envelope and the headers verification needs; throws a message for a 400 when either is missing. */
export function readPayPalDelivery(
  raw: Buffer,
  headers: Record<string, string | string[] | undefined>,
): { envelope: WebhookEnvelope; keep: Record<string, string> } {
  const keep: Record<string, string> = {};
  for (const h of PAYPAL_SIGNATURE_HEADERS) {
    const v = headers[h];
    const s = Array.isArray(v) ? v[0] : v;
    if (!s || s.length > 2000) throw new Error(`missing ${h} header`);
    keep[h] = s;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new Error('body is not JSON');
  }
  const e = envelope.safeParse(parsed);
  if (!e.success) throw new Error('not a PayPal webhook event (id, event_type, resource)');
  return { envelope: { eventId: e.data.id, eventType: e.data.event_type }, keep };
}

const money = z.object({ currency_code: z.string(), value: z.string() });
const link = z.object({ href: z.string(), rel: z.string() });
const orderRef = (v: string | undefined) => (v && /^\d{1,15}$/.test(v) ? Number(v) : null);
const captureRes = z.object({
  id: z.string(),
  status: z.string().optional(),
  amount: money,
  custom_id: z.string().optional(),
  supplementary_data: z.object({ related_ids: z.object({ order_id: z.string().optional() }) }).optional(),
});
const refundRes = z.object({
  id: z.string(),
  amount: money,
  custom_id: z.string().optional(),
  links: z.array(link).default([]),
});

/** The capture a refund belongs to: its `up` link ends in /captures/{id}. */
function captureOf(links: Array<{ href: string; rel: string }>): string | null {
  const up = links.find((l) => l.rel === 'up')?.href ?? '';
  return /\/captures\/([^/?#]+)/.exec(up)?.[1] ?? null;
}

export function paypalEvent(body: string): PaymentEvent {
  const e = envelope.parse(JSON.parse(body));
  const r = e.resource;
  switch (e.event_type) {
    case 'CHECKOUT.ORDER.APPROVED': {
      const o = z
        .object({
          id: z.string(),
          purchase_units: z.array(z.object({ custom_id: z.string().optional() })).optional(),
        })
        .parse(r);
      return { kind: 'approved', providerOrderId: o.id, orderId: orderRef(o.purchase_units?.[0]?.custom_id) };
    }
    case 'PAYMENT.CAPTURE.COMPLETED': {
      const c = captureRes.parse(r);
      const orderId = orderRef(c.custom_id);
      if (orderId === null) return { kind: 'ignored', why: 'capture without our order id' };
      return {
        kind: 'paid',
        orderId,
        paymentId: c.id,
        amountMinor: fromPayPalValue(c.amount.value, c.amount.currency_code),
        currency: c.amount.currency_code,
      };
    }
    case 'PAYMENT.CAPTURE.DENIED':
    case 'PAYMENT.CAPTURE.DECLINED': {
      const c = captureRes.parse(r);
      const orderId = orderRef(c.custom_id);
      if (orderId === null) return { kind: 'ignored', why: 'capture without our order id' };
      return { kind: 'failed', orderId, reason: e.event_type };
    }
    case 'PAYMENT.CAPTURE.REFUNDED': {
      const f = refundRes.parse(r);
      const cap = captureOf(f.links);
      if (!cap) return { kind: 'ignored', why: 'refund without its capture link' };
      return {
        kind: 'refunded',
        paymentId: cap,
        orderId: orderRef(f.custom_id),
        refund: { id: f.id, amountMinor: fromPayPalValue(f.amount.value, f.amount.currency_code) },
      };
    }
    case 'PAYMENT.CAPTURE.REVERSED': {
      // The resource is the reversal (a refund-like object) or, in some payloads, the capture itself.
      const f = z.object({ id: z.string(), links: z.array(link).default([]) }).parse(r);
      return { kind: 'disputed', paymentId: captureOf(f.links) ?? f.id };
    }
    default:
      return { kind: 'ignored', why: `event ${e.event_type}` };
  }
}
