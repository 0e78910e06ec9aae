/**
 * Users (§6.1: profile, user.current, user.get / user.search with FILTER prefixes, pages of 50) and
 * the company structure (department.get, not in the reference: shapes as Bitrix24's REST docs give
 * them).
 */
import type { Ctx, PortalUser, Res } from './model.js';
import type { PortalState } from './state.js';
import { isObj, likeToRegExp, listOf, str, toInt } from './util.js';

export const PAGE = 50; // user.get page size (§6.1)

export function userById(s: PortalState, id: number): PortalUser {
  const u = s.users.find((x) => x.ID === id);
  if (!u) throw new Error(`sandbox portal: no user ${id}`);
  return u;
}

export function defaultAdmin(s: PortalState): PortalUser {
  const u = s.users.find((x) => x.ADMIN) ?? s.users[0];
  if (!u) throw new Error('sandbox portal: no users configured');
  return u;
}

export function defaultOperator(s: PortalState): PortalUser {
  const u = s.users.find((x) => !x.ADMIN) ?? s.users[0];
  if (!u) throw new Error('sandbox portal: no users configured');
  return u;
}

export function userRecord(u: PortalUser): Record<string, unknown> {
  return {
    ID: String(u.ID),
    ACTIVE: true,
    NAME: u.NAME,
    LAST_NAME: u.LAST_NAME,
    SECOND_NAME: '',
    EMAIL: u.EMAIL ?? '',
    TIME_ZONE: '',
    IS_ONLINE: 'N',
    PERSONAL_GENDER: '',
    WORK_POSITION: u.WORK_POSITION ?? '',
    UF_DEPARTMENT: u.UF_DEPARTMENT ?? [1],
    USER_TYPE: 'employee',
  };
}

export function mProfile(c: Ctx): Res {
  return {
    result: {
      ID: String(c.user.ID),
      ADMIN: c.user.ADMIN,
      NAME: c.user.NAME,
      LAST_NAME: c.user.LAST_NAME,
      PERSONAL_GENDER: '',
      TIME_ZONE: '',
    },
  };
}

const USER_GET_RESERVED = new Set([
  'auth',
  'SORT',
  'ORDER',
  'FILTER',
  'ADMIN_MODE',
  'SELECT',
  'IMAGE_RESIZE',
  'START',
  'FIND',
]);

export function mUserGet(s: PortalState, c: Ctx, search: boolean): Res {
  let filter: Record<string, unknown> = {};
  if (isObj(c.p['FILTER'])) filter = { ...c.p['FILTER'] };
  else for (const [k, v] of Object.entries(c.p)) if (!USER_GET_RESERVED.has(k)) filter[k] = v;
  if (search && c.p['FIND'] !== undefined) filter = { NAME_SEARCH: c.p['FIND'] };
  const rows = s.users.map((u) => ({ u, rec: userRecord(u) }));
  const matches = rows.filter(({ rec }) =>
    Object.entries(filter).every(([k, v]) => userFilterMatch(rec, k, v)),
  );
  const sortField = str(c.p['SORT']).toUpperCase() || 'ID';
  const desc = str(c.p['ORDER']).toUpperCase() === 'DESC';
  matches.sort((a, b) => {
    const av = a.rec[sortField];
    const bv = b.rec[sortField];
    const cmp = sortField === 'ID' ? a.u.ID - b.u.ID : str(av).localeCompare(str(bv));
    return desc ? -cmp : cmp;
  });
  const startRaw = toInt(c.p['START']) ?? 0;
  const start = Math.max(0, startRaw);
  const page = matches.slice(start, start + PAGE).map((x) => x.rec);
  const res: Res = { result: page };
  if (startRaw !== -1) {
    res.total = matches.length;
    if (start + PAGE < matches.length) res.next = start + PAGE;
  }
  return res;
}

/** One user.get FILTER entry (§6.1 prefixes). */
function userFilterMatch(rec: Record<string, unknown>, rawKey: string, value: unknown): boolean {
  const key = rawKey.toUpperCase();
  if (key === 'NAME_SEARCH' || key === 'FIND') return nameSearchMatch(rec, value);
  const m = /^(>=|<=|!=%|!%=|=%|%=|!%|!@|@|>|<|%|=|!=|!)?(.*)$/.exec(key);
  const op = m?.[1] ?? '';
  const field = m?.[2] ?? key;
  if (field === 'ACTIVE') {
    const want = !['N', 'FALSE', '0', ''].includes(str(value).toUpperCase());
    return op.startsWith('!') ? !want : want; // every sandbox user is active
  }
  if (field === 'IS_ONLINE') return (str(value).toUpperCase() === 'N') !== op.startsWith('!');
  const actualRaw = rec[field];
  const actuals = (Array.isArray(actualRaw) ? actualRaw : [actualRaw]).map((x) => str(x).toLowerCase());
  const wants = (listOf(value) ?? [value]).map((x) => str(x).toLowerCase());
  const anyOf = (pred: (a: string, w: string) => boolean) =>
    actuals.some((a) => wants.some((w) => pred(a, w)));
  return opMatch(op, anyOf);
}

/** NAME_SEARCH / FIND: every word of the value in the user's names, e-mail or position. */
function nameSearchMatch(rec: Record<string, unknown>, value: unknown): boolean {
  const hay = [rec['NAME'], rec['LAST_NAME'], rec['SECOND_NAME'], rec['EMAIL'], rec['WORK_POSITION']]
    .map(str)
    .join(' ')
    .toLowerCase();
  return str(value)
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((w) => hay.includes(w));
}

/** A FILTER prefix applied through `anyOf` (some actual value against some wanted value). */
function opMatch(op: string, anyOf: (pred: (a: string, w: string) => boolean) => boolean): boolean {
  const num = (s: string) => Number(s);
  switch (op) {
    case '>=':
      return anyOf((a, w) => num(a) >= num(w));
    case '<=':
      return anyOf((a, w) => num(a) <= num(w));
    case '>':
      return anyOf((a, w) => num(a) > num(w));
    case '<':
      return anyOf((a, w) => num(a) < num(w));
    case '%':
      return anyOf((a, w) => a.includes(w));
    case '!%':
      return !anyOf((a, w) => a.includes(w));
    case '=%':
    case '%=':
      return anyOf((a, w) => likeToRegExp(w).test(a));
    case '!=%':
    case '!%=':
      return !anyOf((a, w) => likeToRegExp(w).test(a));
    case '!@':
    case '!=':
    case '!':
      return !anyOf((a, w) => (w.includes('%') ? likeToRegExp(w).test(a) : a === w));
    default: // '', '=', '@'
      return anyOf((a, w) => (w.includes('%') ? likeToRegExp(w).test(a) : a === w));
  }
}

/** department.get: filter by ID/NAME/PARENT/UF_HEAD, `sort`/`order`, pages of 50 with `start`. */
export function mDepartmentGet(s: PortalState, c: Ctx): Res {
  const filters: Array<[string, unknown]> = ['ID', 'NAME', 'PARENT', 'UF_HEAD']
    .filter((k) => c.p[k] !== undefined && c.p[k] !== '')
    .map((k) => [k, c.p[k]]);
  const rows = s.departments
    .map((d) => ({
      ID: String(d.ID),
      NAME: d.NAME,
      SORT: 500,
      ...(d.PARENT ? { PARENT: String(d.PARENT) } : {}),
      UF_HEAD: d.UF_HEAD ? String(d.UF_HEAD) : '',
    }))
    .filter((r) =>
      filters.every(([k, v]) => {
        const actual = str((r as Record<string, unknown>)[k]).toLowerCase();
        return k === 'NAME' ? actual.includes(str(v).toLowerCase()) : actual === str(v).toLowerCase();
      }),
    );
  const sortField = str(c.p['SORT']).toUpperCase() || 'ID';
  const desc = str(c.p['ORDER']).toUpperCase() === 'DESC';
  rows.sort((a, b) => {
    const av = (a as Record<string, unknown>)[sortField];
    const bv = (b as Record<string, unknown>)[sortField];
    const cmp = sortField === 'ID' ? Number(av) - Number(bv) : str(av).localeCompare(str(bv));
    return desc ? -cmp : cmp;
  });
  const start = Math.max(0, toInt(c.p['START']) ?? 0);
  const res: Res = { result: rows.slice(start, start + PAGE), total: rows.length };
  if (start + PAGE < rows.length) res.next = start + PAGE;
  return res;
}
