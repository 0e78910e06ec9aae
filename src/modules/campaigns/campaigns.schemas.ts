import { z } from 'zod';
import { INT_MAX } from '../../shared/validate.js';
import { CAMPAIGN_STATUSES } from './campaign-model.js';
import { minutesOf, validZone } from './dispatch-window.js';

/** The campaigns API's input (docs/campaigns.md; the JSON of a campaign is campaign-model.ts's). */

const hhmm = z.string().regex(/^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'a time HH:MM (00:00 to 24:00)');

export const windowInput = z
  .strictObject({
    days: z
      .array(z.number().int().min(1).max(7))
      .min(1)
      .max(7)
      .refine((d) => new Set(d).size === d.length, 'each weekday once (1 = Monday … 7 = Sunday)'),
    from: hhmm,
    to: hhmm,
  })
  .refine((w) => minutesOf(w.from) < minutesOf(w.to), { message: 'from must be before to', path: ['to'] });

const name = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((s) => !/[\p{Cc}\p{Cs}]/u.test(s), 'no control characters');

const fields = {
  name,
  channelId: z.uuid(),
  templateId: z.uuid(),
  replyLineId: z.number().int().min(1).max(INT_MAX).nullable(),
  replyUserIds: z.array(z.number().int().min(1).max(INT_MAX)).max(50),
  window: windowInput,
  timeZone: z.string().max(64).refine(validZone, 'an IANA time zone such as America/Argentina/Buenos_Aires'),
  startAt: z.iso.datetime({ offset: true }).nullable(),
  ratePerMinute: z.number().int().min(1).max(6000),
};

export const createInput = z.strictObject({
  ...fields,
  replyLineId: fields.replyLineId.optional(),
  replyUserIds: fields.replyUserIds.optional(),
  window: fields.window.optional(),
  timeZone: fields.timeZone.optional(),
  startAt: fields.startAt.optional(),
  ratePerMinute: fields.ratePerMinute.optional(),
});
export type CreateInput = z.infer<typeof createInput>;

export const patchInput = createInput.partial();
export type PatchInput = z.infer<typeof patchInput>;

export const listQuery = z.strictObject({
  status: z.enum(CAMPAIGN_STATUSES).optional(),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
});

export const idParam = z.strictObject({ id: z.coerce.number().int().min(1).max(Number.MAX_SAFE_INTEGER) });

export const reportQuery = z.strictObject({ lang: z.enum(['es', 'en', 'pt']).optional() });
