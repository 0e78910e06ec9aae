import { z } from 'zod';
import { INT_MAX } from '../../shared/validate.js';
import { CRM_ENTITIES } from './campaign-model.js';

/** The inputs of the list and opt-out routes (contract, "Campaigns API"). */
export const campaignIdParam = z.object({ id: z.coerce.number().int().positive().max(INT_MAX) });

export const uploadQuery = z.object({
  shape: z.enum(['auto', 'columns', 'dialer']).default('auto'),
  /** The file's name as the page read it, kept in the list's info. */
  fileName: z.string().max(200).optional(),
});

export const previewQuery = z.object({ limit: z.coerce.number().int().min(1).max(100).default(10) });

const crmId = z.coerce.number().int().positive().max(INT_MAX);
const crmCode = z
  .string()
  .trim()
  .min(1)
  .max(50)
  .regex(/^[A-Za-z0-9_:.-]+$/, 'a CRM code (letters, digits, _ : . -)');

export const crmListInput = z.object({
  entity: z.enum(CRM_ENTITIES),
  filter: z
    .object({
      categoryId: z.coerce.number().int().min(0).max(INT_MAX).optional(),
      stageId: crmCode.optional(),
      sourceId: crmCode.optional(),
      tag: crmCode.optional(),
      assignedById: crmId.optional(),
    })
    .strict()
    .default({}),
  /** The template's values for every row, in order; `{name}` is the record's name. */
  params: z.array(z.string().max(200)).max(10).default([]),
});
export type CrmListInput = z.infer<typeof crmListInput>;

export const optOutsQuery = z.object({
  search: z.string().max(40).default(''),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
});

export const optOutInput = z.object({
  phone: z.string().trim().min(1).max(40),
  /** The channel whose country a number written without its country code belongs to. */
  channelId: z.uuid().optional(),
});

export const optOutParam = z.object({ phone: z.string().min(1).max(40) });
