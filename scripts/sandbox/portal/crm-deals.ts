/**
 * Deals read, listed and changed, and the CRM companies (not in reference/bitrix24.md: shapes as
 * Bitrix24's REST docs give them, b24restdocs crm/deals and crm/companies, and the list-method rules
 * shared by every `*.list`). What the scheduled notifications need: a deal reaching a stage or a
 * field changing fires ONCRMDEALUPDATE with only `{FIELDS: {ID}}` (the app reads the deal back), and
 * `crm.deal.list` filtered on DATE_MODIFY finds the changes whose event never came.
 */
import { deliverToBound } from './delivery.js';
import { RestError, type Ctx, type Res } from './model.js';
import type { PortalState } from './state.js';
import { defaultAdmin } from './users.js';
import { listOf, obj, str, toInt } from './util.js';

/** List methods answer 50 records a page, with `next` when there are more and `total`. */
const PAGE = 50;
/** Sandbox choice: the portal's clock is UTC, written as Bitrix24 writes dates (ISO 8601 with an offset). */
const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, '+00:00');

type Deal = PortalState['crm'][number];

function deals(s: PortalState): Deal[] {
  return s.crm.filter((r) => r.entity === 'deal');
}

/** A deal as crm.deal.get answers it: every value a string, dates with their offset. */
function dealRecord(s: PortalState, d: Deal): Record<string, unknown> {
  const f = d.fields;
  const times = s.crmTimes.get(`deal:${d.id}`) ?? { created: s.startedAt, modified: s.startedAt };
  const category = toInt(f['CATEGORY_ID']) ?? 0;
  const out: Record<string, unknown> = {
    ID: String(d.id),
    TITLE: str(f['TITLE']),
    CATEGORY_ID: String(category),
    STAGE_ID: str(f['STAGE_ID']) || (category === 0 ? 'NEW' : `C${category}:NEW`),
    COMPANY_ID: str(f['COMPANY_ID']) || '0',
    CONTACT_ID: str(listOf(f['CONTACT_IDS'])?.[0] ?? f['CONTACT_ID']) || null,
    ASSIGNED_BY_ID: str(f['ASSIGNED_BY_ID']) || '1',
    OPPORTUNITY: str(f['OPPORTUNITY']) || '0.00',
    CURRENCY_ID: str(f['CURRENCY_ID']) || 'USD',
    CLOSEDATE: str(f['CLOSEDATE']) || null,
    DATE_CREATE: iso(times.created),
    DATE_MODIFY: iso(times.modified),
  };
  for (const [k, v] of Object.entries(f)) if (k.startsWith('UF_CRM_')) out[k] = v;
  return out;
}

/** crm.deal.get: `id` → the deal; an id that is not one, or no such deal, as the page lists them. */
export function mDealGet(s: PortalState, c: Ctx): Res {
  const id = toInt(c.p['ID']);
  if (id === null || id <= 0) throw new RestError(400, '', 'ID is not defined or invalid.');
  const d = deals(s).find((r) => r.id === id);
  if (!d) throw new RestError(400, '', 'Not found');
  return { result: dealRecord(s, d) };
}

/** One `filter` key of a list method: an optional operator (`>=`, `>`, `<=`, `<`, `=`, `!`) and a field. */
function matcher(key: string, want: unknown): (rec: Record<string, unknown>) => boolean {
  const m = /^(>=|<=|>|<|=|!=|!)?(.+)$/.exec(key.toUpperCase());
  const op = m?.[1] ?? '=';
  const field = m?.[2] ?? key;
  const wanted = Array.isArray(want) ? want.map(str) : [str(want)];
  const isDate = field.startsWith('DATE_') || field === 'CLOSEDATE';
  const cmp = (a: string, b: string) =>
    isDate ? Date.parse(a) - Date.parse(b) : Number(a) - Number(b) || a.localeCompare(b);
  return (rec) => {
    const have = str(rec[field]);
    switch (op) {
      case '>':
        return cmp(have, wanted[0] ?? '') > 0;
      case '>=':
        return cmp(have, wanted[0] ?? '') >= 0;
      case '<':
        return cmp(have, wanted[0] ?? '') < 0;
      case '<=':
        return cmp(have, wanted[0] ?? '') <= 0;
      case '!':
      case '!=':
        return !wanted.includes(have);
      default:
        return wanted.includes(have);
    }
  };
}

/**
 * crm.deal.list: `filter` (operators as above, `=STAGE_ID` may be a list), `select` (`*`, `UF_*` or
 * field names; ID is always there), `order` (one field, ASC/DESC), `start` (a multiple of 50).
 */
export function mDealList(s: PortalState, c: Ctx): Res {
  const filter = obj(c.p['FILTER']);
  const tests = Object.entries(filter).map(([k, v]) => matcher(k, v));
  const [orderKey, orderDir] = Object.entries(obj(c.p['ORDER']))[0] ?? ['ID', 'ASC'];
  const desc = str(orderDir).toUpperCase() === 'DESC';
  const field = orderKey.toUpperCase();
  const rows = deals(s)
    .map((d) => dealRecord(s, d))
    .filter((r) => tests.every((t) => t(r)))
    .sort((a, b) => {
      const x = str(a[field]);
      const y = str(b[field]);
      const n = Number(x) - Number(y) || x.localeCompare(y);
      return desc ? -n : n;
    });
  const select = (listOf(c.p['SELECT']) ?? []).map((v) => str(v).toUpperCase());
  const pick = (r: Record<string, unknown>) => {
    if (select.length === 0 || select.includes('*')) {
      return Object.fromEntries(
        Object.entries(r).filter(([k]) => !k.startsWith('UF_') || select.includes('UF_*')),
      );
    }
    return Object.fromEntries(
      Object.entries(r).filter(
        ([k]) => k === 'ID' || select.includes(k) || (k.startsWith('UF_') && select.includes('UF_*')),
      ),
    );
  };
  const start = Math.max(0, toInt(c.p['START']) ?? 0);
  const page = rows.slice(start, start + PAGE).map(pick);
  return {
    result: page,
    ...(start + PAGE < rows.length ? { next: start + PAGE } : {}),
    total: rows.length,
  };
}

/**
 * crm.deal.update: `id`, `fields` → true. DATE_MODIFY moves; the bound ONCRMDEALUPDATE handlers hear
 * `{FIELDS: {ID}}` after the answer, as Bitrix24 queues its events.
 */
export function mDealUpdate(s: PortalState, c: Ctx): Res {
  const id = toInt(c.p['ID']);
  if (id === null || id <= 0) throw new RestError(400, '', 'ID is not defined or invalid.');
  const fields = c.p['FIELDS'];
  if (!fields || typeof fields !== 'object' || Array.isArray(fields)) {
    throw new RestError(400, '', "Parameter 'fields' must be array.");
  }
  if (!deals(s).some((r) => r.id === id)) throw new RestError(400, '', 'Not found');
  updateDeal(s, id, fields as Record<string, unknown>);
  return { result: true };
}

/** Changes a deal as a user would in the portal; `silent` drops the event (a delivery lost on the way). */
export function updateDeal(
  s: PortalState,
  id: number,
  fields: Record<string, unknown>,
  o: { silent?: boolean } = {},
): void {
  const d = deals(s).find((r) => r.id === id);
  if (!d) throw new Error(`sandbox portal: no deal ${id}`);
  for (const [k, v] of Object.entries(fields)) d.fields[k.toUpperCase()] = v;
  touchCrm(s, 'deal', id);
  if (o.silent || !(s.installed && s.finished)) return;
  const data = { FIELDS: { ID: String(id) } };
  setImmediate(() => void deliverToBound(s, 'ONCRMDEALUPDATE', data, defaultAdmin(s)).catch(() => undefined));
}

/** Records when a CRM record was created (first call) and last changed. */
export function touchCrm(s: PortalState, entity: 'lead' | 'deal', id: number): void {
  const key = `${entity}:${id}`;
  const now = new Date(Math.max(Date.now(), (s.crmTimes.get(key)?.modified.getTime() ?? 0) + 1000));
  s.crmTimes.set(key, { created: s.crmTimes.get(key)?.created ?? now, modified: now });
}

/** crm.company.list: the portal's companies, `filter` on ID/TITLE (`%TITLE` contains), 50 a page. */
export function mCompanyList(s: PortalState, c: Ctx): Res {
  const filter = obj(c.p['FILTER']);
  const contains = str(filter['%TITLE']).toLowerCase();
  const rows = s.companies
    .filter((co) => !contains || co.TITLE.toLowerCase().includes(contains))
    .filter((co) => filter['ID'] === undefined || str(filter['ID']) === String(co.ID))
    .map((co) => ({ ID: String(co.ID), TITLE: co.TITLE }));
  const start = Math.max(0, toInt(c.p['START']) ?? 0);
  return {
    result: rows.slice(start, start + PAGE),
    ...(start + PAGE < rows.length ? { next: start + PAGE } : {}),
    total: rows.length,
  };
}
