import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import {
  api,
  connectChannel,
  frontendAuth,
  installAndToken,
  SAMPLE_PORTAL,
  STACK_OPERATOR_TOKEN,
  type Stack,
} from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';

/**
 * The billing routes through the real app: the operator's offer API (OPERATOR_TOKEN) and what a
 * portal's billing admins read (balance, ledger, offer, consumption). Bad input is a 4xx, and the
 * app itself runs as its limited database role.
 */
async function operator<T = unknown>(
  s: Stack,
  method: string,
  path: string,
  body?: unknown,
  token = STACK_OPERATOR_TOKEN,
) {
  const r = await fetch(`${s.url}/api/v1/operator/billing${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  return { status: r.status, body: (text ? JSON.parse(text) : null) as T };
}

async function asUser(s: Stack, userId: number, path: string) {
  const auth = new URLSearchParams(await frontendAuth(s, userId)).toString();
  const r = await fetch(`${s.url}/api/v1${path}`, { headers: { 'x-b24-auth': auth } });
  return r.status;
}

const pack = { name: 'Pack 1000', messages: 1000, priceMinor: 1500, currency: 'usd', validityDays: 90 };

describe('billing API', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token = '';
  let portalId = 0;

  it('runs the app as its own role, not as the database superuser', async () => {
    const r = await sql<{ who: string; su: boolean }>`
      SELECT current_user AS who, (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS su`.execute(
      s.deps.db,
    );
    expect(r.rows).toEqual([{ who: 'whatsappb24', su: false }]);
  });

  it('operator: packs are created, listed and changed; bad input is a 400, a missing pack a 404', async () => {
    expect(
      (await operator(s, 'GET', '/packs', undefined, 'wrong-token-0123456789abcdef0123456789')).status,
    ).toBe(401);
    const created = await operator<{ id: number; currency: string; active: boolean }>(
      s,
      'POST',
      '/packs',
      pack,
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ currency: 'USD', active: true, messages: 1000 });
    const small = await operator<{ id: number }>(s, 'POST', '/packs', {
      ...pack,
      name: 'Pack 100',
      messages: 100,
      priceMinor: 300,
    });
    const bad: unknown[] = [
      { ...pack, name: '' },
      { ...pack, messages: 0 },
      { ...pack, priceMinor: 12.5 },
      { ...pack, priceMinor: -1 },
      { ...pack, currency: 'US' },
      { ...pack, validityDays: 0 },
      { ...pack, validityDays: 5000 },
      { ...pack, discount: 10 },
      { name: 'only a name' },
      '{"name": ',
      [],
    ];
    for (const body of bad) {
      const r = await operator<{ error: { code: string } }>(s, 'POST', '/packs', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    const off = await operator(s, 'PATCH', `/packs/${small.body.id}`, { active: false, priceMinor: 250 });
    expect(off).toMatchObject({ status: 200, body: { active: false, priceMinor: 250 } });
    expect((await operator(s, 'PATCH', `/packs/${small.body.id}`, {})).status).toBe(400);
    expect((await operator(s, 'PATCH', `/packs/${small.body.id}`, { messages: 'many' })).status).toBe(400);
    expect((await operator(s, 'PATCH', '/packs/987654', { active: true })).status).toBe(404);
    expect((await operator(s, 'PATCH', '/packs/abc', { active: true })).status).toBe(404);
    const all = await operator<{ items: Array<{ id: number }> }>(s, 'GET', '/packs');
    expect(all.body.items.map((p) => p.id)).toEqual([small.body.id, created.body.id]);
  });

  it('operator: the subscription price list is replaced whole and checked', async () => {
    const prices = [
      { currency: 'USD', months: 1, priceMinor: 2000 },
      { currency: 'USD', months: 3, priceMinor: 5400 },
      { currency: 'USD', months: 12, priceMinor: 19200 },
    ];
    const put = await operator<{ items: unknown[] }>(s, 'PUT', '/subscription-prices', { prices });
    expect(put.status).toBe(200);
    expect(put.body.items).toHaveLength(3);
    const bad: unknown[] = [
      { prices: [] },
      { prices: [{ currency: 'USD', months: 2, priceMinor: 100 }] },
      { prices: [{ currency: 'EUR', months: 3, priceMinor: 100 }] }, // no monthly price
      { prices: [...prices, { currency: 'USD', months: 1, priceMinor: 2100 }] }, // twice
      { prices: [prices[0], { currency: 'USD', months: 6, priceMinor: 12_001 }] }, // dearer than monthly
      { prices: [{ ...prices[0], priceMinor: 0 }] },
      { list: prices },
    ];
    for (const body of bad) {
      expect((await operator(s, 'PUT', '/subscription-prices', body)).status, JSON.stringify(body)).toBe(400);
    }
    const after = await operator<{ items: unknown[] }>(s, 'GET', '/subscription-prices');
    expect(after.body.items).toHaveLength(3); // nothing half-written
  });

  it('billing admins see the offer: active packs, and each period with its saving', async () => {
    token = await installAndToken(s);
    const offer = await api<{
      packs: Array<{ name: string }>;
      subscription: Array<{ currency: string; periods: Array<{ months: number; savingPercent: number }> }>;
    }>(s, token, 'GET', '/billing/offer');
    expect(offer.status).toBe(200);
    expect(offer.body.packs.map((p) => p.name)).toEqual(['Pack 1000']);
    expect(offer.body.subscription).toEqual([
      {
        currency: 'USD',
        periods: [
          { months: 1, priceMinor: 2000, perMonthMinor: 2000, savingPercent: 0 },
          { months: 3, priceMinor: 5400, perMonthMinor: 1800, savingPercent: 10 },
          { months: 12, priceMinor: 19200, perMonthMinor: 1600, savingPercent: 20 },
        ],
      },
    ]);
  });

  it('balance, ledger (cursor pages) and consumption per channel follow the ledger', async () => {
    const p = await s.deps.db
      .selectFrom('portals')
      .select('id')
      .where('member_id', '=', s.portal.memberId)
      .executeTakeFirstOrThrow();
    portalId = p.id;
    const ch = await connectChannel(s, token);
    expect((await api(s, token, 'GET', '/balance')).body).toMatchObject({
      available: 0,
      reserved: 0,
      lots: [],
    });
    await s.deps.ledger.credit({
      portalId,
      units: 5,
      validityDays: 30,
      provider: 'operator',
      eventId: 'api-grant-1',
    });
    const r = await s.deps.ledger.reserve(portalId, 'msg-1', { channelId: ch.id });
    await s.deps.ledger.settle(r.reservationId!);
    await s.deps.ledger.reserve(portalId, 'msg-2', { channelId: ch.id });
    const balance = await api<{ available: number; reserved: number; lots: Array<{ remaining: number }> }>(
      s,
      token,
      'GET',
      '/balance',
    );
    expect(balance.body).toMatchObject({
      available: 3,
      reserved: 1,
      debt: 0,
      lots: [{ units: 5, remaining: 3 }],
    });

    const page1 = await api<{
      items: Array<{ kind: string; messageRef: string | null }>;
      nextCursor: number;
    }>(s, token, 'GET', '/ledger?limit=2');
    expect(page1.body.items.map((e) => [e.kind, e.messageRef])).toEqual([
      ['reserve', 'msg-2'],
      ['settle', 'msg-1'],
    ]);
    const page2 = await api<{ items: Array<{ kind: string }>; nextCursor: number | null }>(
      s,
      token,
      'GET',
      `/ledger?limit=2&cursor=${page1.body.nextCursor}`,
    );
    expect(page2.body).toMatchObject({ items: [{ kind: 'reserve' }, { kind: 'credit' }], nextCursor: null });
    const credits = await api<{ items: unknown[] }>(s, token, 'GET', '/ledger?kind=credit');
    expect(credits.body.items).toHaveLength(1);

    const use = await api<{
      days: string[];
      series: Array<{ channelId: string; name: string; units: number[] }>;
      total: number;
    }>(s, token, 'GET', '/billing/consumption?days=7');
    expect(use.body.days).toHaveLength(7);
    expect(use.body.days.at(-1)).toBe(new Date().toISOString().slice(0, 10));
    expect(use.body.series).toEqual([{ channelId: ch.id, name: 'Tienda 1', units: [0, 0, 0, 0, 0, 0, 1] }]);
    expect(use.body.total).toBe(1);
  });

  it('bad queries are a 400', async () => {
    for (const q of [
      '/ledger?limit=0',
      '/ledger?limit=500',
      '/ledger?kind=gift',
      '/ledger?cursor=-3',
      '/ledger?page=2',
    ]) {
      expect((await api(s, token, 'GET', q)).status, q).toBe(400);
    }
    for (const q of [
      '/billing/consumption?days=0',
      '/billing/consumption?days=abc',
      '/billing/consumption?from=1',
    ]) {
      expect((await api(s, token, 'GET', q)).status, q).toBe(400);
    }
  });

  it('only admins and channel bosses see billing; without a token, nobody', async () => {
    expect((await fetch(`${s.url}/api/v1/balance`)).status).toBe(401);
    const BRUNO = 2;
    const FABIO = 6;
    for (const path of [
      '/balance',
      '/ledger',
      '/billing/offer',
      '/billing/consumption',
      '/ledger?kind=gift',
    ]) {
      expect(await asUser(s, BRUNO, path), path).toBe(403);
    }
    const ch = await s.deps.db
      .selectFrom('channels')
      .select('id')
      .where('portal_id', '=', portalId)
      .executeTakeFirstOrThrow();
    const roles = await api(s, token, 'PUT', '/roles', {
      changes: [
        {
          channelId: ch.id,
          userId: FABIO,
          qualityControl: false,
          salesRep: false,
          receivesNew: false,
          boss: true,
        },
      ],
    });
    expect(roles.status).toBe(200);
    expect(await asUser(s, FABIO, '/balance')).toBe(200);
    expect(await asUser(s, FABIO, '/ledger')).toBe(200);
  });
});
