import { z } from 'zod';
import { lineIdInput } from '../../shared/validate.js';

/**
 * What callers send to the template routes. These schemas only check the JSON's shape, with generous
 * caps; every rule about the content is template-rules.ts, answered in the caller's language.
 */

const text = (max: number) => z.string().max(max);
const param = z.object({ name: text(500), example: text(2000) });

const button = z.discriminatedUnion('type', [
  z.object({ type: z.literal('QUICK_REPLY'), text: text(500) }),
  z.object({ type: z.literal('URL'), text: text(500), url: text(2000), example: text(2000).optional() }),
  z.object({ type: z.literal('PHONE_NUMBER'), text: text(500), phoneNumber: text(100) }),
  z.object({ type: z.literal('COPY_CODE'), example: text(500) }),
  z.object({ type: z.literal('OTP'), otpType: z.literal('COPY_CODE'), text: text(500).optional() }),
]);

export const templateDraftInput = z.object({
  channelId: z.uuid(),
  elementName: text(1000),
  displayName: text(1000),
  language: text(50),
  category: text(50).describe('MARKETING, UTILITY or AUTHENTICATION'),
  type: text(50).describe('TEXT, IMAGE, DOCUMENT or VIDEO'),
  header: text(1000).nullish(),
  headerParam: param.nullish().describe('The text header’s own {{1}}: its name and example'),
  body: text(5000),
  footer: text(1000).nullish(),
  buttons: z.array(button).max(50).optional(),
  params: z.array(param).max(100).describe('Name and example of the body’s {{1}}…{{n}}, in order'),
  sampleMediaId: z.uuid().nullish().describe('The header’s sample file (POST /templates/media)'),
});

export const templateQueryInput = z.object({
  channelId: z.uuid().optional(),
  category: text(50).optional(),
  status: text(50).optional(),
  language: text(50).optional(),
  active: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  q: text(200).optional(),
});

export const templateIdParam = z.object({ id: z.string().max(100) });

export const templatePatchInput = z
  .object({ displayName: text(1000).optional(), active: z.boolean().optional() })
  .refine((p) => p.displayName !== undefined || p.active !== undefined, {
    message: 'send displayName, active or both',
  });

export const templateLinesInput = z.object({
  lineIds: z.array(lineIdInput).max(500).describe('The open lines whose agents are offered it'),
});

export const syncQueryInput = z.object({ channelId: z.uuid() });

export const mediaQueryInput = z.object({ name: text(255).optional() });
