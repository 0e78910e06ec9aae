import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, SAMPLE_PORTAL, STACK_OPERATOR_TOKEN, waitFor } from '../../scripts/stack.js';
import { NOTIFICATION_TEXTS as NT } from '../../src/modules/pages/notifications-texts.js';
import { launchBrowser, shot } from '../helpers/browser.js';
import { installedEnterprise, useStack } from '../helpers/stack.js';
import { addTemplate } from '../helpers/templates.js';

/**
 * The Notifications tab in a real browser (issue 13, the seed's "Configuración WSP"): the groups
 * list with the trial banner, the groups limit said in the page's words, a group's page with its
 * recipients (a landline refused next to the number, then a mobile added; mark and unmark all), its
 * companies searched in the sandbox CRM and one chosen, a report's schedule changed to custom
 * weekdays and hours, a report created with its template and parameters, the admin's settings, and a
 * user the API does not let manage notifications told so. No digest is sent here, so the history is
 * empty (digests in the history: notifications-digests-tab.test.ts). Screenshots in es and en.
 */
type Group = {
  group: {
    allCompanies: boolean;
    companies: { id: number; title: string }[];
    recipients: { phone: string; enabled: boolean }[];
    reports: { id: number; enabled: boolean; schedule: Record<string, string> }[];
  };
};

describe('notifications tab in Chromium', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let token = '';
  let portalId = 0;
  let groupId = 0;
  const BRUNO = 2;
  const es = (k: keyof typeof NT, vars: Record<string, string | number> = {}) =>
    NT[k][0].replace(/\{(\w+)\}/g, (all, v: string) => String(vars[v] ?? all));
  const en = (k: keyof typeof NT) => NT[k][1];

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.browser.newPage();
    const installed = await installedEnterprise(s);
    token = installed.token;
    portalId = (await s.deps.db.selectFrom('portals').select('id').executeTakeFirstOrThrow()).id;
    const t = await addTemplate(s, {
      channelId: installed.ch.id,
      name: 'aprobaciones',
      displayName: 'Aprobaciones',
      body: 'Hubo {{1}} aprobaciones: {{2}}',
    });
    const r = await api(s, token, 'POST', '/notification-reports', {
      kind: 'deal_stage',
      categoryId: 0,
      stageId: 'WON',
      name: 'Aprobaciones',
      templateId: t.id,
      params: ['count', 'titles'],
    });
    expect(r.status).toBe(201);
  });
  afterAll(async () => browser?.close());

  const tab = async (lang: 'es' | 'en', user?: number): Promise<FrameLocator> => {
    await page.goto(`${s.portal.pageUrl}?lang=${lang}${user ? `&user=${user}` : ''}`);
    const app = page.frameLocator('iframe[name=app]');
    await app.locator('body[data-ready=channels]').waitFor();
    await app.locator('button[data-tab=notifications]').click();
    await app.locator('body[data-ready=notifications]').waitFor();
    return app;
  };
  const openGroup = async (app: FrameLocator, id: number) => {
    await app.locator(`#ntf-groups-table button[data-edit="${id}"]`).click();
    await app.locator('body[data-ready=notifications-group]').waitFor();
  };
  const group = async () => (await api<Group>(s, token, 'GET', `/notification-groups/${groupId}`)).body.group;
  const tallShot = async (name: string) => {
    await page.setViewportSize({ width: 1100, height: 1700 });
    await shot(page, name);
    await page.setViewportSize({ width: 1100, height: 700 });
  };

  it('lists the main group with the trial banner, and says so when the groups limit is reached', async () => {
    const app = await tab('es');
    await expect(app.locator('#ntf-groups-title').textContent()).resolves.toBe('Grupos (1/1)');
    const cells = await app.locator('#ntf-groups-table tbody tr td').allTextContents();
    expect(cells.slice(0, 4)).toEqual(['1', 'Principal ' + es('main'), '0/0', es('allCompanies')]);
    await expect(app.locator('#ntf-banner').textContent()).resolves.toContain(es('trial', { n: 15 }));
    await expect(app.locator('#ntf-banner').textContent()).resolves.toContain(es('askVendor'));

    await app.locator('#ntf-new-group').click();
    await app.locator('.dialog input[name=name]').fill('Cliente Uno');
    await app.locator('.dialog button[type=submit]').click();
    await app.locator('.dialog .notice.error').waitFor();
    await expect(app.locator('.dialog .notice.error').textContent()).resolves.toBe(
      es('groupsLimit', { used: 1, max: 1 }),
    );
    await app.locator('.dialog .dlg-close').click();
    const groups = await api<{ groups: unknown[] }>(s, token, 'GET', '/notification-groups');
    expect(groups.body.groups).toHaveLength(1);
  });

  it('adds a group within the limits the operator raised and opens its page', async () => {
    const raised = await fetch(`${s.url}/api/v1/operator/notifications/${portalId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${STACK_OPERATOR_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ fullService: true, maxGroups: 3, maxRecipients: 10 }),
    });
    expect(raised.status).toBe(200);
    const app = await tab('es');
    await expect(app.locator('#ntf-groups-title').textContent()).resolves.toBe('Grupos (1/3)');
    await expect(app.locator('#ntf-banner').textContent()).resolves.toContain(
      es('limits', { recipients: 10, groups: 3 }),
    );
    await app.locator('#ntf-new-group').click();
    await app.locator('.dialog input[name=name]').fill('Cliente Uno');
    await app.locator('.dialog button[type=submit]').click();
    await app.locator('body[data-ready=notifications-group]').waitFor();
    await expect(app.locator('#ntf-group-name').textContent()).resolves.toBe('Cliente Uno');
    await expect(app.locator('#ntf-recipients-title').textContent()).resolves.toBe('1- Destinatarios (0/10)');
    const groups = await api<{ groups: { id: number; name: string }[] }>(
      s,
      token,
      'GET',
      '/notification-groups',
    );
    groupId = groups.body.groups.find((g) => g.name === 'Cliente Uno')?.id ?? 0;
    expect(groupId).toBeGreaterThan(0);
  });

  it('refuses a landline next to the number, adds mobiles, and marks and unmarks them all', async () => {
    const app = await tab('es');
    await openGroup(app, groupId);
    await app.locator('#ntf-add-recipient').click();
    await app.locator('.dialog input[name=firstName]').fill('José');
    await app.locator('.dialog input[name=lastName]').fill('Pérez');
    await app.locator('.dialog input[name=phone]').fill('+54 11 3012-1163');
    await app.locator('.dialog button[type=submit]').click();
    const err = app.locator('.dialog #ntf-err-phone');
    await err.waitFor();
    await expect(err.getAttribute('data-code')).resolves.toBe('not_mobile');
    await expect(err.textContent()).resolves.toBe(es('phone_not_mobile'));
    await expect(app.locator('.dialog input[name=phone]').getAttribute('aria-invalid')).resolves.toBe('true');
    expect((await group()).recipients).toEqual([]);

    await app.locator('.dialog input[name=phone]').fill('+54 9 11 3012-1163');
    await app.locator('.dialog button[type=submit]').click();
    await app.locator('#ntf-recipients-table tr[data-recipient]').first().waitFor();
    await expect(app.locator('#ntf-recipients-title').textContent()).resolves.toBe('1- Destinatarios (1/10)');
    await expect(app.locator('.dialog').count()).resolves.toBe(0);

    await app.locator('#ntf-add-recipient').click();
    await app.locator('.dialog input[name=firstName]').fill('Juan');
    await app.locator('.dialog input[name=lastName]').fill('Perez');
    await app.locator('.dialog input[name=phone]').fill('+54 9 11 3012-1664');
    await app.locator('.dialog input[name=reference]').fill('Depósito');
    await app.locator('.dialog button[type=submit]').click();
    await app.locator('#ntf-recipients-table tr[data-recipient]').nth(1).waitFor();
    const numbers = await app.locator('#ntf-recipients-table td.number').allTextContents();
    expect(numbers.sort()).toEqual(['+5491130121163', '+5491130121664']);

    await app.locator('#ntf-unmark-all').click();
    await waitFor(async () => (await group()).recipients.every((r) => !r.enabled), 10_000, 'all unmarked');
    await app.locator('#ntf-recipients-table tr.off').nth(1).waitFor();
    await expect(app.locator('#ntf-recipients-table input[data-enable]:checked').count()).resolves.toBe(0);
    await app.locator('#ntf-mark-all').click();
    await app.locator('#ntf-recipients-table tr.on').nth(1).waitFor();
    await expect(app.locator('#ntf-recipients-table input[data-enable]:checked').count()).resolves.toBe(2);
    expect((await group()).recipients.map((r) => r.enabled)).toEqual([true, true]);
  });

  it('searches the CRM companies and keeps the one chosen', async () => {
    const app = await tab('es');
    await openGroup(app, groupId);
    const titles = () => app.locator('#ntf-companies-table tbody td:nth-child(2)').allTextContents();
    // Choosing companies shows the CRM's first ones at once; typing narrows them.
    await app.locator('#ntf-companies-chosen').check();
    await waitFor(async () => (await titles()).length === 3, 10_000, 'the first companies');
    expect((await titles()).sort()).toEqual(['Empresa 1', 'Empresa 2', 'Ñandú S.A.']);
    await app.locator('#ntf-company-search').fill('empresa');
    await app.locator('#ntf-company-search-btn').click();
    await waitFor(async () => (await titles()).length === 2, 10_000, 'the companies found');
    expect(await titles()).toEqual(['Empresa 1', 'Empresa 2']);
    await app.locator('#ntf-companies-table input[data-company="8"]').check();
    await app.locator('#ntf-companies-save').click();
    await app.locator('#ntf-companies-msg .notice.ok').waitFor();
    const g = await group();
    expect(g.allCompanies).toBe(false);
    expect(g.companies).toEqual([{ id: 8, title: 'Empresa 2' }]);
    // The list counts the chosen companies.
    await app.locator('#ntf-back').click();
    await app.locator('body[data-ready=notifications]').waitFor();
    const row = app.locator(`#ntf-groups-table tr[data-group="${groupId}"] td`);
    await expect(row.nth(3).textContent()).resolves.toBe('1');
    await expect(row.nth(2).textContent()).resolves.toBe('2/2');
  });

  it('changes a report’s schedule to custom weekdays and hours; no weekday is refused in words', async () => {
    const app = await tab('es');
    await openGroup(app, groupId);
    const row = app.locator('#ntf-group-reports-table tr[data-report]').first();
    await row.locator('select[name=preset]').selectOption('custom');
    for (const day of ['MA', 'JU', 'SA', 'DO']) await row.locator(`input[name=day][value=${day}]`).uncheck();
    for (const day of ['LU', 'MI', 'VI']) await row.locator(`input[name=day][value=${day}]`).check();
    await row.locator('input[name=from]').fill('07:00');
    await row.locator('input[name=to]').fill('23:00');
    await row.locator('input[name=enabled]').check();
    await app.locator('#ntf-group-reports-msg .notice.ok').waitFor();
    const saved = (await group()).reports[0];
    expect(saved?.enabled).toBe(true);
    expect(saved?.schedule).toMatchObject({ preset: 'custom', days: 'LU,MI,VI', from: '07:00', to: '23:00' });
    // The redrawn row shows what was saved.
    const again = app.locator('#ntf-group-reports-table tr[data-report]').first();
    await expect(again.locator('select[name=preset]').inputValue()).resolves.toBe('custom');
    await expect(again.locator('input[name=day]:checked').count()).resolves.toBe(3);
    // Every table of the group's page fits in the card at the iframe's usual width.
    const frame = page.frames().find((f) => f.name() === 'app');
    const overflow = await frame?.evaluate<number[]>(`(() => {
      const view = document.getElementById('view');
      const inner = view.getBoundingClientRect().right - parseFloat(getComputedStyle(view).paddingRight);
      return [...view.querySelectorAll('table')].map((t) => Math.max(0, Math.round(t.getBoundingClientRect().right - inner)));
    })()`);
    expect(overflow).toEqual([0, 0, 0]);
    await app.locator('#ntf-history-empty').waitFor();
    await tallShot('notifications-group.es');

    for (const day of ['LU', 'MI', 'VI']) await again.locator(`input[name=day][value=${day}]`).uncheck();
    await again.locator('button[data-save]').click();
    await app.locator('#ntf-group-reports-msg .notice.error').waitFor();
    await expect(app.locator('#ntf-group-reports-msg').textContent()).resolves.toBe(
      es('schedule_no_weekdays'),
    );
    expect((await group()).reports[0]?.schedule.days).toBe('LU,MI,VI');
    // No digest yet: the history says so.
    await expect(app.locator('#ntf-history-empty').textContent()).resolves.toBe(es('historyEmpty'));
  });

  it('saves the settings, refusing an interval outside 15–1440 in the page', async () => {
    const app = await tab('es');
    const settings = app.locator('#ntf-settings');
    await settings.locator('input[name=digestIntervalMinutes]').fill('10');
    await app.locator('#ntf-settings-save').click();
    await expect(app.locator('#ntf-settings-msg').textContent()).resolves.toBe(es('intervalBad'));
    await settings.locator('input[name=digestIntervalMinutes]').fill('30');
    await settings.locator('select[name=timeZone]').selectOption('America/Sao_Paulo');
    await app.locator('#ntf-settings-save').click();
    await app.locator('#ntf-settings-msg .notice.ok').waitFor();
    const o = await api<{ digestIntervalMinutes: number; timeZone: string }>(
      s,
      token,
      'GET',
      '/notification-groups',
    );
    expect(o.body).toMatchObject({ digestIntervalMinutes: 30, timeZone: 'America/Sao_Paulo' });
    await tallShot('notifications-list.es');
  });

  it('creates a report with its template and parameters (en)', async () => {
    const app = await tab('en');
    // A deal stage by its pipeline's and stage's names in the CRM (the sandbox's "General: Ganado").
    const first = app.locator('#ntf-reports-table tr[data-report]').first();
    await first.waitFor();
    await expect(first.locator('td').nth(1).textContent()).resolves.toBe(
      `${en('kind_deal_stage')}: General: Ganado`,
    );
    await app.locator('#ntf-new-report').click();
    await app.locator('.dialog input[name=name]').fill('Deadline changed');
    await app.locator('.dialog select[name=kind]').selectOption('deal_field_changed');
    await app.locator('.dialog input[name=field]').fill('closedate');
    await app.locator('.dialog select[name=templateId]').selectOption({ label: 'Aprobaciones (es)' });
    await expect(app.locator('.dialog select[name=param]').count()).resolves.toBe(2);
    await app.locator('.dialog select[name=param]').nth(1).selectOption('company');
    await app.locator('.dialog button[type=submit]').click();
    await app.locator('#ntf-reports-table tr[data-report]').nth(1).waitFor();
    const reports = await api<{ reports: { name: string; field: string | null; params: string[] }[] }>(
      s,
      token,
      'GET',
      '/notification-reports',
    );
    expect(reports.body.reports.find((r) => r.name === 'Deadline changed')).toMatchObject({
      field: 'CLOSEDATE',
      params: ['count', 'company'],
    });
    await expect(app.locator('#ntf-groups-title').textContent()).resolves.toBe('Groups (2/3)');
    await tallShot('notifications-list.en');
    await openGroup(app, groupId);
    await expect(app.locator('#ntf-recipients-title').textContent()).resolves.toBe('1- Recipients (2/10)');
    await expect(app.locator('#ntf-history-empty').textContent()).resolves.toBe(en('historyEmpty'));
    await tallShot('notifications-group.en');
  });

  it('renames the group, edits and deletes a number, then deletes the group', async () => {
    const app = await tab('es');
    await openGroup(app, groupId);
    await app.locator('#ntf-rename').click();
    await app.locator('.dialog input[name=name]').fill('Cliente Dos');
    await app.locator('.dialog button[type=submit]').click();
    await waitFor(
      async () => (await app.locator('#ntf-group-name').textContent()) === 'Cliente Dos',
      10_000,
      'renamed',
    );

    const juan = app.locator('#ntf-recipients-table tr[data-recipient]', { hasText: 'Juan' });
    await juan.locator('button[data-edit]').click();
    await expect(app.locator('.dialog input[name=phone]').inputValue()).resolves.toBe('+5491130121664');
    await app.locator('.dialog input[name=reference]').fill('Oficina');
    await app.locator('.dialog button[type=submit]').click();
    await app.locator('#ntf-recipients-table td', { hasText: 'Oficina' }).waitFor();

    await app
      .locator('#ntf-recipients-table tr[data-recipient]', { hasText: 'Juan' })
      .locator('button[data-delete]')
      .click();
    await app.locator('.dialog button[type=submit]').click();
    await waitFor(
      async () => (await app.locator('#ntf-recipients-table tr[data-recipient]').count()) === 1,
      10_000,
      'one number left',
    );
    await expect(app.locator('#ntf-recipients-title').textContent()).resolves.toBe('1- Destinatarios (1/10)');
    expect((await group()).recipients.map((r) => r.phone)).toEqual(['+5491130121163']);

    await app.locator('#ntf-back').click();
    await app.locator('body[data-ready=notifications]').waitFor();
    await app.locator(`#ntf-groups-table tr[data-group="${groupId}"] button[data-delete]`).click();
    await app.locator('.dialog button[type=submit]').click();
    await app.locator('#ntf-groups-msg .notice.ok').waitFor();
    await expect(app.locator('#ntf-groups-table tbody tr').count()).resolves.toBe(1);
    // The main group has no Delete.
    await expect(app.locator('#ntf-groups-table button[data-delete]').count()).resolves.toBe(0);
    expect((await api(s, token, 'GET', `/notification-groups/${groupId}`)).status).toBe(404);
  });

  it('tells a user the API does not let manage notifications why; a channel boss manages, without the settings', async () => {
    let app = await tab('es', BRUNO);
    await expect(app.locator('#ntf-forbidden').textContent()).resolves.toBe(es('forbidden'));
    await expect(app.locator('#ntf-groups-table').count()).resolves.toBe(0);

    const FABIO = 6;
    const { body } = await api<{ items: { id: string }[] }>(s, token, 'GET', '/channels/details');
    const roles = await api(s, token, 'PUT', '/roles', {
      changes: [
        {
          channelId: body.items[0]?.id,
          userId: FABIO,
          qualityControl: false,
          salesRep: false,
          receivesNew: false,
          boss: true,
        },
      ],
    });
    expect(roles.status).toBe(200);
    app = await tab('es', FABIO);
    await expect(app.locator('#ntf-groups-table tbody tr').count()).resolves.toBe(1);
    await app.locator('#ntf-reports-table').waitFor();
    await expect(app.locator('#ntf-settings').count()).resolves.toBe(0);
    await expect(app.locator('#ntf-forbidden').count()).resolves.toBe(0);
  });
});
