import { z } from 'zod';
import { INT_MAX } from '../../shared/validate.js';
import type { Bitrix24Client } from './bitrix24.client.js';

/**
 * The CRM records a campaign list is read from (b24restdocs crm/contacts/crm-contact-list.md,
 * crm/leads/crm-lead-list.md, crm/deals/crm-deal-list.md; the list rules shared by every `*.list`:
 * `filter`, `select`, `order`, `start`, 50 records a page). Multi-fields such as PHONE come only when
 * named in `select`. A deal has no phone of its own: its contact's (CONTACT_ID) are read with
 * crm.contact.list by id. Background work: it gives way to message delivery in the portal's budget.
 */

export type CrmListEntity = 'contact' | 'lead' | 'deal';

export interface CrmListFilter {
  categoryId?: number | undefined;
  stageId?: string | undefined;
  sourceId?: string | undefined;
  assignedById?: number | undefined;
}

export interface CrmListRecord {
  /** The record read (the deal's id for deals). */
  id: number;
  name: string;
  /** Its phones as written in the CRM, in order. */
  phones: string[];
}

/** Every list method answers at most 50 records; a full page means there may be more. */
export const CRM_PAGE = 50;

const id = z.coerce.number().int().positive().max(INT_MAX);
const text = z.string().nullish().catch(null);
const phone = z.object({ VALUE: z.string().nullish().catch(null) }).loose();
const person = z
  .object({
    ID: id,
    NAME: text,
    LAST_NAME: text,
    TITLE: text,
    PHONE: z.array(phone).nullish().catch(null),
  })
  .loose();
const deal = z
  .object({
    ID: id,
    TITLE: text,
    CONTACT_ID: z.coerce.number().int().min(0).max(INT_MAX).nullish().catch(null),
  })
  .loose();

function phonesOf(r: z.infer<typeof person>): string[] {
  return (r.PHONE ?? []).map((p) => (p.VALUE ?? '').trim()).filter(Boolean);
}

function nameOf(r: {
  NAME?: string | null | undefined;
  LAST_NAME?: string | null | undefined;
  TITLE?: string | null | undefined;
}): string {
  return [r.NAME, r.LAST_NAME].filter((v) => v && v.trim()).join(' ') || (r.TITLE ?? '');
}

/** The filter as the list method takes it; fields a record type does not have are left out. */
export function crmFilter(entity: CrmListEntity, f: CrmListFilter): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (entity === 'deal' && f.categoryId !== undefined) out.CATEGORY_ID = f.categoryId;
  if (f.stageId && entity === 'deal') out.STAGE_ID = f.stageId;
  if (f.stageId && entity === 'lead') out.STATUS_ID = f.stageId;
  if (f.sourceId) out.SOURCE_ID = f.sourceId;
  if (f.assignedById !== undefined) out.ASSIGNED_BY_ID = f.assignedById;
  return out;
}

export class Bitrix24CrmLists {
  constructor(private readonly client: Bitrix24Client) {}

  /** One page of records from `start`, with where the next page starts (null: the last one). */
  async page(
    portalId: number,
    entity: CrmListEntity,
    filter: CrmListFilter,
    start: number,
  ): Promise<{ records: CrmListRecord[]; next: number | null }> {
    const common = { filter: crmFilter(entity, filter), order: { ID: 'ASC' }, start };
    if (entity === 'deal') {
      const deals = z
        .array(deal)
        .parse(
          await this.client.call(
            portalId,
            'crm.deal.list',
            { ...common, select: ['ID', 'TITLE', 'CONTACT_ID'] },
            { background: true },
          ),
        );
      const contacts = await this.#contacts(
        portalId,
        deals.map((d) => d.CONTACT_ID ?? 0).filter((c) => c > 0),
      );
      return {
        records: deals.map((d) => {
          const c = d.CONTACT_ID ? contacts.get(d.CONTACT_ID) : undefined;
          return { id: d.ID, name: c ? nameOf(c) : (d.TITLE ?? ''), phones: c ? phonesOf(c) : [] };
        }),
        next: deals.length === CRM_PAGE ? start + CRM_PAGE : null,
      };
    }
    const method = entity === 'lead' ? 'crm.lead.list' : 'crm.contact.list';
    const rows = z
      .array(person)
      .parse(
        await this.client.call(
          portalId,
          method,
          { ...common, select: ['ID', 'NAME', 'LAST_NAME', 'TITLE', 'PHONE'] },
          { background: true },
        ),
      );
    return {
      records: rows.map((r) => ({ id: r.ID, name: nameOf(r), phones: phonesOf(r) })),
      next: rows.length === CRM_PAGE ? start + CRM_PAGE : null,
    };
  }

  /** A page of deals' contacts (at most 50 ids: one page) by id. */
  async #contacts(portalId: number, ids: number[]): Promise<Map<number, z.infer<typeof person>>> {
    if (ids.length === 0) return new Map();
    const rows = z
      .array(person)
      .parse(
        await this.client.call(
          portalId,
          'crm.contact.list',
          { filter: { ID: [...new Set(ids)] }, select: ['ID', 'NAME', 'LAST_NAME', 'PHONE'], start: 0 },
          { background: true },
        ),
      );
    return new Map(rows.map((r) => [r.ID, r]));
  }
}
