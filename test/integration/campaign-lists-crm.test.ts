import { beforeAll, describe, expect, it } from 'vitest';
import {
  connectChannel,
  installAndToken,
  SAMPLE_PORTAL,
  waitFor,
  type DemoChannel,
} from '../../scripts/stack.js';
import { draftCampaign, storedList } from '../helpers/campaign-lists.js';
import { useStack } from '../helpers/stack.js';
import { addTemplate, asUser, withToken } from '../helpers/templates.js';

interface Preview {
  rows: Array<{ line: number; phone: string; name: string; text: string }>;
  counts: { rows: number; valid: number; rejected: number };
}

/**
 * A campaign's list from a CRM filter (issue 14): the sandbox portal answers crm.contact.list,
 * crm.lead.list and crm.deal.list 50 a page; the job reads every page (a deal: its contact's
 * phones), checks the rows as a CSV's and makes the list ready.
 */
describe('campaign lists from the CRM', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token: string;
  let ch: DemoChannel;
  let templateId: string;

  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
    templateId = (
      await addTemplate(s, {
        channelId: ch.id,
        name: 'saludo',
        body: 'Hola {{1}}, tenemos novedades.',
        params: [{ name: 'nombre', example: 'Ana' }],
      })
    ).id;
    // 60 web contacts (two pages), one without a phone, one with a bad one first, one repeated.
    for (let i = 0; i < 60; i += 1) {
      s.portal.addContact({
        NAME: `Cliente ${i}`,
        LAST_NAME: 'Web',
        SOURCE_ID: 'WEB',
        ASSIGNED_BY_ID: 1,
        PHONE: [{ VALUE: `+54 9 11 5555-${String(1000 + i)}`, VALUE_TYPE: 'MOBILE' }],
      });
    }
    s.portal.addContact({ NAME: 'Sin teléfono', SOURCE_ID: 'WEB' });
    s.portal.addContact({
      NAME: 'Dos números',
      SOURCE_ID: 'WEB',
      PHONE: [{ VALUE: '123' }, { VALUE: '011 15-5555-2001' }],
    });
    s.portal.addContact({ NAME: 'Repetido', SOURCE_ID: 'WEB', PHONE: [{ VALUE: '+5491155551000' }] });
    s.portal.addContact({ NAME: 'Llamada', SOURCE_ID: 'CALL', PHONE: [{ VALUE: '+5491155553000' }] });
  });

  async function crmList(body: unknown) {
    const campaign = await draftCampaign(s, { channelId: ch.id, templateId });
    const r = await withToken<{ list: { source: string; status: string } }>(
      s,
      token,
      'POST',
      `/campaigns/${campaign}/list/crm`,
      body,
    );
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body.list).toMatchObject({ source: 'crm', status: 'loading' });
    await waitFor(async () => (await storedList(s, campaign)).list_status !== 'loading', 30_000);
    return campaign;
  }

  it('contacts by source, read page by page; each row checked (no phone, bad first phone, duplicate)', async () => {
    const campaign = await crmList({ entity: 'contact', filter: { sourceId: 'WEB' }, params: ['{name}'] });
    const stored = await storedList(s, campaign);
    expect(stored).toMatchObject({
      list_status: 'ready',
      list_source: 'crm',
      rows_total: 63,
      rows_rejected: 2,
    });
    expect(stored.rows.filter((r) => r.status === 'rejected').map((r) => [r.name, r.error_code])).toEqual([
      ['Sin teléfono', 'phone_missing'],
      ['Repetido', 'duplicate'],
    ]);
    expect(stored.rows.find((r) => r.name === 'Dos números')?.phone_e164).toBe('+5491155552001');
    const p = await withToken<Preview>(s, token, 'GET', `/campaigns/${campaign}/preview?limit=1`);
    expect(p.body.rows).toEqual([
      expect.objectContaining({
        line: 1,
        phone: '+5491155551000',
        text: 'Hola Cliente 0 Web, tenemos novedades.',
      }),
    ]);
    expect(p.body.counts).toEqual({ rows: 63, valid: 61, rejected: 2 });
  });

  it('deals by pipeline and stage give their contact’s phone; leads by status and responsible', async () => {
    const [a, b] = s.portal.crmContacts().slice(0, 2);
    s.portal.addDeal(
      { TITLE: 'Venta 1', CATEGORY_ID: 1, STAGE_ID: 'C1:EXECUTING', CONTACT_IDS: [a?.id] },
      { silent: true },
    );
    s.portal.addDeal(
      { TITLE: 'Venta 2', CATEGORY_ID: 1, STAGE_ID: 'C1:NEW', CONTACT_IDS: [b?.id] },
      { silent: true },
    );
    s.portal.addDeal(
      { TITLE: 'Otra', CATEGORY_ID: 0, STAGE_ID: 'NEW', CONTACT_IDS: [b?.id] },
      { silent: true },
    );
    const deals = await crmList({
      entity: 'deal',
      filter: { categoryId: 1, stageId: 'C1:EXECUTING' },
      params: ['{name}'],
    });
    expect((await storedList(s, deals)).rows.map((r) => [r.phone_e164, r.name, r.status])).toEqual([
      ['+5491155551000', 'Cliente 0 Web', 'ready'],
    ]);
    s.portal.addLead(
      {
        TITLE: 'L1',
        NAME: 'Lía',
        STATUS_ID: 'IN_PROCESS',
        ASSIGNED_BY_ID: 2,
        PHONE: [{ VALUE: '+5491155554001' }],
      },
      { silent: true },
    );
    s.portal.addLead(
      {
        TITLE: 'L2',
        NAME: 'Leo',
        STATUS_ID: 'IN_PROCESS',
        ASSIGNED_BY_ID: 1,
        PHONE: [{ VALUE: '+5491155554002' }],
      },
      { silent: true },
    );
    const leads = await crmList({
      entity: 'lead',
      filter: { stageId: 'IN_PROCESS', assignedById: 2 },
      params: ['{name}'],
    });
    expect((await storedList(s, leads)).rows.map((r) => [r.phone_e164, r.name])).toEqual([
      ['+5491155554001', 'Lía'],
    ]);
  });

  it('a long list is read page by page within a small REST budget: no call refused by the portal', async () => {
    // A portal whose bucket holds 5 calls and drains 2 a second (tighter than a real one's 50).
    s.portal.setRate({ drainPerSec: 2, burst: 5 });
    await s.deps.db.updateTable('portals').set({ rate_drain_per_sec: 2, rate_burst: 5 }).execute();
    for (let i = 0; i < 250; i += 1) {
      s.portal.addContact({
        NAME: `Feria ${i}`,
        SOURCE_ID: 'TRADE_SHOW',
        PHONE: [{ VALUE: `+54911566${String(10_000 + i)}` }],
      });
    }
    const before = s.portal.calls().length;
    const campaign = await crmList({
      entity: 'contact',
      filter: { sourceId: 'TRADE_SHOW' },
      params: ['{name}'],
    });
    expect(await storedList(s, campaign)).toMatchObject({
      list_status: 'ready',
      rows_total: 250,
      rows_rejected: 0,
    });
    const calls = s.portal.calls().slice(before);
    const pages = calls.filter((c) => c.method === 'crm.contact.list');
    // Five full pages, then the empty sixth that says there is no more.
    expect(pages.map((c) => c.status)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(calls.filter((c) => c.status !== 200)).toEqual([]);
  });

  it('bad filters are 400, a non-admin 403, a campaign that is not a draft 409', async () => {
    const campaign = await draftCampaign(s, { channelId: ch.id, templateId });
    const bad = [
      { entity: 'company' },
      { entity: 'contact', filter: { stageId: 'x y' } },
      { entity: 'contact', filter: { unknown: 1 } },
      { entity: 'lead', filter: { assignedById: -1 } },
    ];
    for (const body of bad) {
      expect(
        (await withToken(s, token, 'POST', `/campaigns/${campaign}/list/crm`, body)).status,
        JSON.stringify(body),
      ).toBe(400);
    }
    expect(
      (await asUser(s, 2, 'POST', `/campaigns/${campaign}/list/crm`, { entity: 'contact' })).status,
    ).toBe(403);
    await s.deps.db.updateTable('campaigns').set({ status: 'running' }).where('id', '=', campaign).execute();
    expect(
      (await withToken(s, token, 'POST', `/campaigns/${campaign}/list/crm`, { entity: 'contact' })).status,
    ).toBe(409);
  });
});
