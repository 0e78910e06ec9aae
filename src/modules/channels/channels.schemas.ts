import { z } from 'zod';
import { lineIdInput } from '../../shared/validate.js';

/**
 * What callers send to the channel routes (SPEC "HTTP surface"). The routes validate with these; the
 * services take what they produce.
 */

const digits = (v: string): string => v.replace(/[\s()+-]/g, '');

export const createChannelInput = z.object({
  name: z.string().trim().min(1).max(100),
  gupshupAppName: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{2,64}$/, 'letters, digits, - and _ only (the Gupshup app name)'),
  gupshupAppId: z.string().trim().min(1).max(64).optional(),
  sourceNumber: z
    .string()
    .transform(digits)
    .pipe(z.string().regex(/^\d{8,15}$/, 'the business number with country code, digits only')),
  // Sent as the `apikey` header: a space or control character there could only fail every call.
  apiKey: z
    .string()
    .trim()
    .min(8)
    .max(256)
    .regex(/^[\x21-\x7e]+$/, 'the key as Gupshup shows it, without spaces or control characters'),
  lineId: lineIdInput.optional(),
});
export type CreateChannelInput = z.infer<typeof createChannelInput>;

/** No body, or `{}`, activates on the line the channel already names. */
export const activateInput = z.object({ lineId: lineIdInput.optional() }).nullish();
export type ActivateInput = z.infer<typeof activateInput>;

const appId = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9-]{1,64}$/, 'the App ID from the Gupshup dashboard');
const wabaId = z
  .string()
  .trim()
  .regex(/^\d{5,32}$/, 'digits only');

/** POST /channels: an existing Gupshup app; with an App ID its key is checked with Gupshup first. */
export const connectInput = createChannelInput.extend({
  gupshupAppId: appId.optional(),
  wabaId: wabaId.optional(),
  companyName: z.string().trim().min(1).max(100).optional(),
});
export type ConnectInput = z.infer<typeof connectInput>;

export const updateInput = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    gupshupAppName: createChannelInput.shape.gupshupAppName.optional(),
    gupshupAppId: appId.optional(),
    sourceNumber: createChannelInput.shape.sourceNumber.optional(),
    apiKey: z
      .string()
      .trim()
      .max(256)
      .optional()
      .transform((v) => (v ? v : undefined))
      .pipe(createChannelInput.shape.apiKey.optional()),
    wabaId: z.union([wabaId, z.literal('')]).optional(),
    companyName: z.unknown().optional(),
  })
  .strict();
export type UpdateInput = z.infer<typeof updateInput>;

export const numberRequestInput = z.object({
  companyName: z.string().trim().min(2).max(100),
  contactName: z.string().trim().min(2).max(100),
  contactEmail: z
    .email()
    .max(200)
    .optional()
    .or(z.literal('').transform(() => undefined)),
  contactPhone: z
    .string()
    .transform(digits)
    .pipe(z.string().regex(/^\d{6,15}$/, 'digits with country code'))
    .optional()
    .or(z.literal('').transform(() => undefined)),
  lineId: lineIdInput.optional(),
});
export type NumberRequestInput = z.infer<typeof numberRequestInput>;

/** The operator's answer to a request: the number Gupshup assigned and its app. */
export const confirmInput = z.object({
  sourceNumber: createChannelInput.shape.sourceNumber,
  gupshupAppName: createChannelInput.shape.gupshupAppName,
  gupshupAppId: appId.optional(),
  apiKey: createChannelInput.shape.apiKey,
  wabaId: wabaId.optional(),
});
export type ConfirmInput = z.infer<typeof confirmInput>;

/** A channel id from a URL: any text, so an id that is not a UUID is a 404 like an unknown one. */
export const channelIdParam = z.object({ id: z.string().describe('the channel id (a UUID)') });
export const requestIdParam = z.object({
  id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});
export const lineParam = z.object({ line: lineIdInput });
