/**
 * CRM methods (not in reference/bitrix24.md: shapes and errors as Bitrix24's REST docs give them):
 * deal pipelines and reference lists, contacts, leads and deals added, contacts found by phone and
 * read back.
 */
import { addRecord, leadRecord, multiPhone, touchCrm } from './crm-deals.js';
import { RestError, type Ctx, type Res } from './model.js';
import type { PortalState } from './state.js';
import { isObj, listOf, obj, str, toInt } from './util.js';

/** Sandbox choice: two deal pipelines and Bitrix24's default lead statuses. */
const SANDBOX_PIPELINES: Array<{ id: number; name: string; stages: Array<[string, string]> }> = [
  {
    id: 0,
    name: 'General',
    stages: [
      ['NEW', 'Nuevo'],
      ['PREPARATION', 'Preparación'],
      ['WON', 'Ganado'],
    ],
  },
  {
    id: 1,
    name: 'WhatsApp',
    stages: [
      ['NEW', 'Primer contacto'],
      ['EXECUTING', 'En curso'],
      ['WON', 'Venta'],
    ],
  },
];
const SANDBOX_LEAD_STATUSES: Array<[string, string]> = [
  ['NEW', 'Sin procesar'],
  ['IN_PROCESS', 'En proceso'],
  ['CONVERTED', 'Convertido'],
];

/** Deal pipelines: crm.category.list (entityTypeId 2 = deal) → `{ categories: [...] }`. */
export function mCategoryList(c: Ctx): Res {
  const type = toInt(c.p['ENTITYTYPEID']);
  if (type === null) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'entityTypeId' is null or empty");
  if (type !== 2) return { result: { categories: [] }, total: 0 };
  const categories = SANDBOX_PIPELINES.map((p) => ({
    id: p.id,
    name: p.name,
    sort: (p.id + 1) * 100,
    entityTypeId: 2,
    isDefault: p.id === 0 ? 'Y' : 'N',
  }));
  return { result: { categories }, total: categories.length };
}

/** Every row crm.status.list knows: lead statuses (`STATUS`), then each pipeline's deal stages. */
function statusRows(): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown>> = [];
  let id = 1;
  for (const [sid, name] of SANDBOX_LEAD_STATUSES) {
    rows.push({
      ID: String(id++),
      ENTITY_ID: 'STATUS',
      STATUS_ID: sid,
      NAME: name,
      SORT: String(id * 10),
      SYSTEM: 'N',
    });
  }
  for (const p of SANDBOX_PIPELINES) {
    const entity = p.id === 0 ? 'DEAL_STAGE' : `DEAL_STAGE_${p.id}`;
    for (const [sid, name] of p.stages) {
      const statusId = p.id === 0 ? sid : `C${p.id}:${sid}`;
      rows.push({
        ID: String(id++),
        ENTITY_ID: entity,
        STATUS_ID: statusId,
        NAME: name,
        SORT: String(id * 10),
        SYSTEM: 'N',
        CATEGORY_ID: String(p.id),
      });
    }
  }
  return rows;
}

/** crm.status.list: reference lists (lead statuses `STATUS`, deal stages `DEAL_STAGE[_n]`), `filter`/`order`. */
export function mStatusList(c: Ctx): Res {
  const filter = obj(c.p['FILTER']);
  const out = statusRows().filter((r) =>
    Object.entries(filter).every(([k, v]) => {
      const m = /^(!)?(.*)$/.exec(k.toUpperCase());
      const match = str(r[m?.[2] ?? k]).toLowerCase() === str(v).toLowerCase();
      return m?.[1] ? !match : match;
    }),
  );
  return { result: out };
}

/** A record's `fields` with upper-case keys; a responsible who is not a user of the portal is refused. */
function recordFields(s: PortalState, fields: Record<string, unknown>): Record<string, unknown> {
  const upper: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) upper[k.toUpperCase()] = v;
  const assigned = toInt(upper['ASSIGNED_BY_ID']);
  if (assigned !== null && !s.users.some((u) => u.ID === assigned)) {
    throw new RestError(400, 'ERROR_CORE', 'Responsible user not found');
  }
  return upper;
}

/**
 * crm.lead.add / crm.deal.add: `fields` → the new id. The contact links are kept as given: a lead's
 * `CONTACT_ID` / `CONTACT_IDS`, a deal's `CONTACT_IDS` (and its deprecated `CONTACT_ID`).
 */
export function mCrmAdd(s: PortalState, c: Ctx, entity: 'lead' | 'deal'): Res {
  const fields = obj(c.p['FIELDS']);
  if (Object.keys(fields).length === 0) {
    throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'fields' is null or empty");
  }
  // ONCRMLEADADD / ONCRMDEALADD follow the answer, with only the new id.
  return { result: addRecord(s, entity, recordFields(s, fields)) };
}

export function crmRecords(
  s: PortalState,
): Array<{ entity: 'lead' | 'deal'; id: number; fields: Record<string, unknown> }> {
  return s.crm.map((r) => ({ ...r, fields: { ...r.fields } }));
}

/** Stores a contact; its id (contact ids start at 41 in the sandbox). */
export function storeContact(s: PortalState, fields: Record<string, unknown>): number {
  const id = (s.contacts.at(-1)?.id ?? 40) + 1;
  s.contacts.push({ id, fields });
  return id;
}

export function addCrmContact(
  s: PortalState,
  o: { name: string; phone: string; assignedById: number; fields?: Record<string, unknown> },
): number {
  return storeContact(s, {
    ...o.fields,
    NAME: o.name,
    ASSIGNED_BY_ID: o.assignedById,
    PHONE: [{ VALUE: o.phone, VALUE_TYPE: 'WORK' }],
  });
}

export function crmContacts(s: PortalState): Array<{ id: number; fields: Record<string, unknown> }> {
  return s.contacts.map((r) => ({ ...r, fields: { ...r.fields } }));
}

/**
 * crm.contact.add (b24restdocs crm/contacts/crm-contact-add.md): `fields` (NAME, LAST_NAME, PHONE as
 * `crm_multifield[]` `[{VALUE, VALUE_TYPE}]`, ASSIGNED_BY_ID, …; unknown fields ignored) → the new
 * contact's id, an integer. `fields` that is not an object is the page's `Parameter 'fields' must be
 * array.` with an empty `error`. The responsible defaults to the calling user.
 */
export function mContactAdd(s: PortalState, c: Ctx): Res {
  const fields = c.p['FIELDS'];
  if (!isObj(fields)) throw new RestError(400, '', "Parameter 'fields' must be array.");
  const upper = recordFields(s, fields);
  if (toInt(upper['ASSIGNED_BY_ID']) === null) upper['ASSIGNED_BY_ID'] = c.user.ID;
  return { result: storeContact(s, upper) };
}

/** A record's phones (crm_multifield[] `PHONE`), digits only: the search ignores formatting. */
function phonesOf(fields: Record<string, unknown>): string[] {
  return (listOf(fields['PHONE']) ?? []).map((f) => str(obj(f)['VALUE']).replace(/\D/g, '')).filter(Boolean);
}

/**
 * crm.duplicate.findbycomm (b24restdocs crm/duplicates/crm-duplicate-find-by-comm.md): `type`
 * PHONE|EMAIL, `values` (≤ 20), optional `entity_type` LEAD|CONTACT|COMPANY. Answers
 * `{ LEAD?: number[], CONTACT?: number[], COMPANY?: number[] }` with only the types found; nothing
 * found is PHP's empty array, `[]`. Errors as the page lists them (the text is the `error`).
 */
export function mFindByComm(s: PortalState, c: Ctx): Res {
  const type = str(c.p['TYPE']).toUpperCase();
  if (!type) throw new RestError(400, 'Communication type is not defined', "Parameter 'type' is required.");
  if (type !== 'PHONE' && type !== 'EMAIL') {
    throw new RestError(400, `Communication type '${type}' is not supported in current context`, '');
  }
  const values = (listOf(c.p['VALUES']) ?? []).map(str).filter((v) => v.trim() !== '');
  if (values.length === 0) {
    throw new RestError(400, 'Communication values is not defined', "Parameter 'values' is required.");
  }
  if (values.length > 20) throw new RestError(400, 'ERROR_ARGUMENT', 'Maximum number of values is 20');
  const only = str(c.p['ENTITY_TYPE']).toUpperCase();
  const found: Record<string, number[]> = {};
  if (type === 'PHONE') {
    const wanted = new Set(values.map((v) => v.replace(/\D/g, '')));
    const hit = (f: Record<string, unknown>) => phonesOf(f).some((p) => wanted.has(p));
    const leads = s.crm.filter((r) => r.entity === 'lead' && hit(r.fields)).map((r) => r.id);
    const contacts = s.contacts.filter((r) => hit(r.fields)).map((r) => r.id);
    if (leads.length && (!only || only === 'LEAD')) found['LEAD'] = leads;
    if (contacts.length && (!only || only === 'CONTACT')) found['CONTACT'] = contacts;
  }
  return { result: Object.keys(found).length ? found : [] };
}

/** crm.contact.get / crm.lead.get (b24restdocs crm/contacts/crm-contact-get.md): `id` → the record, ids as strings. */
export function mCrmGet(s: PortalState, c: Ctx, entity: 'contact' | 'lead'): Res {
  const id = toInt(c.p['ID']);
  if (id === null || id <= 0) throw new RestError(400, '', 'ID is not defined or invalid.');
  const rec =
    entity === 'contact'
      ? s.contacts.find((r) => r.id === id)
      : s.crm.find((r) => r.entity === 'lead' && r.id === id);
  if (!rec) throw new RestError(400, '', 'Not found');
  const f = rec.fields;
  const phone = multiPhone(f); // multifields only when set (the page's note)
  const out: Record<string, unknown> = {
    ID: String(id),
    NAME: str(f['NAME']),
    ...(entity === 'lead' ? leadRecord(s, { entity: 'lead', id, fields: f }) : {}),
    ASSIGNED_BY_ID: str(f['ASSIGNED_BY_ID']) || '1',
    HAS_PHONE: phone['PHONE'] ? 'Y' : 'N',
    ...phone,
  };
  // Custom fields (UF_CRM_…) come with the record, as strings (a checkbox is '1' or '0').
  for (const [k, v] of Object.entries(f)) {
    if (k.startsWith('UF_')) out[k] = v === true ? '1' : v === false ? '0' : v;
  }
  return { result: out };
}

/** A deal entered by hand, linked to contacts; its id. */
export function addCrmDeal(s: PortalState, o: { title: string; contactIds: number[] }): number {
  const id = (s.crm.filter((r) => r.entity === 'deal').at(-1)?.id ?? 900) + 1;
  s.crm.push({ entity: 'deal', id, fields: { TITLE: o.title, CONTACT_IDS: o.contactIds } });
  touchCrm(s, 'deal', id);
  return id;
}

/**
 * crm.deal.contact.items.get (b24restdocs crm/deals/contacts/crm-deal-contact-items-get.md): `id` →
 * `[{CONTACT_ID, SORT, ROLE_ID, IS_PRIMARY}]`, the first contact primary; errors with an empty `error`
 * as the page lists them.
 */
export function mDealContactItems(s: PortalState, c: Ctx): Res {
  const id = toInt(c.p['ID']);
  if (id === null || id < 1) {
    throw new RestError(400, '', 'The parameter ownerEntityID is invalid or not defined.');
  }
  const deal = s.crm.find((r) => r.entity === 'deal' && r.id === id);
  if (!deal) throw new RestError(400, '', 'Not found.');
  const ids = (listOf(deal.fields['CONTACT_IDS']) ?? [deal.fields['CONTACT_ID']])
    .map((v) => toInt(v))
    .filter((v): v is number => v !== null && v > 0);
  return {
    result: ids.map((contactId, i) => ({
      CONTACT_ID: contactId,
      SORT: (i + 1) * 10,
      ROLE_ID: 0,
      IS_PRIMARY: i === 0 ? 'Y' : 'N',
    })),
  };
}
