import { z } from 'zod';
import { SUBSCRIPTION_MONTHS } from './billing.schemas.js';

/**
 * Where the return page links back to, on the portal (the host is always the portal's own domain,
 * so this is never an open redirect): a path that starts with one `/`, printable ASCII only, no
 * backslash, no `//`, no `..` segment, no scheme.
 */
export const returnPath = z
  .string()
  .max(500)
  .regex(/^\/(?!\/)[\x21-\x7e]*$/, 'a path on the portal that starts with one "/" (printable ASCII)')
  .refine((p) => !p.includes('\\') && !/(^|\/)\.\.?(\/|$)/.test(p) && !/^\/[a-z][a-z0-9+.-]*:/i.test(p), {
    message: 'a plain path on the portal (no "..", no backslash, no scheme)',
  });

const packId = z.union([
  z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  z.string().regex(/^[1-9]\d{0,14}$/, 'a pack id'),
]);

export const checkoutBody = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('pack'),
    packId,
    provider: z.enum(['stripe', 'paypal']),
    returnPath: returnPath.optional(),
  }),
  z.strictObject({
    kind: z.literal('subscription'),
    channelId: z.uuid(),
    months: z.literal(SUBSCRIPTION_MONTHS, 'one of 1, 3, 6 or 12 months'),
    provider: z.literal('stripe', 'subscriptions are paid with Stripe'),
    returnPath: returnPath.optional(),
  }),
]);
export type CheckoutBody = z.infer<typeof checkoutBody>;

/** Optional `Idempotency-Key` of a checkout: the same key answers the same order. */
export const checkoutHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7e]{1,200}$/, 'printable ASCII, 1 to 200 characters')
    .optional(),
});

export const checkoutReply = z.object({ orderId: z.number(), redirectUrl: z.string() });

export const ORDER_STATUSES = ['pending', 'paid', 'cancelled', 'refunded', 'disputed', 'failed'] as const;
export type ApiOrderStatus = (typeof ORDER_STATUSES)[number];

export const ordersQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

export const portalLinkBody = z.strictObject({
  channelId: z.uuid().optional(),
  returnPath: returnPath.optional(),
});

/** The return page's status call: the order and its token. */
export const returnQuery = z.object({
  order: z.string().regex(/^\d{1,15}$/),
  t: z.string().regex(/^[A-Za-z0-9_-]{20,64}$/),
});
