import { z } from 'zod';

/** ISO 4217 code; lower case is accepted and stored upper case. */
const currency = z
  .string()
  .trim()
  .regex(/^[A-Za-z]{3}$/, 'a three-letter ISO 4217 currency code, such as USD')
  .transform((c) => c.toUpperCase());

/** An amount in the currency's minor units (cents): what Stripe takes as `unit_amount`. */
const priceMinor = z.number().int('a whole number of minor units (cents)').min(1).max(100_000_000_000);

export const packInput = z.strictObject({
  name: z.string().trim().min(1).max(120),
  messages: z.number().int().min(1).max(100_000_000),
  priceMinor,
  currency,
  validityDays: z.number().int().min(1).max(3650),
  active: z.boolean().default(true),
});
export type PackInput = z.infer<typeof packInput>;

export const packPatch = z
  .strictObject({
    name: packInput.shape.name,
    messages: packInput.shape.messages,
    priceMinor,
    currency,
    validityDays: packInput.shape.validityDays,
    active: z.boolean(),
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to change' });
export type PackPatch = z.infer<typeof packPatch>;

export const packIdParam = z.object({
  id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});

export const SUBSCRIPTION_MONTHS = [1, 3, 6, 12] as const;

/**
 * The whole subscription price list: per currency a monthly price and, optionally, 3, 6 and 12
 * months, each no dearer per month than the monthly price.
 */
export const subscriptionPricesInput = z
  .strictObject({
    prices: z
      .array(
        z.strictObject({
          currency,
          months: z.literal(SUBSCRIPTION_MONTHS, 'one of 1, 3, 6 or 12 months'),
          priceMinor,
        }),
      )
      .min(1)
      .max(40),
  })
  .superRefine((v, ctx) => {
    const seen = new Map<string, number>();
    v.prices.forEach((p, i) => {
      const key = `${p.currency}/${p.months}`;
      if (seen.has(key)) {
        ctx.addIssue({ code: 'custom', path: ['prices', i], message: `${key} is listed twice` });
      }
      seen.set(key, p.priceMinor);
    });
    v.prices.forEach((p, i) => {
      const monthly = seen.get(`${p.currency}/1`);
      if (monthly === undefined) {
        ctx.addIssue({ code: 'custom', path: ['prices', i], message: `${p.currency} needs a monthly price` });
      } else if (p.priceMinor > monthly * p.months) {
        ctx.addIssue({
          code: 'custom',
          path: ['prices', i, 'priceMinor'],
          message: `${p.months} months must not cost more than ${p.months} × the monthly price`,
        });
      }
    });
  });
export type SubscriptionPricesInput = z.infer<typeof subscriptionPricesInput>;

export const LEDGER_KINDS = ['credit', 'reserve', 'settle', 'release', 'refund', 'expiry'] as const;

export const ledgerQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  kind: z.enum(LEDGER_KINDS).optional(),
});
export type LedgerQuery = z.infer<typeof ledgerQuery>;

export const consumptionQuery = z.strictObject({
  days: z.coerce.number().int().min(1).max(90).default(30),
});
export type ConsumptionQuery = z.infer<typeof consumptionQuery>;

/** A calendar day, `YYYY-MM-DD`, that exists (2026-02-30 does not). */
const isoDay = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD')
  .refine((d) => !Number.isNaN(Date.parse(d)) && new Date(d).toISOString().startsWith(d), 'not a date');

/** The longest range one export covers (a year and a day, so a leap year fits). */
export const EXPORT_MAX_DAYS = 366;

/** CSV exports: a range of UTC days, both included; by default the last 30 days up to today. */
export const exportQuery = z
  .strictObject({ from: isoDay.optional(), to: isoDay.optional() })
  .superRefine((q, ctx) => {
    if (q.from && q.to && q.from > q.to) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: '`from` is after `to`' });
    }
    const span = q.from && q.to ? (Date.parse(q.to) - Date.parse(q.from)) / 86_400_000 + 1 : 0;
    if (span > EXPORT_MAX_DAYS) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `at most ${EXPORT_MAX_DAYS} days at once` });
    }
  });
export type ExportQuery = z.infer<typeof exportQuery>;
/** GET/PUT /api/v1/billing/settings: below this many available units the admins are warned (null: never). */
export const billingSettings = z.strictObject({
  lowBalanceThreshold: z.number().int('a whole number of messages').min(0).max(100_000_000).nullable(),
});
export type BillingSettings = z.infer<typeof billingSettings>;
