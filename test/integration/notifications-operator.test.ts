import { describe, expect, it } from 'vitest';
import {
  api,
  installAndToken,
  SAMPLE_PORTAL,
  STACK_OPERATOR_TOKEN,
  type Stack,
} from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';

/**
 * Issue 13 item 5, the operator's list of the portals that use notifications
 * (GET /api/v1/operator/notifications, OPERATOR_TOKEN): the token checked before the query, paging
 * by portal id that walks every portal once, the domain search, bad queries refused with 400, and
 * calling codes no country has refused by the PATCH without changing anything.
 */
/** The fields the tests read; whole items are compared with toEqual. */
type Item = { portalId: number; domain: string; installed: boolean; maxGroups: number };
type List = { items: Item[]; nextCursor: number | null };
type Refusal = { error: { code: string; message: string } };

async function operator<T>(
  s: Stack,
  method: string,
  path: string,
  body?: unknown,
  token = STACK_OPERATOR_TOKEN,
) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(`${s.url}/api/v1/operator/notifications${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: r.status, body: (await r.json()) as T & Refusal };
}

describe('operator: notifications of every portal', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token = '';
  let portalId = 0;
  const others: number[] = [];

  it('refuses a missing or wrong token before looking at the query', async () => {
    expect((await operator(s, 'GET', '', undefined, '')).status).toBe(401);
    const wrong = await operator(s, 'GET', '?limit=0', undefined, 'wrong-token-0123456789abcdef0123456789');
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('unauthorized');
  });

  it('lists a portal once it has used notifications, in its trial with its usage and codes', async () => {
    token = await installAndToken(s);
    expect((await operator<List>(s, 'GET', '')).body).toEqual({ items: [], nextCursor: null });
    expect((await api(s, token, 'GET', '/notification-groups')).status).toBe(200);
    portalId = (await s.deps.db.selectFrom('portals').select('id').executeTakeFirstOrThrow()).id;
    const r = await operator<List>(s, 'GET', '');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      items: [
        {
          portalId,
          domain: s.portal.domain,
          installed: true,
          fullService: false,
          trial: { endsAt: expect.any(String) as string, ended: false, daysLeft: 15 },
          active: true,
          limits: { recipients: 1, groups: 1 },
          maxRecipients: 10,
          maxGroups: 3,
          usage: { recipients: 0, groups: 1 },
          allowedCallingCodes: ['54'],
        },
      ],
      nextCursor: null,
    });
  });

  it('pages by portal id: every portal once, in order, and a search by domain', async () => {
    // Five more portals (rows as an install leaves them); the operator's first change creates their settings.
    for (let i = 1; i <= 5; i++) {
      const p = await s.deps.db
        .insertInto('portals')
        .values({
          member_id: `member-op-${i}`,
          domain: `shop${i}.bitrix24.es`,
          client_endpoint: `https://shop${i}.bitrix24.es/rest/`,
          status: i === 5 ? 'uninstalled' : 'installed',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      others.push(p.id);
      expect((await operator(s, 'PATCH', `/${p.id}`, { maxGroups: 3 + i })).status).toBe(200);
    }
    const seen: number[] = [];
    let cursor: number | null = null;
    let pages = 0;
    do {
      const q: string = cursor === null ? '?limit=2' : `?limit=2&cursor=${cursor}`;
      const r = await operator<List>(s, 'GET', q);
      expect(r.status).toBe(200);
      expect(r.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...r.body.items.map((i) => i.portalId));
      cursor = r.body.nextCursor;
      pages++;
    } while (cursor !== null && pages < 10);
    expect(seen).toEqual([portalId, ...others]);
    expect(pages).toBe(3);

    const shops = await operator<List>(s, 'GET', '?search=SHOP');
    expect(shops.body.items.map((i) => [i.domain, i.installed, i.maxGroups])).toEqual([
      ['shop1.bitrix24.es', true, 4],
      ['shop2.bitrix24.es', true, 5],
      ['shop3.bitrix24.es', true, 6],
      ['shop4.bitrix24.es', true, 7],
      ['shop5.bitrix24.es', false, 8],
    ]);
    // LIKE's wildcards are searched as text.
    expect((await operator<List>(s, 'GET', '?search=%25')).body.items).toEqual([]);
    expect((await operator<List>(s, 'GET', '?search=shop_')).body.items).toEqual([]);
  });

  it('refuses bad queries with 400', async () => {
    for (const q of [
      '?limit=0',
      '?limit=101',
      '?limit=ten',
      '?cursor=-1',
      '?cursor=1.5',
      `?search=${'a'.repeat(101)}`,
      '?page=2',
      '?search=a%00b',
      '?search=a%0Ab',
    ]) {
      const r = await operator(s, 'GET', q);
      expect(r.status, q).toBe(400);
      expect(r.body.error.code, q).toBe('validation_error');
    }
  });

  it('takes only calling codes a country has, and a refused change changes nothing', async () => {
    for (const codes of [['999'], ['0'], ['54', '1234'], []]) {
      const r = await operator(s, 'PATCH', `/${portalId}`, { maxRecipients: 50, allowedCallingCodes: codes });
      expect(r.status, codes.join()).toBe(400);
    }
    const unknown = await operator(s, 'PATCH', `/${portalId}`, { allowedCallingCodes: ['54', '999'] });
    expect(unknown.body.error.message).toContain('no country has the calling code 999');
    const mine = async () => (await operator<List>(s, 'GET', '?limit=1')).body.items[0];
    expect(await mine()).toMatchObject({ maxRecipients: 10, allowedCallingCodes: ['54'] });

    const ok = await operator(s, 'PATCH', `/${portalId}`, {
      maxRecipients: 25,
      fullService: true,
      allowedCallingCodes: ['54', '1', '351'],
    });
    expect(ok.status).toBe(200);
    expect(await mine()).toMatchObject({
      fullService: true,
      trial: null,
      limits: { recipients: 25, groups: 3 },
      allowedCallingCodes: ['54', '1', '351'],
    });
    // The portal's admin sees the same limits.
    const admin = await api<{ limits: { recipients: number } }>(s, token, 'GET', '/notification-groups');
    expect(admin.body.limits.recipients).toBe(25);
  });
});
