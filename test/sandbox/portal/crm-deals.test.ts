/**
 * The sandbox portal's deals and companies (beyond the reference: b24restdocs crm/deals, crm/companies
 * and the list-method rules): read back, listed with filters and pages, changed with the
 * ONCRMDEALUPDATE event carrying only the deal's id; nothing from src/ is used.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { app, boot, formOf, portal, rest, setup, teardown, token } from './harness.js';

type Deal = Record<string, string | null>;

describe('sandbox Bitrix24 portal: deals and companies', () => {
  beforeEach(async () => {
    await setup();
    await boot();
  });
  afterEach(teardown);

  const add = async (fields: Record<string, unknown>) =>
    (await rest<{ result: number }>(portal, 'crm.deal.add', { auth: token, fields })).body.result;

  it('crm.deal.get: strings, the default stage of its pipeline, dates with an offset; errors', async () => {
    const id = await add({ TITLE: 'SIRA 1', CATEGORY_ID: 1, COMPANY_ID: 7, UF_CRM_1700000000: '2026-12-01' });
    const got = await rest<{ result: Deal }>(portal, 'crm.deal.get', { auth: token, id });
    expect(got.body.result).toMatchObject({
      ID: String(id),
      TITLE: 'SIRA 1',
      CATEGORY_ID: '1',
      STAGE_ID: 'C1:NEW',
      COMPANY_ID: '7',
      UF_CRM_1700000000: '2026-12-01',
    });
    expect(got.body.result['DATE_MODIFY']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    const missing = await rest(portal, 'crm.deal.get', { auth: token, id: 99999 });
    expect([missing.status, (missing.body as { error_description?: string }).error_description]).toEqual([
      400,
      'Not found',
    ]);
    expect((await rest(portal, 'crm.deal.get', { auth: token, id: 'abc' })).status).toBe(400);
  });

  it('crm.deal.update moves DATE_MODIFY and fires ONCRMDEALUPDATE with only the id; silent changes do not', async () => {
    const handler = `${app.url}/b24/events`;
    await rest(portal, 'event.bind', { auth: token, event: 'ONCRMDEALUPDATE', handler });
    const id = await add({ TITLE: 'SIRA 2' });
    const before = (await rest<{ result: Deal }>(portal, 'crm.deal.get', { auth: token, id })).body.result;
    const r = await rest(portal, 'crm.deal.update', { auth: token, id, fields: { STAGE_ID: 'WON' } });
    expect(r.body).toMatchObject({ result: true });
    const events = () => app.hits.map(formOf).filter((f) => f['event'] === 'ONCRMDEALUPDATE');
    await vi.waitFor(() => expect(events()).toHaveLength(1));
    const form = events()[0] ?? {};
    expect(form).toMatchObject({ event: 'ONCRMDEALUPDATE', data: { FIELDS: { ID: String(id) } } });
    expect(JSON.stringify(form['data'])).not.toContain('WON');
    const after = (await rest<{ result: Deal }>(portal, 'crm.deal.get', { auth: token, id })).body.result;
    expect(after['STAGE_ID']).toBe('WON');
    expect(Date.parse(after['DATE_MODIFY'] ?? '')).toBeGreaterThan(Date.parse(before['DATE_MODIFY'] ?? ''));

    portal.updateDeal(id, { STAGE_ID: 'PREPARATION' }, { silent: true });
    const listed = await rest<{ result: Deal[] }>(portal, 'crm.deal.list', {
      auth: token,
      filter: { '>DATE_MODIFY': after['DATE_MODIFY'] },
      select: ['ID', 'STAGE_ID'],
    });
    expect(listed.body.result).toEqual([{ ID: String(id), STAGE_ID: 'PREPARATION' }]);
    expect(events()).toHaveLength(1);
    expect(
      (await rest(portal, 'crm.deal.update', { auth: token, id: 99999, fields: { TITLE: 'x' } })).status,
    ).toBe(400);
    expect((await rest(portal, 'crm.deal.update', { auth: token, id, fields: 'x' })).status).toBe(400);
  });

  it('crm.deal.list: filters with operators and lists, order, 50 a page with next and total', async () => {
    // Straight into the portal: 53 REST calls in a row would meet its rate limit.
    for (let i = 0; i < 53; i++) {
      const id = portal.addCrmDeal({ title: `D${i}`, contactIds: [] });
      portal.updateDeal(id, { STAGE_ID: i % 2 ? 'WON' : 'NEW' }, { silent: true });
    }
    const page1 = await rest<{ result: Deal[]; next?: number; total: number }>(portal, 'crm.deal.list', {
      auth: token,
      order: { ID: 'ASC' },
    });
    expect([page1.body.result.length, page1.body.next, page1.body.total]).toEqual([50, 50, 53]);
    const page2 = await rest<{ result: Deal[]; next?: number }>(portal, 'crm.deal.list', {
      auth: token,
      start: 50,
    });
    expect([page2.body.result.length, page2.body.next]).toEqual([3, undefined]);
    const won = await rest<{ result: Deal[]; total: number }>(portal, 'crm.deal.list', {
      auth: token,
      filter: { '=STAGE_ID': ['WON'] },
      order: { ID: 'DESC' },
      select: ['ID', 'TITLE'],
    });
    expect(won.body.total).toBe(26);
    expect(won.body.result[0]?.['TITLE']).toBe('D51');
    expect(Object.keys(won.body.result[0] ?? {})).toEqual(['ID', 'TITLE']);
    const notWon = await rest<{ total: number }>(portal, 'crm.deal.list', {
      auth: token,
      filter: { '!STAGE_ID': 'WON' },
    });
    expect(notWon.body.total).toBe(27);
  });

  it('MOVED_TIME moves when the stage changes, not on other changes; ONCRMDEALADD carries only the id', async () => {
    const handler = `${app.url}/b24/events`;
    await rest(portal, 'event.bind', { auth: token, event: 'ONCRMDEALADD', handler });
    const id = await add({ TITLE: 'SIRA 3' });
    const added = () => app.hits.map(formOf).filter((f) => f['event'] === 'ONCRMDEALADD');
    await vi.waitFor(() => expect(added()).toHaveLength(1));
    expect(added()[0]?.['data']).toEqual({ FIELDS: { ID: String(id) } });
    const get = async () =>
      (await rest<{ result: Deal }>(portal, 'crm.deal.get', { auth: token, id })).body.result;
    const created = await get();
    expect(created['MOVED_TIME']).toBe(created['DATE_CREATE']);
    portal.updateDeal(id, { TITLE: 'SIRA 3b' }, { silent: true });
    const renamed = await get();
    expect(renamed['MOVED_TIME']).toBe(created['MOVED_TIME']);
    portal.updateDeal(id, { STAGE_ID: 'WON' }, { silent: true });
    const won = await get();
    expect(won['MOVED_TIME']).toBe(won['DATE_MODIFY']);
    expect(Date.parse(won['MOVED_TIME'] ?? '')).toBeGreaterThan(Date.parse(created['MOVED_TIME'] ?? ''));
  });

  it('leads: crm.lead.add fires ONCRMLEADADD with only the id; crm.lead.get and crm.lead.list read them back', async () => {
    const handler = `${app.url}/b24/events`;
    await rest(portal, 'event.bind', { auth: token, event: 'ONCRMLEADADD', handler });
    const r = await rest<{ result: number }>(portal, 'crm.lead.add', {
      auth: token,
      fields: { TITLE: 'Web lead', SOURCE_ID: 'WEB', COMPANY_ID: 8 },
    });
    const id = r.body.result;
    const events = () => app.hits.map(formOf).filter((f) => f['event'] === 'ONCRMLEADADD');
    await vi.waitFor(() => expect(events()).toHaveLength(1));
    expect(events()[0]?.['data']).toEqual({ FIELDS: { ID: String(id) } });
    const got = (await rest<{ result: Deal }>(portal, 'crm.lead.get', { auth: token, id })).body.result;
    expect(got).toMatchObject({ ID: String(id), TITLE: 'Web lead', SOURCE_ID: 'WEB', COMPANY_ID: '8' });
    expect(got['DATE_CREATE']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$/);
    const silent = portal.addLead({ TITLE: 'Phone lead', SOURCE_ID: 'CALL' }, { silent: true });
    const listed = await rest<{ result: Deal[]; total: number }>(portal, 'crm.lead.list', {
      auth: token,
      filter: { '>=DATE_MODIFY': got['DATE_MODIFY'], SOURCE_ID: 'CALL' },
      select: ['ID', 'SOURCE_ID'],
    });
    expect(listed.body.result).toEqual([{ ID: String(silent), SOURCE_ID: 'CALL' }]);
    expect(events()).toHaveLength(1);
  });

  it('crm.company.list: every company, or those whose title contains a text', async () => {
    const all = await rest<{ result: Deal[]; total: number }>(portal, 'crm.company.list', { auth: token });
    expect(all.body.total).toBe(3);
    const some = await rest<{ result: Deal[] }>(portal, 'crm.company.list', {
      auth: token,
      filter: { '%TITLE': 'ñandú' },
    });
    expect(some.body.result).toEqual([{ ID: '9', TITLE: 'Ñandú S.A.' }]);
  });

  it('crm.contact.list / crm.lead.list: PHONE only when selected, filters (ID list, SOURCE_ID), 50 a page', async () => {
    // Added as a user would in the portal (52 REST calls would exceed the rate bucket).
    const ids: number[] = [];
    for (let i = 0; i < 52; i += 1) {
      ids.push(
        portal.addContact({
          NAME: `C${i}`,
          SOURCE_ID: i % 2 ? 'WEB' : 'CALL',
          PHONE: [{ VALUE: `+54911555${5000 + i}`, VALUE_TYPE: 'WORK' }],
        }),
      );
    }
    type Page = { result: Array<Record<string, unknown>>; next?: number; total: number };
    const all = await rest<Page>(portal, 'crm.contact.list', { auth: token, select: ['*'] });
    expect(all.body.result).toHaveLength(50);

    expect(all.body).toMatchObject({ next: 50, total: ids.length });
    expect(all.body.result[0]).not.toHaveProperty('PHONE');
    const web = await rest<Page>(portal, 'crm.contact.list', {
      auth: token,
      filter: { SOURCE_ID: 'WEB', ID: ids.slice(0, 4) },
      select: ['ID', 'NAME', 'PHONE'],
    });
    expect(web.body.result).toEqual([
      {
        ID: String(ids[1]),
        NAME: 'C1',
        PHONE: [{ ID: '500', VALUE_TYPE: 'WORK', VALUE: '+549115555001', TYPE_ID: 'PHONE' }],
      },
      {
        ID: String(ids[3]),
        NAME: 'C3',
        PHONE: [{ ID: '500', VALUE_TYPE: 'WORK', VALUE: '+549115555003', TYPE_ID: 'PHONE' }],
      },
    ]);
    expect(web.body).not.toHaveProperty('next');
    await rest(portal, 'crm.lead.add', {
      auth: token,
      fields: { TITLE: 'L', STATUS_ID: 'IN_PROCESS', PHONE: [{ VALUE: '+5491155550001' }] },
    });
    const leads = await rest<Page>(portal, 'crm.lead.list', {
      auth: token,
      filter: { STATUS_ID: 'IN_PROCESS' },
      select: ['ID', 'PHONE'],
    });
    expect(leads.body.result.map((l) => l['PHONE'])).toEqual([
      [expect.objectContaining({ VALUE: '+5491155550001' })],
    ]);
  });
});
