import { z } from 'zod';
import { ProviderError } from '../../shared/errors.js';
import type { CrmDeal, CrmLead, CrmPage, CrmRecords } from '../../modules/notifications/ports.js';
import type { Bitrix24Client } from './bitrix24.client.js';

/**
 * Deals and leads read back for the scheduled notifications (b24restdocs crm/deals/crm-deal-get.md,
 * crm-deal-list.md, crm/leads/crm-lead-get.md, crm-lead-list.md, crm-deal-fields.md): every value
 * arrives as a string, dates as ISO 8601 with the portal's offset, `COMPANY_ID` '0' or null when none.
 * Lists answer 50 records a page (`start` a multiple of 50), filtered with `>=DATE_MODIFY` and ordered
 * by it, then by ID (a stable order within one second). Background work: it gives way to message
 * delivery in the portal's REST budget.
 */

const BACKGROUND = { background: true } as const;
/** Bitrix24's list pages are 50 records long. */
export const CRM_PAGE = 50;
const DEAL_SELECT = [
  'ID',
  'TITLE',
  'COMPANY_ID',
  'CATEGORY_ID',
  'STAGE_ID',
  'MOVED_TIME',
  'DATE_CREATE',
  'DATE_MODIFY',
];
const LEAD_SELECT = ['ID', 'TITLE', 'COMPANY_ID', 'SOURCE_ID', 'DATE_CREATE', 'DATE_MODIFY'];

const text = z.union([z.string(), z.number()]).transform(String).nullish();
const date = z.string().refine((v) => !Number.isNaN(Date.parse(v)), 'a date');
const recordId = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const companyOf = (v: string | null | undefined): number | null => {
  const n = Number(v ?? 0);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
};

const dealShape = z
  .object({
    ID: recordId,
    TITLE: text,
    COMPANY_ID: text,
    CATEGORY_ID: z.coerce.number().int().nonnegative().nullish(),
    STAGE_ID: text,
    MOVED_TIME: date.nullish().catch(null),
    DATE_CREATE: date,
    DATE_MODIFY: date,
  })
  .loose();
const leadShape = z
  .object({
    ID: recordId,
    TITLE: text,
    COMPANY_ID: text,
    SOURCE_ID: text,
    DATE_CREATE: date,
    DATE_MODIFY: date,
  })
  .loose();

/** A field's value as text: lists and objects (multiple fields, money) as JSON, nothing as ''. */
function fieldText(v: unknown): string {
  if (v === null || v === undefined || v === false) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

function toDeal(raw: unknown, fields: string[]): CrmDeal | undefined {
  const d = dealShape.safeParse(raw);
  if (!d.success) return undefined;
  const all = d.data as Record<string, unknown>;
  return {
    id: d.data.ID,
    title: d.data.TITLE ?? '',
    companyId: companyOf(d.data.COMPANY_ID),
    categoryId: d.data.CATEGORY_ID ?? 0,
    stageId: d.data.STAGE_ID ?? '',
    movedAt: d.data.MOVED_TIME ?? null,
    createdAt: d.data.DATE_CREATE,
    modifiedAt: d.data.DATE_MODIFY,
    fields: Object.fromEntries(fields.map((f) => [f, fieldText(all[f])])),
  };
}

function toLead(raw: unknown): CrmLead | undefined {
  const l = leadShape.safeParse(raw);
  if (!l.success) return undefined;
  return {
    id: l.data.ID,
    title: l.data.TITLE ?? '',
    companyId: companyOf(l.data.COMPANY_ID),
    sourceId: l.data.SOURCE_ID ?? '',
    createdAt: l.data.DATE_CREATE,
    modifiedAt: l.data.DATE_MODIFY,
  };
}

/** `Not found` (deleted, or another portal's id) and `ACCESS_DENIED`: nothing to read, for good. */
function unreadable(err: unknown): boolean {
  return (
    err instanceof ProviderError &&
    !err.retryable &&
    (/not found/i.test(err.message) || err.providerCode === 'ACCESS_DENIED')
  );
}

export class Bitrix24CrmRecords implements CrmRecords {
  constructor(private readonly client: Bitrix24Client) {}

  async deal(portalId: number, id: number, fields: string[]): Promise<CrmDeal | null> {
    try {
      const raw = await this.client.call<unknown>(portalId, 'crm.deal.get', { id }, BACKGROUND);
      return toDeal(raw, fields) ?? null;
    } catch (err) {
      if (unreadable(err)) return null;
      throw err;
    }
  }

  async lead(portalId: number, id: number): Promise<CrmLead | null> {
    try {
      const raw = await this.client.call<unknown>(portalId, 'crm.lead.get', { id }, BACKGROUND);
      return toLead(raw) ?? null;
    } catch (err) {
      if (unreadable(err)) return null;
      throw err;
    }
  }

  async deals(portalId: number, since: string, start: number, fields: string[]): Promise<CrmPage<CrmDeal>> {
    const rows = await this.#list(portalId, 'crm.deal.list', since, start, [...DEAL_SELECT, ...fields]);
    return { items: rows.flatMap((r) => toDeal(r, fields) ?? []), full: rows.length >= CRM_PAGE };
  }

  async leads(portalId: number, since: string, start: number): Promise<CrmPage<CrmLead>> {
    const rows = await this.#list(portalId, 'crm.lead.list', since, start, LEAD_SELECT);
    return { items: rows.flatMap((r) => toLead(r) ?? []), full: rows.length >= CRM_PAGE };
  }

  async #list(
    portalId: number,
    method: 'crm.deal.list' | 'crm.lead.list',
    since: string,
    start: number,
    select: string[],
  ): Promise<unknown[]> {
    const rows = await this.client.call<unknown>(
      portalId,
      method,
      { filter: { '>=DATE_MODIFY': since }, order: { DATE_MODIFY: 'ASC', ID: 'ASC' }, select, start },
      BACKGROUND,
    );
    return Array.isArray(rows) ? (rows as unknown[]) : [];
  }
}
