import { z } from 'zod';
import { isKnownCallingCode } from './phone.js';
import { DIGEST_INTERVAL } from './schedule.js';

/** Names people type: trimmed, no control characters, at least one letter or digit. */
const name = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !/\p{Cc}/u.test(s), 'no control characters')
    .refine((s) => /[\p{L}\p{N}]/u.test(s), 'at least one letter or digit');

export const idParam = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
export const groupRecipientParams = idParam.extend({
  recipientId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});

export const groupInput = z.strictObject({ name: name(80) });

export const groupPatch = z
  .strictObject({
    name: name(80),
    /** true: the group hears about every CRM company ("Todas"); false: only `companies`. */
    allCompanies: z.boolean(),
    companies: z
      .array(
        z.strictObject({
          id: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
          title: z.string().trim().max(255),
        }),
      )
      .max(500),
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to change' });
export type GroupPatch = z.infer<typeof groupPatch>;

export const recipientInput = z.strictObject({
  firstName: name(80),
  lastName: name(80),
  phone: z.string().max(40),
  reference: z.string().trim().max(120).default(''),
});
export type RecipientInput = z.infer<typeof recipientInput>;
export const recipientPatch = recipientInput
  .partial()
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to change' });
export type RecipientPatch = z.infer<typeof recipientPatch>;

/** `?search=` of the CRM companies a group may hear about: part of a title, or nothing for the first 50. */
export const companiesQuery = z.object({ search: z.string().trim().max(100).default('') });

export const enabledInput = z.strictObject({ enabled: z.boolean() });

export const settingsPatch = z
  .strictObject({
    country: z
      .string()
      .regex(/^[A-Za-z]{2}$/, 'an ISO 3166 country code, such as AR')
      .transform((c) => c.toUpperCase()),
    timeZone: z.string().max(64),
    digestIntervalMinutes: z.number().int().min(DIGEST_INTERVAL.min).max(DIGEST_INTERVAL.max),
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to change' });
export type SettingsPatch = z.infer<typeof settingsPatch>;

/** The operator's part: limits, full service and the countries numbers may be from. */
export const operatorPatch = z
  .strictObject({
    maxRecipients: z.number().int().min(0).max(100_000),
    maxGroups: z.number().int().min(1).max(10_000),
    fullService: z.boolean(),
    allowedCallingCodes: z
      .array(
        z
          .string()
          .regex(/^[1-9]\d{0,2}$/, 'a country calling code without +, such as 54')
          .refine(isKnownCallingCode, { error: (i) => `no country has the calling code ${String(i.input)}` }),
      )
      .min(1)
      .max(250)
      .transform((codes) => [...new Set(codes)]),
  })
  .partial()
  .refine((p) => Object.keys(p).length > 0, { message: 'nothing to change' });
export type OperatorPatch = z.infer<typeof operatorPatch>;
/** `GET /operator/notifications`: the portals that use notifications, by id, `cursor` the last id seen. */
export const operatorListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  /** Part of the portal's domain, such as `acme` for acme.bitrix24.es. */
  search: z
    .string()
    .trim()
    .max(100)
    .refine((s) => !/\p{Cc}/u.test(s), 'no control characters')
    .default(''),
});
export type OperatorListQuery = z.infer<typeof operatorListQuery>;
export const portalParam = z.object({
  portalId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});

/** What a digest fills each template parameter with, in order: {{1}}, {{2}}… */
export const reportParam = z.enum(['count', 'titles', 'company', 'link', 'group']);
const reportCommon = {
  name: name(80),
  /** An approved template of the portal with as many parameters as `params`; null until chosen. */
  templateId: z.uuid().nullable().default(null),
  params: z.array(reportParam).max(10).default([]),
};
const crmId = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .regex(/^[\w:.-]+$/u, 'a CRM identifier, such as C2:WON');
export const reportInput = z.discriminatedUnion('kind', [
  /** Deals that reached stage `stageId` of pipeline `categoryId` (the seed's "approvals"). */
  z.strictObject({
    kind: z.literal('deal_stage'),
    categoryId: z.number().int().min(0).max(1_000_000).default(0),
    stageId: crmId,
    ...reportCommon,
  }),
  /** Deals whose field changed (the seed's "deadline changed"): a system field or a UF_CRM_ one. */
  z.strictObject({
    kind: z.literal('deal_field_changed'),
    field: z
      .string()
      .regex(/^(UF_CRM_[A-Z0-9_]{1,90}|[A-Z][A-Z_]{1,49})$/, 'a deal field name, such as CLOSEDATE'),
    ...reportCommon,
  }),
  /** New leads from a source (crm.status SOURCE). */
  z.strictObject({ kind: z.literal('new_lead'), sourceId: crmId, ...reportCommon }),
]);
export type ReportInput = z.infer<typeof reportInput>;

const clock = z.string().max(5);
export const groupReportInput = z.strictObject({
  enabled: z.boolean(),
  schedule: z.discriminatedUnion('preset', [
    z.strictObject({ preset: z.enum(['working', 'extended', 'full_time']) }),
    z.strictObject({
      preset: z.literal('custom'),
      /** The seed's "LU,MA,MI,JU,VI,SA"; en and pt codes are accepted too. */
      days: z.string().max(60),
      from: clock,
      to: clock,
      holidays: z.enum(['skip', 'allow']).default('skip'),
    }),
  ]),
});
export type GroupReportInput = z.infer<typeof groupReportInput>;
export const groupReportParams = idParam.extend({
  reportId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});
