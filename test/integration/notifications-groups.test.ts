import { describe, expect, it } from 'vitest';
import {
  api,
  connectChannel,
  installAndToken,
  SAMPLE_PORTAL,
  STACK_OPERATOR_TOKEN,
  type Stack,
} from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';
import { asUser } from '../helpers/templates.js';

/**
 * Issue 13, the groups of scheduled notifications through the real app: the seed's limits (10
 * numbers, 3 groups; a trial with one number and every company), numbers normalised per allowed
 * country, the operator raising limits, and callers who may not manage notifications refused.
 */
type Overview = {
  fullService: boolean;
  trial: { endsAt: string; ended: boolean } | null;
  limits: { recipients: number; groups: number };
  usage: { recipients: number; groups: number };
};
type Groups = Overview & {
  groups: { id: number; name: string; isDefault: boolean; recipients: number; companies: 'all' | number }[];
};
type Group = Overview & {
  group: {
    id: number;
    name: string;
    allCompanies: boolean;
    companies: { id: number; title: string }[];
    recipients: { id: number; firstName: string; phone: string; enabled: boolean }[];
  };
};
type Refusal = { error: { code: string; message: string; issues?: { field: string; code: string }[] } };

async function operator(s: Stack, portalId: number | string, body: unknown, token = STACK_OPERATOR_TOKEN) {
  const r = await fetch(`${s.url}/api/v1/operator/notifications/${portalId}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json()) as Overview & Refusal };
}

const jose = { firstName: 'José', lastName: 'Pérez', phone: '+54 9 11 3012-1163' };

describe('notification groups', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token = '';
  let portalId = 0;
  let main = 0;

  it('starts in the trial with the main group "Principal": one number, every company', async () => {
    token = await installAndToken(s);
    const r = await api<Groups>(s, token, 'GET', '/notification-groups');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      fullService: false,
      trial: { ended: false },
      limits: { recipients: 1, groups: 1 },
      usage: { recipients: 0, groups: 1 },
      groups: [{ name: 'Principal', isDefault: true, recipients: 0, companies: 'all' }],
    });
    main = r.body.groups[0]!.id;
    portalId = (await s.deps.db.selectFrom('portals').select('id').executeTakeFirstOrThrow()).id;

    const added = await api<Group>(s, token, 'POST', `/notification-groups/${main}/recipients`, {
      ...jose,
      phone: '011 15-3012-1163', // the domestic form becomes the WhatsApp mobile
    });
    expect(added.status).toBe(201);
    expect(added.body.group.recipients).toMatchObject([
      { firstName: 'José', phone: '+5491130121163', enabled: true },
    ]);

    const second = await api<Refusal>(s, token, 'POST', `/notification-groups/${main}/recipients`, {
      ...jose,
      phone: '+54 9 11 3012-1664',
    });
    expect(second.status).toBe(409);
    expect(second.body.error.issues).toMatchObject([{ field: 'recipients', code: 'recipients_limit' }]);
    expect((await api<Refusal>(s, token, 'POST', '/notification-groups', { name: 'Clientes' })).status).toBe(
      409,
    );
    const companies = await api<Refusal>(s, token, 'PATCH', `/notification-groups/${main}`, {
      allCompanies: false,
      companies: [{ id: 7, title: 'Empresa 1' }],
    });
    expect(companies.status).toBe(409);
    expect(companies.body.error.message).toMatch(/trial/);
  });

  it('numbers are checked for their country and for being mobiles, with the field named', async () => {
    for (const [phone, code] of [
      ['+54 11 3012-1163', 'not_mobile'],
      ['+48 512 345 678', 'country_not_allowed'],
      ['hola', 'not_a_number'],
      ['15 3012-1163', 'invalid'],
    ] as const) {
      const r = await api<Refusal>(s, token, 'PATCH', `/notification-recipients/999999`, { phone });
      expect(r.status, phone).toBe(400);
      expect(r.body.error.issues, phone).toMatchObject([{ field: 'phone', code }]);
    }
  });

  it('the operator switches the full service on and raises limits; the seed’s grid then works', async () => {
    expect(
      (await operator(s, portalId, { fullService: true }, 'wrong-token-0123456789abcdef0123456789')).status,
    ).toBe(401);
    expect((await operator(s, 987654, { fullService: true })).status).toBe(404);
    expect((await operator(s, 'abc', { fullService: true })).status).toBe(404);
    expect((await operator(s, portalId, { maxRecipients: -1 })).status).toBe(400);
    expect((await operator(s, portalId, { allowedCallingCodes: ['+54'] })).status).toBe(400);
    const on = await operator(s, portalId, {
      fullService: true,
      maxRecipients: 3,
      allowedCallingCodes: ['54', '48'],
    });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ fullService: true, trial: null, limits: { recipients: 3, groups: 3 } });

    const juan = await api<Group>(s, token, 'POST', `/notification-groups/${main}/recipients`, {
      firstName: 'Juan',
      lastName: 'Pérez',
      phone: '+5491130121664',
      reference: 'Despacho',
    });
    expect(juan.status).toBe(201);
    const clientes = await api<Group>(s, token, 'POST', '/notification-groups', { name: 'Clientes' });
    expect(clientes.status).toBe(201);
    const g = clientes.body.group.id;
    // Every number of the portal is listed in the new group, none enabled there yet.
    expect(clientes.body.group.recipients.map((r) => r.enabled)).toEqual([false, false]);
    expect((await api(s, token, 'POST', '/notification-groups', { name: 'CLIENTES' })).status).toBe(409);

    // The same number added from another group is enabled there, not added twice.
    const again = await api<Group>(s, token, 'POST', `/notification-groups/${g}/recipients`, jose);
    expect(again.status).toBe(201);
    expect(again.body.usage.recipients).toBe(2);
    expect(again.body.group.recipients.filter((r) => r.enabled).map((r) => r.firstName)).toEqual(['José']);

    const all = await api<Group>(s, token, 'PUT', `/notification-groups/${g}/recipients`, { enabled: true });
    expect(all.body.group.recipients.every((r) => r.enabled)).toBe(true);
    const juanId = all.body.group.recipients.find((r) => r.firstName === 'Juan')!.id;
    const one = await api<Group>(s, token, 'PUT', `/notification-groups/${g}/recipients/${juanId}`, {
      enabled: false,
    });
    expect(one.body.group.recipients.find((r) => r.id === juanId)?.enabled).toBe(false);

    const chosen = await api<Group>(s, token, 'PATCH', `/notification-groups/${g}`, {
      allCompanies: false,
      companies: [
        { id: 7, title: 'Empresa 1' },
        { id: 7, title: 'Empresa 1' },
        { id: 9, title: 'Ñandú S.A. 🚚' },
      ],
    });
    expect(chosen.status).toBe(200);
    expect(chosen.body.group).toMatchObject({
      allCompanies: false,
      companies: [
        { id: 7, title: 'Empresa 1' },
        { id: 9, title: 'Ñandú S.A. 🚚' },
      ],
    });
    const list = await api<Groups>(s, token, 'GET', '/notification-groups');
    expect(list.body.groups).toMatchObject([
      { name: 'Principal', recipients: 2, companies: 'all' },
      { name: 'Clientes', recipients: 1, companies: 2 },
    ]);

    expect((await api(s, token, 'DELETE', `/notification-groups/${main}`)).status).toBe(409);
    expect((await api(s, token, 'DELETE', `/notification-groups/${g}`)).status).toBe(204);
    expect((await api(s, token, 'DELETE', `/notification-groups/${g}`)).status).toBe(404);
  });

  it('two requests adding the last allowed number at once: exactly one succeeds', async () => {
    const tries = await Promise.all(
      ['+48 512 345 678', '+48 512 345 679', '+48 512 345 677'].map((phone) =>
        api(s, token, 'POST', `/notification-groups/${main}/recipients`, { ...jose, phone }),
      ),
    );
    expect(tries.map((t) => t.status).sort()).toEqual([201, 409, 409]);
    const list = await api<Groups>(s, token, 'GET', '/notification-groups');
    expect(list.body.usage.recipients).toBe(3);
  });

  it('bad input is a 400 that names the field; unknown ids are 404; nothing is half-written', async () => {
    const bad: [string, string, unknown][] = [
      ['POST', '/notification-groups', { name: '' }],
      ['POST', '/notification-groups', { name: '   ' }],
      ['POST', '/notification-groups', { name: 'x'.repeat(81) }],
      ['POST', '/notification-groups', { name: 'a\u0000b' }],
      ['POST', '/notification-groups', { name: '\u200b\u200b' }],
      ['POST', '/notification-groups', { name: 'ok', extra: 1 }],
      ['POST', '/notification-groups', 'not json'],
      ['PATCH', `/notification-groups/${main}`, {}],
      ['PATCH', `/notification-groups/${main}`, { companies: [{ id: -1, title: 'x' }] }],
      ['POST', `/notification-groups/${main}/recipients`, { firstName: 'A', lastName: 'B' }],
      ['PUT', `/notification-groups/${main}/recipients`, { enabled: 'yes' }],
      ['PATCH', '/notification-settings', { timeZone: 'Mars/Olympus' }],
      ['PATCH', '/notification-settings', { digestIntervalMinutes: 5 }],
      ['PATCH', '/notification-settings', { country: 'ARG' }],
    ];
    for (const [method, path, body] of bad) {
      const r = await api<Refusal>(s, token, method, path, body);
      expect(r.status, `${method} ${path} ${JSON.stringify(body)}`).toBe(400);
    }
    for (const path of [
      '/notification-groups/0',
      '/notification-groups/abc',
      '/notification-groups/99999999',
    ]) {
      expect((await api(s, token, 'GET', path)).status, path).toBe(404);
    }
    expect(
      (await api(s, token, 'PUT', `/notification-groups/${main}/recipients/424242`, { enabled: true }))
        .status,
    ).toBe(404);
    const list = await api<Groups>(s, token, 'GET', '/notification-groups');
    expect(list.body.groups.map((g) => g.name)).toEqual(['Principal']);
    const ok = await api<Overview & { timeZone: string; digestIntervalMinutes: number }>(
      s,
      token,
      'PATCH',
      '/notification-settings',
      { timeZone: 'America/Sao_Paulo', digestIntervalMinutes: 30 },
    );
    expect(ok.body).toMatchObject({ timeZone: 'America/Sao_Paulo', digestIntervalMinutes: 30 });
  });

  it('users whose chat roles do not allow it get 403 before any validation; a channel boss may manage', async () => {
    const BRUNO = 2;
    const FABIO = 6;
    expect((await asUser(s, BRUNO, 'GET', '/notification-groups')).status).toBe(403);
    expect((await asUser(s, BRUNO, 'POST', '/notification-groups', { bad: true })).status).toBe(403);
    expect((await asUser(s, BRUNO, 'GET', '/notification-groups/abc')).status).toBe(403);
    expect((await asUser(s, BRUNO, 'PATCH', '/notification-settings', { timeZone: 'UTC' })).status).toBe(403);
    const { id: channelId } = await connectChannel(s, token);
    const roles = await api(s, token, 'PUT', '/roles', {
      changes: [
        { channelId, userId: FABIO, qualityControl: false, salesRep: false, receivesNew: false, boss: true },
      ],
    });
    expect(roles.status).toBe(200);
    expect((await asUser(s, FABIO, 'GET', '/notification-groups')).status).toBe(200);
    // The portal's settings stay with its admins.
    expect((await asUser(s, FABIO, 'PATCH', '/notification-settings', { timeZone: 'UTC' })).status).toBe(403);
  });
});
