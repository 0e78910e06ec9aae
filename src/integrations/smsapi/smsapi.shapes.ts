/**
 * SMSAPI's payloads (reference payments-and-sms.md §4.3, §4.4, §4.6), parsed with zod. Field names
 * are the wire's (snake_case); the official client's typings (`smsapi` 2.1.3) camelCase the same.
 */
import { z } from 'zod';

/** SMSAPI sends `points` as a number, sometimes as a string ("0.16"). */
export const points = z
  .union([
    z.number(),
    z
      .string()
      .trim()
      .regex(/^\d+(\.\d+)?$/),
  ])
  .transform(Number)
  .pipe(z.number().finite());

export const invalidNumber = z.object({
  number: z.string().nullish(),
  submitted_number: z.string().nullish(),
  message: z.string().nullish(),
  error_code: z.number().nullish(),
});

/** An error, answered with HTTP 200 (§4.3). */
export const errorBody = z.object({
  error: z.coerce.number().int(),
  message: z.string().default(''),
  invalid_numbers: z.array(invalidNumber).nullish(),
});

/** `format=json` success of sms.do (§4.3); `details=1` adds message, length, parts. */
export const sendBody = z.object({
  count: z.number().int(),
  list: z
    .array(
      z.object({
        id: z.union([z.string().min(1), z.number()]).transform(String),
        points,
        number: z.string().nullish(),
        status: z.string(),
        idx: z.string().nullish(),
        parts: z.number().int().nullish(),
        error: z.unknown().nullish(),
      }),
    )
    .min(1),
  length: z.number().int().nullish(),
  parts: z.number().int().nullish(),
});

/** GET /profile (§4.6). */
export const profileBody = z.object({
  points: points.nullish(),
  payment_type: z.string().nullish(),
});

/**
 * GET /sms/sendernames: `{ collection: [{ sender, status, is_default, created_at }], size }` (the
 * `Sendername` typing of the official client; statuses ACTIVE, INACTIVE, DELETED, PENDING, REJECTED).
 */
export const senderNamesBody = z.object({
  collection: z.array(
    z.object({
      sender: z.string(),
      status: z.string(),
      is_default: z.boolean().nullish(),
    }),
  ),
});

/** Delivery-report codes as commonly quoted (§4.4; names match the client's `MessageStatus`). */
export const DLR_STATUS_NAMES: Readonly<Record<number, string>> = {
  401: 'NOT_FOUND',
  402: 'EXPIRED',
  403: 'SENT',
  404: 'DELIVERED',
  405: 'UNDELIVERED',
  406: 'FAILED',
  407: 'REJECTED',
  408: 'UNKNOWN',
  409: 'QUEUE',
  410: 'ACCEPTED',
  411: 'RENEWAL',
  412: 'STOP',
};

/** A callback value: one string, or a repeated parameter read as an array. */
const listParam = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v.join(',') : v).split(',').map((s) => s.trim()));

/** The delivery-report callback's parameters (§4.4), comma-separated lists, one entry per message. */
export const deliveryReportParams = z.object({
  MsgId: listParam,
  status: listParam,
  status_name: listParam.optional(),
  idx: listParam.optional(),
  donedate: listParam.optional(),
  points: listParam.optional(),
});
