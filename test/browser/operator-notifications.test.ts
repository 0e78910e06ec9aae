import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, installAndToken, SAMPLE_PORTAL, STACK_OPERATOR_TOKEN } from '../../scripts/stack.js';
import { OPERATOR_NOTIFICATION_TEXTS as OT } from '../../src/modules/pages/operator-notifications-texts.js';
import { launchBrowser, shot } from '../helpers/browser.js';
import { useStack } from '../helpers/stack.js';

/**
 * The operator page's Notifications section in a real browser (issue 13 item 5): signed in with
 * OPERATOR_TOKEN, the portals that use notifications with their trial, usage and calling codes; a
 * portal's dialog found by its accessible names, a badly shaped code refused in the page and a code
 * no country has refused by the server (its message in the dialog, nothing saved); then the limits
 * raised, +52 added and the full service switched on. The portal's admin then sees, through the API,
 * the limits moved: a second group and a Mexican number are accepted where the trial refused them.
 * The domain search, and 20 portals a page with the rest under "More portals".
 */
type Overview = {
  fullService: boolean;
  trial: unknown;
  limits: { recipients: number; groups: number };
  allowedCallingCodes: string[];
};

describe('operator notifications section in Chromium', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let token = '';
  let portalId = 0;
  const en = (k: keyof typeof OT, vars: Record<string, string | number> = {}) =>
    OT[k][1].replace(/\{(\w+)\}/g, (all, v: string) => String(vars[v] ?? all));
  const mexican = { firstName: 'Ana', lastName: 'López', phone: '+52 55 1234 5678' };

  const operatorPatch = async (id: number, body: unknown) => {
    const r = await fetch(`${s.url}/api/v1/operator/notifications/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${STACK_OPERATOR_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(r.status).toBe(200);
  };

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.browser.newPage();
    await page.setViewportSize({ width: 1100, height: 800 });
    token = await installAndToken(s);
    // The admin opens the tab (the portal's notifications start, in the trial).
    expect((await api(s, token, 'GET', '/notification-groups')).status).toBe(200);
    portalId = (await s.deps.db.selectFrom('portals').select('id').executeTakeFirstOrThrow()).id;
    // Another portal, already on the full service, so the list has more than one row.
    const other = await s.deps.db
      .insertInto('portals')
      .values({
        member_id: 'member-op-other',
        domain: 'otra-empresa.bitrix24.es',
        client_endpoint: 'https://otra-empresa.bitrix24.es/rest/',
        status: 'installed',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await operatorPatch(other.id, {
      fullService: true,
      maxRecipients: 40,
      allowedCallingCodes: ['54', '598'],
    });
    // And one whose trial ended 5 days ago.
    const ended = await s.deps.db
      .insertInto('portals')
      .values({
        member_id: 'member-op-ended',
        domain: 'prueba-vencida.bitrix24.com',
        client_endpoint: 'https://prueba-vencida.bitrix24.com/rest/',
        status: 'installed',
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await operatorPatch(ended.id, { maxGroups: 3 });
    await s.deps.db
      .updateTable('notification_settings')
      .set({ trial_started_at: new Date(Date.now() - 20 * 86_400_000) })
      .where('portal_id', '=', ended.id)
      .execute();
  });
  afterAll(async () => browser?.close());

  it('raises a portal’s limits, adds a calling code and switches the full service on', async () => {
    // In the trial the admin may not add a second group nor a number from Mexico.
    expect((await api(s, token, 'POST', '/notification-groups', { name: 'Clientes' })).status).toBe(409);

    await page.goto(`${s.url}/operator?lang=en`);
    await page.locator('body[data-ready=operator]').waitFor();
    await page.getByLabel('Operator token').fill(STACK_OPERATOR_TOKEN);
    await page.locator('#op-signin button[type=submit]').click();
    await page.locator('#op-ntf[data-state=ready]').waitFor();

    const row = page.locator(`#op-ntf tr[data-portal="${portalId}"]`);
    await expect(row.locator('td').first().textContent()).resolves.toBe(s.portal.domain);
    await expect(row.locator('.badge').textContent()).resolves.toBe(en('trialDays', { n: 15 }));
    await expect(row.locator('[data-col=numbers]').textContent()).resolves.toBe('0 / 1');
    await expect(row.locator('[data-col=groups]').textContent()).resolves.toBe('1 / 1');
    await expect(row.locator('[data-col=codes]').textContent()).resolves.toBe('+54');
    await expect(page.locator('#op-ntf tr[data-portal]').count()).resolves.toBe(3);
    await expect(
      page.locator('#op-ntf tr[data-portal]').last().locator('.badge').textContent(),
    ).resolves.toBe(en('trialEnded'));

    await page.getByRole('button', { name: en('changeLabel', { domain: s.portal.domain }) }).click();
    const dlg = page.getByRole('dialog', { name: en('dialogTitle', { domain: s.portal.domain }) });
    await dlg.waitFor();
    await dlg.getByLabel(en('maxRecipients')).fill('25');
    await dlg.getByLabel(en('maxGroups')).fill('5');
    await dlg.getByLabel(en('fullService')).check();

    // The only code cannot be removed; a code that is not 1 to 3 digits is refused in the page.
    await dlg.getByRole('button', { name: en('removeCode', { code: '54' }) }).click();
    await expect(dlg.locator('#opn-code-msg').textContent()).resolves.toBe(en('noCodes'));
    const code = dlg.getByLabel(en('addCode'));
    await code.fill('0054');
    await dlg.getByRole('button', { name: en('add'), exact: true }).click();
    await expect(dlg.locator('#opn-code-msg').textContent()).resolves.toBe(en('badCode'));

    // A code no country has: the server refuses it and the dialog says why; nothing is saved.
    await code.fill('999');
    await code.press('Enter');
    await dlg.locator('li[data-code="999"]').waitFor();
    await dlg.getByRole('button', { name: 'Save' }).click();
    await dlg.locator('.notice.error').waitFor();
    await expect(dlg.locator('.notice.error').textContent()).resolves.toContain(
      'no country has the calling code 999',
    );
    await shot(page, 'operator-notifications-dialog.en');
    const before = await api<Overview>(s, token, 'GET', '/notification-groups');
    expect(before.body).toMatchObject({ fullService: false, limits: { recipients: 1, groups: 1 } });

    await dlg.getByRole('button', { name: en('removeCode', { code: '999' }) }).click();
    await code.fill('+52');
    await dlg.getByRole('button', { name: en('add'), exact: true }).click();
    await dlg.getByRole('button', { name: 'Save' }).click();
    await page.locator('#opn-msg .notice.ok').waitFor();
    await expect(dlg.count()).resolves.toBe(0);
    await expect(page.locator('#opn-msg').textContent()).resolves.toBe(
      en('saved', { domain: s.portal.domain }),
    );
    await page.locator('#op-ntf[data-state=ready]').waitFor();
    await expect(row.locator('.badge').textContent()).resolves.toBe(en('full'));
    await expect(row.locator('[data-col=numbers]').textContent()).resolves.toBe('0 / 25');
    await expect(row.locator('[data-col=groups]').textContent()).resolves.toBe('1 / 5');
    await expect(row.locator('[data-col=codes]').textContent()).resolves.toBe('+54, +52');
    await page.locator('#op-ntf').scrollIntoViewIfNeeded();
    await shot(page, 'operator-notifications.en');

    // As the portal's admin, through the API: the limits moved.
    const after = await api<Overview>(s, token, 'GET', '/notification-groups');
    expect(after.body).toMatchObject({
      fullService: true,
      trial: null,
      limits: { recipients: 25, groups: 5 },
      allowedCallingCodes: ['54', '52'],
    });
    const clientes = await api<{ group: { id: number } }>(s, token, 'POST', '/notification-groups', {
      name: 'Clientes',
    });
    expect(clientes.status).toBe(201);
    const added = await api(
      s,
      token,
      'POST',
      `/notification-groups/${clientes.body.group.id}/recipients`,
      mexican,
    );
    expect(added.status).toBe(201);
  });

  it('searches the portals by domain', async () => {
    await page.getByLabel(en('search')).fill('otra');
    await page.getByRole('button', { name: en('find'), exact: true }).click();
    await page.locator('#op-ntf[data-state=ready]').waitFor();
    await expect(page.locator('#op-ntf tr[data-portal]').count()).resolves.toBe(1);
    const other = page.locator('#op-ntf tr[data-portal]');
    await expect(other.locator('td').first().textContent()).resolves.toBe('otra-empresa.bitrix24.es');
    await expect(other.locator('[data-col=numbers]').textContent()).resolves.toBe('0 / 40');
    await expect(other.locator('[data-col=codes]').textContent()).resolves.toBe('+54, +598');
  });

  it('shows 20 portals a page and the rest under More portals', async () => {
    for (let i = 1; i <= 20; i++) {
      const p = await s.deps.db
        .insertInto('portals')
        .values({
          member_id: `member-op-page-${i}`,
          domain: `pagina${i}.bitrix24.es`,
          client_endpoint: `https://pagina${i}.bitrix24.es/rest/`,
          status: 'installed',
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await operatorPatch(p.id, { maxGroups: 4 });
    }
    const rows = page.locator('#op-ntf tr[data-portal]');
    const more = page.getByRole('button', { name: en('more') });
    await page.getByLabel(en('search')).fill('');
    await page.getByRole('button', { name: en('find'), exact: true }).click();
    await page.locator('#op-ntf[data-state=ready]').waitFor();
    await expect(rows.count()).resolves.toBe(20);
    await expect(more.isVisible()).resolves.toBe(true);
    await more.click();
    await page.locator('#op-ntf[data-state=ready]').waitFor();
    await expect(rows.count()).resolves.toBe(23);
    await expect(more.isVisible()).resolves.toBe(false);
    const domains = await rows.locator('td:first-child').allTextContents();
    expect(new Set(domains).size).toBe(23);
  });
});
