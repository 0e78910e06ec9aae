/**
 * Tests the sandbox Bitrix24 portal itself against /work/shared/reference/bitrix24.md (section numbers
 * in the test names); nothing from src/ is used.
 * Departments, CRM lists, user filters and the portal page (beyond the reference; §1.2, §4.7).
 */
import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { setup, teardown, rest, portal, app, token, boot, registerAndActivate } from './harness.js';

describe('sandbox Bitrix24 portal', () => {
  beforeEach(setup);
  afterEach(teardown);

  describe('departments, CRM lists, user filters, the portal page (beyond the reference)', () => {
    beforeEach(async () => {
      await boot({
        users: [
          { ID: 1, NAME: 'Ana', LAST_NAME: 'Admin', ADMIN: true, UF_DEPARTMENT: [1] },
          { ID: 2, NAME: 'Bruno', LAST_NAME: 'Agente', ADMIN: false, UF_DEPARTMENT: [2] },
          { ID: 3, NAME: 'Carla', LAST_NAME: 'Gómez', ADMIN: false, UF_DEPARTMENT: [2] },
        ],
        departments: [
          { ID: 1, NAME: 'Dirección', UF_HEAD: 1 },
          { ID: 2, NAME: 'Ventas', PARENT: 1 },
        ],
        appUrl: `${app.url}/b24/app`,
      });
    });

    it('department.get lists departments with string ids, filters by PARENT and NAME', async () => {
      const all = await rest<{ result: Array<Record<string, unknown>> }>(portal, 'department.get', {
        auth: token,
      });
      expect(all.body.result).toEqual([
        { ID: '1', NAME: 'Dirección', SORT: 500, UF_HEAD: '1' },
        { ID: '2', NAME: 'Ventas', SORT: 500, PARENT: '1', UF_HEAD: '' },
      ]);
      expect(all.body.total).toBe(2);
      const kids = await rest<{ result: Array<{ ID: string }> }>(portal, 'department.get', {
        auth: token,
        PARENT: 1,
      });
      expect(kids.body.result.map((d) => d.ID)).toEqual(['2']);
      const named = await rest<{ result: Array<{ ID: string }> }>(
        portal,
        'department.get',
        { auth: token, NAME: 'vent' },
        { form: true },
      );
      expect(named.body.result.map((d) => d.ID)).toEqual(['2']);
    });

    it('user.get filters by UF_DEPARTMENT, combined with NAME_SEARCH', async () => {
      const dep = await rest<{ result: Array<{ ID: string }> }>(portal, 'user.get', {
        auth: token,
        FILTER: { UF_DEPARTMENT: 2, ACTIVE: true },
      });
      expect(dep.body.result.map((u) => u.ID)).toEqual(['2', '3']);
      const both = await rest<{ result: Array<{ ID: string }> }>(portal, 'user.get', {
        auth: token,
        FILTER: { UF_DEPARTMENT: 2, NAME_SEARCH: 'carl' },
      });
      expect(both.body.result.map((u) => u.ID)).toEqual(['3']);
    });

    it('crm.category.list needs entityTypeId and gives deal pipelines; crm.status.list gives lead statuses and stages', async () => {
      const missing = await rest(portal, 'crm.category.list', { auth: token });
      expect(missing.status).toBe(400);
      const cats = await rest<{
        result: { categories: Array<{ id: number; name: string; isDefault: string }> };
      }>(portal, 'crm.category.list', { auth: token, entityTypeId: 2 });
      expect(cats.body.result.categories.map((c) => [c.id, c.isDefault])).toEqual([
        [0, 'Y'],
        [1, 'N'],
      ]);
      const st = await rest<{ result: Array<{ ENTITY_ID: string; STATUS_ID: string }> }>(
        portal,
        'crm.status.list',
        {
          auth: token,
          filter: { ENTITY_ID: 'DEAL_STAGE_1' },
        },
      );
      expect(st.body.result.map((x) => x.STATUS_ID)).toEqual(['C1:NEW', 'C1:EXECUTING', 'C1:WON']);
      const leads = await rest<{ result: Array<{ STATUS_ID: string }> }>(portal, 'crm.status.list', {
        auth: token,
        filter: { ENTITY_ID: 'STATUS' },
      });
      expect(leads.body.result.map((x) => x.STATUS_ID)).toContain('NEW');
    });

    it('crm.lead.add and crm.deal.add store the fields and return the id; unknown responsible → error', async () => {
      const lead = await rest<{ result: number }>(portal, 'crm.lead.add', {
        auth: token,
        fields: { TITLE: 'WhatsApp: María', ASSIGNED_BY_ID: 2 },
      });
      expect(lead.status).toBe(200);
      const deal = await rest<{ result: number }>(portal, 'crm.deal.add', {
        auth: token,
        fields: { TITLE: 'x', CATEGORY_ID: 1, STAGE_ID: 'C1:NEW' },
      });
      expect(portal.crmRecords()).toEqual([
        { entity: 'lead', id: lead.body.result, fields: { TITLE: 'WhatsApp: María', ASSIGNED_BY_ID: 2 } },
        { entity: 'deal', id: deal.body.result, fields: { TITLE: 'x', CATEGORY_ID: 1, STAGE_ID: 'C1:NEW' } },
      ]);
      const empty = await rest(portal, 'crm.deal.add', { auth: token });
      expect(empty.status).toBe(400);
      const nobody = await rest(portal, 'crm.lead.add', {
        auth: token,
        fields: { TITLE: 'y', ASSIGNED_BY_ID: 99 },
      });
      expect(nobody.status).toBe(400);
    });

    it('the page has its own path that answers HTML to any client (curl included), and links there', async () => {
      expect(portal.pageUrl).toBe(`${portal.url}/page`);
      for (const accept of [undefined, '*/*', 'application/json']) {
        const res = await fetch(portal.pageUrl, accept ? { headers: { accept } } : {});
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
        const html = await res.text();
        expect(html).toMatch(/^<!doctype html>/);
        expect(html).toContain('<iframe name="app"');
        const links = [...html.matchAll(/href="([^"]+)"/g)].map((m) => m[1] ?? '');
        expect(links.length).toBeGreaterThan(3);
        for (const l of links) expect(l.startsWith('/page?'), l).toBe(true);
      }
    });

    it('a browser gets a portal page that POSTs the app its frontend auth into an iframe (§1.2, §4.7)', async () => {
      const json = await fetch(`${portal.url}/`);
      expect(((await json.json()) as { sandbox: string }).sandbox).toBe('bitrix24-portal');
      const res = await fetch(`${portal.url}/?lang=en&user=2`, { headers: { accept: 'text/html' } });
      const html = await res.text();
      expect(res.headers.get('content-type')).toContain('text/html');
      const action = /<form id="open" method="post" target="app" action="([^"]+)"/.exec(html)?.[1] ?? '';
      const target = new URL(action.replaceAll('&#38;', '&'));
      expect(target.origin + target.pathname).toBe(`${app.url}/b24/app`);
      expect(target.searchParams.get('LANG')).toBe('en');
      expect(target.searchParams.get('DOMAIN')).toBe(portal.domain);
      const field = (n: string) => new RegExp(`name="${n}" value="([^"]*)"`).exec(html)?.[1];
      expect(field('PLACEMENT')).toBe('DEFAULT');
      expect(field('member_id')).toBe(portal.memberId);
      // AUTH_ID is a real token of the chosen user
      const who = await rest<{ result: { ID: string } }>(portal, 'profile', { auth: field('AUTH_ID') });
      expect(who.body.result.ID).toBe('2');
      expect(html).toContain('<iframe name="app"');

      await registerAndActivate(2, 'acme_wa');
      const conn = await (await fetch(`${portal.pageUrl}?view=connector&line=2`)).text();
      expect(conn).toContain(`action="${app.url}/b24/connector?`);
      const rawOpts = /name="PLACEMENT_OPTIONS" value="([^"]*)"/.exec(conn)?.[1] ?? '';
      const opts = JSON.parse(rawOpts.replaceAll('&#34;', '"')) as Record<string, unknown>;
      expect(opts).toMatchObject({ CONNECTOR: 'acme_wa', LINE: '2', ACTIVE_STATUS: true });
      expect(/name="PLACEMENT" value="([^"]*)"/.exec(conn)?.[1]).toBe('SETTING_CONNECTOR');
    });

    it('opens a placement the app bound: a chat one with its dialogId, a CRM tab with the record ID', async () => {
      const field = (html: string, n: string) =>
        (new RegExp(`name="${n}" value="([^"]*)"`).exec(html)?.[1] ?? '').replaceAll('&#34;', '"');
      const unbound = await (await fetch(`${portal.pageUrl}?view=IM_TEXTAREA&dialog=chat12`)).text();
      expect(unbound).toContain('has not bound the placement IM_TEXTAREA');
      for (const [placement, path] of [
        ['IM_TEXTAREA', '/b24/chat-templates'],
        ['CRM_DEAL_DETAIL_TAB', '/b24/crm-templates'],
      ] as const) {
        const bound = await rest(portal, 'placement.bind', {
          auth: token,
          PLACEMENT: placement,
          HANDLER: `${app.url}${path}`,
          TITLE: 'WhatsApp',
        });
        expect(bound.body).toMatchObject({ result: true });
      }
      const chat = await (await fetch(`${portal.pageUrl}?view=IM_TEXTAREA&dialog=chat12&user=2`)).text();
      expect(chat).toContain(`action="${app.url}/b24/chat-templates?`);
      expect(field(chat, 'PLACEMENT')).toBe('IM_TEXTAREA');
      expect(JSON.parse(field(chat, 'PLACEMENT_OPTIONS'))).toEqual({ dialogId: 'chat12' });
      const deal = await (await fetch(`${portal.pageUrl}?view=CRM_DEAL_DETAIL_TAB&id=7`)).text();
      expect(deal).toContain(`action="${app.url}/b24/crm-templates?`);
      expect(field(deal, 'PLACEMENT')).toBe('CRM_DEAL_DETAIL_TAB');
      expect(JSON.parse(field(deal, 'PLACEMENT_OPTIONS'))).toEqual({ ID: '7' });
    });
  });
});
