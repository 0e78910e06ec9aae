import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, SAMPLE_PORTAL } from '../../scripts/stack.js';
import { CAMPAIGN_TEXTS as CT } from '../../src/modules/pages/campaigns-texts.js';
import { launchBrowser, shot } from '../helpers/browser.js';
import { installedEnterprise, useStack } from '../helpers/stack.js';
import { addTemplate } from '../helpers/templates.js';

/**
 * The Campaigns tab in a real browser (issue 14): a campaign created from the tab, a CSV with one
 * bad row uploaded, the preview as the customer will read it and the rejected row with its reason in
 * words; the same draft in English; started, it shows its progress, the funnel and the buttons its
 * status allows. Screenshots in es and en.
 */
describe('campaigns tab in Chromium', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let token = '';
  const CSV =
    'telefono;nombre;param1;param2\n' +
    '+54 9 11 5555-0001;Ana Pérez;Ana;A-1001\n' +
    '12345;Número malo;Luis;A-1002\n' +
    '011 15-5555-0003;Carla;Carla;A-1003\n';

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.browser.newPage();
    const installed = await installedEnterprise(s);
    token = installed.token;
    await addTemplate(s, { channelId: installed.ch.id, name: 'pedido_listo', displayName: 'Pedido listo' });
  });
  afterAll(async () => browser?.close());

  const tab = async (lang: 'es' | 'en'): Promise<FrameLocator> => {
    await page.goto(`${s.portal.pageUrl}?lang=${lang}`);
    const app = page.frameLocator('iframe[name=app]');
    await app.locator('body[data-ready=channels]').waitFor();
    await app.locator('button[data-tab=campaigns]').click();
    await app.locator('body[data-ready=campaigns]').waitFor();
    return app;
  };
  const tallShot = async (name: string) => {
    await page.setViewportSize({ width: 1100, height: 1500 });
    await shot(page, name);
    await page.setViewportSize({ width: 1100, height: 700 });
  };

  it('creates a draft, uploads a CSV with one bad row, shows the preview and the rejected row (es)', async () => {
    const app = await tab('es');
    await app.locator('#cmp-none').waitFor();
    await app.locator('#cmp-new').click();
    await app.locator('#cmp-form input[name=name]').fill('Pedidos de diciembre');
    await app.locator('#cmp-form select[name=templateId] option').first().waitFor({ state: 'attached' });
    // The replies' agents are picked by name from the portal's users, not typed as ids.
    await app.locator('#cmp-form input[name=replyUsersSearch]').fill('Bruno');
    await app.locator('#cmp-agents label', { hasText: 'Bruno Agente' }).click();
    await app.locator('#cmp-save').click();
    await app.locator('#cmp-file').waitFor();
    const saved = await s.deps.db
      .selectFrom('campaigns')
      .select('reply_user_ids')
      .where('name', '=', 'Pedidos de diciembre')
      .executeTakeFirstOrThrow();
    expect(saved.reply_user_ids).toHaveLength(1);
    await app.locator('#cmp-agents input[type=checkbox]:checked').first().waitFor();
    expect(
      await app.locator('#cmp-agents label', { hasText: 'Bruno Agente' }).locator('input').isChecked(),
    ).toBe(true);
    await app.locator('#cmp-file').setInputFiles({
      name: 'clientes.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(CSV),
    });
    await app.locator('#cmp-upload').click();
    const first = app.locator('#cmp-preview-table tr[data-line="2"]');
    await first.waitFor();
    expect(await first.locator('.cmp-bubble').textContent()).toBe('Hola Ana, su pedido A-1001 está listo.');
    expect(await app.locator('#cmp-preview-table tbody tr').count()).toBe(2);
    const bad = app.locator('#cmp-rejected-table tr[data-line="3"]');
    expect(await bad.getAttribute('data-code')).toBe('phone_invalid');
    expect(await bad.textContent()).toContain(CT['rc.phone_invalid'][0]);
    expect(await bad.textContent()).toContain('El número no es un celular válido.');
    expect(await app.locator('#cmp-counts').textContent()).toBe('3 filas: 2 se enviarán, 1 rechazadas.');
    await app.locator('#cmp-rejected-csv').waitFor();
    await tallShot('campaigns-draft.es');
  });

  it('the same draft in English: the list, its preview and rejected row', async () => {
    const app = await tab('en');
    await app.locator('#cmp-table a[data-campaign]').click();
    await app.locator('#cmp-preview-table tr[data-line="2"]').waitFor();
    expect(await app.locator('#cmp-rejected-table tr[data-line="3"]').textContent()).toContain(
      CT['rc.phone_invalid'][1],
    );
    expect(await app.locator('#cmp-start').textContent()).toBe(CT.start[1]);
    await tallShot('campaigns-draft.en');
  });

  it('started: the progress view refreshes itself as rows go out; the funnel and the buttons (en)', async () => {
    const list = await api<{ items: Array<{ id: number }> }>(s, token, 'GET', '/campaigns');
    const id = list.body.items[0]?.id ?? 0;
    // Any day, any hour: the sandbox Gupshup takes the two rows at once.
    const patch = await api(s, token, 'PATCH', `/campaigns/${id}`, {
      window: { days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' },
    });
    expect(patch.status).toBe(200);
    const app = await tab('en');
    await app.locator(`#cmp-table a[data-campaign="${id}"]`).click();
    await app.locator('#cmp-start').click();
    await app.locator('#cmp-summary').waitFor();
    await app.locator('#cmp-funnel-table tr[data-step="queued"]').waitFor();
    // Read again every 2 s while it runs: the bar reaches both rows without reloading the page.
    await app.locator('#cmp-bar', { hasText: '2 of 2 (100%)' }).waitFor({ timeout: 30_000 });
    expect(await app.locator('#cmp-funnel-table tr[data-step="sent"] td').first().textContent()).toBe('2');
    await tallShot('campaigns-progress.en');
  });

  it('the opt-outs: a number added by hand in national form, listed with its origin, then removed (es)', async () => {
    const app = await tab('es');
    await app.locator('#cmp-optouts-list').waitFor();
    await app.locator('#cmp-optouts input[name=phone]').fill('011 15-5555-0009');
    await app.locator('#cmp-optout-add').click();
    const row = app.locator('#cmp-optouts-list tr[data-phone="+5491155550009"]');
    await row.waitFor();
    expect(await row.textContent()).toContain(CT['src.manual'][0]);
    await app.locator('#cmp-optouts input[name=phone]').fill('hola');
    await app.locator('#cmp-optout-add').click();
    await app.locator('#cmp-optouts-msg .notice.error').waitFor();
    expect(await app.locator('#cmp-optouts-msg').textContent()).toMatch(/^El número no es válido/);
    await tallShot('campaigns-list.es');
    await row.locator('button[data-remove]').click();
    await app.locator('#cmp-optouts-list', { hasText: CT.optOutNone[0] }).waitFor();
  });

  it('a draft’s list from the CRM: the filter sent, the page follows the job and shows the preview (en)', async () => {
    for (let i = 0; i < 3; i += 1) {
      s.portal.addContact({
        NAME: `Expo ${i}`,
        SOURCE_ID: 'TRADE_SHOW',
        PHONE: [{ VALUE: `+54911557${70000 + i}` }],
      });
    }
    const ch = await s.deps.db.selectFrom('channels').select('id').executeTakeFirstOrThrow();
    const tpl = await s.deps.db.selectFrom('templates').select('id').executeTakeFirstOrThrow();
    const created = await api<{ id: number }>(s, token, 'POST', '/campaigns', {
      name: 'Feria',
      channelId: ch.id,
      templateId: tpl.id,
    });
    expect(created.status).toBe(201);
    const app = await tab('en');
    await app.locator(`#cmp-table a[data-campaign="${created.body.id}"]`).click();
    await app.locator('#cmp-crm summary').click();
    // Pipelines, stages and users come from the portal as lists, not typed ids: deals have both,
    // contacts neither.
    await app.locator('#cmp-crm select[name=entity]').selectOption('deal');
    await app.locator('#cmp-crm select[name=categoryId] option').nth(1).waitFor({ state: 'attached' });
    expect(await app.locator('#cmp-crm select[name=stageId] option').count()).toBeGreaterThan(1);
    expect(await app.locator('#cmp-crm select[name=categoryId]').isVisible()).toBe(true);
    await app.locator('#cmp-crm select[name=assignedById] option').nth(1).waitFor({ state: 'attached' });
    await app.locator('#cmp-crm select[name=entity]').selectOption('contact');
    expect(await app.locator('#cmp-crm select[name=stageId]').isVisible()).toBe(false);
    expect(await app.locator('#cmp-crm select[name=categoryId]').isVisible()).toBe(false);
    await app.locator('#cmp-crm input[name=sourceId]').fill('TRADE_SHOW');
    await app.locator('#cmp-crm input[name=params]').fill('{name} | F-1');
    await app.locator('#cmp-crm-load').click();
    const first = app.locator('#cmp-preview-table tr[data-line="1"]');
    await first.waitFor({ timeout: 30_000 });
    expect(await first.locator('.cmp-bubble').textContent()).toBe('Hola Expo 0, su pedido F-1 está listo.');
    expect(await app.locator('#cmp-counts').textContent()).toBe('3 rows: 3 will be sent, 0 rejected.');
  });
});
