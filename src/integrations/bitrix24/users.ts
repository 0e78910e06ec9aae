import type { PortalDirectory, UsersQuery } from '../../modules/roles/ports.js';
import type { Bitrix24Client } from './bitrix24.client.js';
import { politely } from './rate-retry.js';

/**
 * The portal's employees and departments (reference §6.1 user.get, department.get), read with the
 * portal's own tokens for the admin pages: a throttled call is retried politely, as a person waits.
 */

/** user.get pages are always 50 long (§6.1): a full page means there may be more. */
const USER_PAGE = 50;

interface B24User {
  ID: string;
  NAME?: string;
  LAST_NAME?: string;
  EMAIL?: string;
  WORK_POSITION?: string;
  UF_DEPARTMENT?: unknown;
}

export class Bitrix24Users implements PortalDirectory {
  constructor(private readonly client: Bitrix24Client) {}

  /** One page of active employees, by name and department, sorted by last name. */
  async page(portalId: number, q: UsersQuery) {
    const FILTER: Record<string, unknown> = { ACTIVE: true, USER_TYPE: 'employee' };
    if (q.search) FILTER.NAME_SEARCH = q.search;
    if (q.department) FILTER.UF_DEPARTMENT = q.department;
    const page = await politely(() =>
      this.client.call<B24User[]>(portalId, 'user.get', {
        FILTER,
        SORT: 'LAST_NAME',
        ORDER: 'ASC',
        start: q.start,
      }),
    );
    return {
      items: page.map((u) => ({
        id: Number(u.ID),
        name: [u.NAME, u.LAST_NAME].filter(Boolean).join(' ') || u.EMAIL || `#${u.ID}`,
        position: u.WORK_POSITION ?? '',
        departments: Array.isArray(u.UF_DEPARTMENT) ? u.UF_DEPARTMENT.map(Number) : [],
      })),
      next: page.length === USER_PAGE ? q.start + USER_PAGE : null,
    };
  }

  async departments(portalId: number) {
    const rows = await politely(() =>
      this.client.call<Array<{ ID: string; NAME: string; PARENT?: string }>>(portalId, 'department.get', {
        SORT: 'NAME',
        ORDER: 'ASC',
      }),
    );
    return rows.map((d) => ({ id: Number(d.ID), name: d.NAME, parent: d.PARENT ? Number(d.PARENT) : null }));
  }
}
