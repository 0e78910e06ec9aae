/**
 * Deals and leads read, listed and changed, and the CRM companies (not in reference/bitrix24.md:
 * shapes as Bitrix24's REST docs give them, b24restdocs crm/deals, crm/leads and crm/companies, and
 * the list-method rules shared by every `*.list`). What the scheduled notifications need: a deal
 * added, a deal reaching a stage or a field changing, a lead added fire ONCRMDEALADD /
 * ONCRMDEALUPDATE / ONCRMLEADADD with only `{FIELDS: {ID}}` (the app reads the record back), and
 * `crm.deal.list` / `crm.lead.list` filtered on DATE_MODIFY find the changes whose event never came.
 * A deal's MOVED_TIME (crm.deal.fields) is when it last entered its stage.
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

function leads(s: PortalState): Deal[] {
  return s.crm.filter((r) => r.entity === 'lead');
}

function timesOf(s: PortalState, entity: 'deal' | 'lead', id: number) {
  return s.crmTimes.get(`${entity}:${id}`) ?? { created: s.startedAt, modified: s.startedAt };
}

/** A deal as crm.deal.get answers it: every value a string, dates with their offset. */
function dealRecord(s: PortalState, d: Deal): Record<string, unknown> {
  const f = d.fields;
  const times = timesOf(s, 'deal', d.id);
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
    MOVED_TIME: iso(times.moved ?? times.created),
  };
  for (const [k, v] of Object.entries(f)) if (k.startsWith('UF_CRM_')) out[k] = v;
  return out;
}

/**
 * A lead as crm.lead.get / crm.lead.list give it (b24restdocs crm/leads/crm-lead-get.md): strings,
 * `SOURCE_ID` one of crm.status SOURCE (CALL, WEB, …), `COMPANY_ID` null when none.
 */
export function leadRecord(s: PortalState, l: Deal): Record<string, unknown> {
  const f = l.fields;
  const times = timesOf(s, 'lead', l.id);
  const out: Record<string, unknown> = {
    ID: String(l.id),
    TITLE: str(f['TITLE']),
    NAME: str(f['NAME']),
    STATUS_ID: str(f['STATUS_ID']) || 'NEW',
    SOURCE_ID: str(f['SOURCE_ID']) || null,
    COMPANY_ID: str(f['COMPANY_ID']) || null,
    ASSIGNED_BY_ID: str(f['ASSIGNED_BY_ID']) || '1',
    DATE_CREATE: iso(times.created),
    DATE_MODIFY: iso(times.modified),
    ...multiPhone(f),
  };
  for (const [k, v] of Object.entries(f)) if (k.startsWith('UF_CRM_')) out[k] = v;
  return out;
}

/**
 * A record's PHONE multi-field as the read methods give it (`crm_multifield`: ID, VALUE_TYPE, VALUE,
 * TYPE_ID); absent when the record has none.
 */
export function multiPhone(f: Record<string, unknown>): Record<string, unknown> {
  const phones = (listOf(f['PHONE']) ?? []).map((p, i) => ({
    ID: String(500 + i),
    VALUE_TYPE: str(obj(p)['VALUE_TYPE']) || 'WORK',
    VALUE: str(obj(p)['VALUE']),
    TYPE_ID: 'PHONE',
  }));
  return phones.length ? { PHONE: phones } : {};
}

/** A contact as crm.contact.list gives it (b24restdocs crm/contacts/crm-contact-list.md). */
function contactRecord(c: { id: number; fields: Record<string, unknown> }): Record<string, unknown> {
  const f = c.fields;
  return {
    ID: String(c.id),
    NAME: str(f['NAME']),
    LAST_NAME: str(f['LAST_NAME']) || null,
    SOURCE_ID: str(f['SOURCE_ID']) || null,
    TYPE_ID: str(f['TYPE_ID']) || 'CLIENT',
    ASSIGNED_BY_ID: str(f['ASSIGNED_BY_ID']) || '1',
    HAS_PHONE: multiPhone(f)['PHONE'] ? 'Y' : 'N',
    ...multiPhone(f),
  };
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
  return listRecords(
    deals(s).map((d) => dealRecord(s, d)),
    c,
  );
}

/** crm.contact.list: as crm.deal.list (b24restdocs crm/contacts/crm-contact-list.md); `ID` may be a list. */
export function mContactList(s: PortalState, c: Ctx): Res {
  return listRecords(s.contacts.map(contactRecord), c);
}

/** crm.lead.list: as crm.deal.list (b24restdocs crm/leads/crm-lead-list.md). */
export function mLeadList(s: PortalState, c: Ctx): Res {
  return listRecords(
    leads(s).map((l) => leadRecord(s, l)),
    c,
  );
}

function listRecords(records: Array<Record<string, unknown>>, c: Ctx): Res {
  const filter = obj(c.p['FILTER']);
  const tests = Object.entries(filter).map(([k, v]) => matcher(k, v));
  const [orderKey, orderDir] = Object.entries(obj(c.p['ORDER']))[0] ?? ['ID', 'ASC'];
  const desc = str(orderDir).toUpperCase() === 'DESC';
  const field = orderKey.toUpperCase();
  const rows = records
    .filter((r) => tests.every((t) => t(r)))
    .sort((a, b) => {
      const x = str(a[field]);
      const y = str(b[field]);
      const n = Number(x) - Number(y) || x.localeCompare(y);
      return desc ? -n : n;
    });
  const select = (listOf(c.p['SELECT']) ?? []).map((v) => str(v).toUpperCase());
  // Multi-fields (PHONE, EMAIL…) only come when named in `select`; `*` leaves them out.
  const multi = (k: string) => k === 'PHONE' && !select.includes('PHONE');
  const pick = (r: Record<string, unknown>) => {
    if (select.length === 0 || select.includes('*')) {
      return Object.fromEntries(
        Object.entries(r).filter(([k]) => !multi(k) && (!k.startsWith('UF_') || select.includes('UF_*'))),
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
  const stage = str(dealRecord(s, d)['STAGE_ID']);
  for (const [k, v] of Object.entries(fields)) d.fields[k.toUpperCase()] = v;
  touchCrm(s, 'deal', id, str(dealRecord(s, d)['STAGE_ID']) !== stage);
  if (!o.silent) announce(s, 'ONCRMDEALUPDATE', id);
}

/**
 * The record's event to the bound handlers, after the answer (Bitrix24 queues its events), with only
 * `{FIELDS: {ID}}`; nothing before the app's installation is finished.
 */
export function announce(s: PortalState, event: string, id: number): void {
  if (!(s.installed && s.finished)) return;
  const data = { FIELDS: { ID: String(id) } };
  setImmediate(() => void deliverToBound(s, event, data, defaultAdmin(s)).catch(() => undefined));
}

/**
 * Records when a CRM record was created (first call), last changed and, when `moved`, entered its
 * stage. The portal writes whole seconds: each change is at least a second after the last one, so
 * every state has its own DATE_MODIFY.
 */
export function touchCrm(s: PortalState, entity: 'lead' | 'deal', id: number, moved = false): void {
  const key = `${entity}:${id}`;
  const was = s.crmTimes.get(key);
  const now = new Date(Math.max(Date.now(), (was?.modified.getTime() ?? 0) + 1000));
  s.crmTimes.set(key, {
    created: was?.created ?? now,
    modified: now,
    ...(moved ? { moved: now } : was?.moved ? { moved: was.moved } : {}),
  });
}

/** A deal or lead entered in the portal by a user; `silent` loses its ADD event on the way. */
export function addRecord(
  s: PortalState,
  entity: 'lead' | 'deal',
  fields: Record<string, unknown>,
  o: { silent?: boolean } = {},
): number {
  const upper = Object.fromEntries(Object.entries(fields).map(([k, v]) => [k.toUpperCase(), v]));
  const id = (s.crm.filter((r) => r.entity === entity).at(-1)?.id ?? (entity === 'lead' ? 300 : 900)) + 1;
  s.crm.push({ entity, id, fields: upper });
  touchCrm(s, entity, id);
  if (!o.silent) announce(s, entity === 'deal' ? 'ONCRMDEALADD' : 'ONCRMLEADADD', id);
  return id;
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
