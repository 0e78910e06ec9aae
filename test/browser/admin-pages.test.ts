import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectChannel, installAndToken, SAMPLE_PORTAL, waitFor } from '../../scripts/stack.js';
import { launchBrowser, shot } from '../helpers/browser.js';
import { useStack } from '../helpers/stack.js';

/**
 * Issue 4 in a real browser: Debian's Chromium opens the sandbox portal's page (its own origin), which
 * POSTs the app its frontend auth into an iframe as Bitrix24 does. Screenshots of every page in es
 * and en land in test/screenshots/ for reviewers.
 */
describe('admin pages in Chromium', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const CONNECTOR = 'whatsappb24_gupshup';

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.browser.newPage();
  });
  afterAll(async () => browser?.close());

  const open = async (query: string, ready = 'channels'): Promise<FrameLocator> => {
    await page.goto(`${s.portal.pageUrl}${query}`);
    const app = page.frameLocator('iframe[name=app]');
    await app.locator(`body[data-ready=${ready}]`).waitFor();
    return app;
  };
  const tab = async (app: FrameLocator, name: string) => {
    await app.locator(`[data-tab=${name}]`).click();
    await app.locator(`body[data-ready=${name}]`).waitFor();
  };

  it('renders the main page inside the portal page of another origin, in the portal language', async () => {
    const token = await installAndToken(s);
    // An Enterprise portal (5 req/s, burst 250, reference §7): a person clicking through every page
    // in a few seconds is what these tests do, and they are about the pages, not the REST budget
    // (batching.test.ts and two-instances.test.ts hold that).
    s.portal.setRate({ drainPerSec: 5, burst: 250 });
    await s.deps.db.updateTable('portals').set({ rate_drain_per_sec: 5, rate_burst: 250 }).execute();
    const ch = await connectChannel(s, token, 1);
    await s.gupshup.customerSends({
      appName: ch.appName,
      from: '5491155550001',
      name: 'María',
      text: 'Hola',
    });
    await waitFor(
      () => s.portal.messages({ author: 'customer' }).length > 0,
      20_000,
      'the message in Bitrix24',
    );

    const app = await open('?lang=es');
    const frame = page.frames().find((f) => f.name() === 'app');
    expect(new URL(frame?.url() ?? '').origin).toBe(new URL(s.url).origin);
    expect(new URL(page.url()).origin).not.toBe(new URL(s.url).origin);
    await expect(app.locator('h1').textContent()).resolves.toBe('WhatsApp para Bitrix24');
    await expect(app.locator('#tabs').textContent()).resolves.toContain('Canales');
    await app.locator('[data-health]').first().waitFor();
    await expect(app.locator('#channels tbody tr').first().textContent()).resolves.toContain('Tienda 1');
    await shot(page, 'app-channels.es');
  });

  it('connects a Gupshup app (key checked, callback URL to copy), activates it on a line and deactivates it', async () => {
    s.gupshup.addApp({
      appName: 'NuevaTienda',
      appId: 'app-nueva',
      apiKey: 'key-nueva-abcdefgh',
      sourceNumber: '5491100000077',
    });
    const app = await open('?lang=es');
    await app.locator('#connect').click();
    const dlg = app.locator('form.dialog');
    await dlg.locator('input[name=name]').fill('Tienda <b>Norte</b>');
    await dlg.locator('input[name=gupshupAppName]').fill('NuevaTienda');
    await dlg.locator('input[name=gupshupAppId]').fill('app-nueva');
    await dlg.locator('input[name=sourceNumber]').fill('+54 9 11 0000-0077');
    await dlg.locator('input[name=apiKey]').fill('a-wrong-api-key');
    await dlg.locator('button[type=submit]').click();
    await expect(dlg.locator('.notice.error').textContent()).resolves.toMatch(/rejected this API key/);

    await dlg.locator('input[name=apiKey]').fill('key-nueva-abcdefgh');
    await dlg.locator('button[type=submit]').click();
    const callback = await dlg.locator('input[data-copy]').inputValue();
    expect(callback).toMatch(new RegExp(`^${s.url}/webhooks/gupshup/[0-9a-f-]+/`));
    await shot(page, 'app-connect.es');
    await dlg.locator('button', { hasText: 'Cerrar' }).click();

    // The name is shown as text, never as markup.
    const row = app.locator('#channels tbody tr', { hasText: 'Tienda <b>Norte</b>' });
    await expect(row.locator('.badge').first().textContent()).resolves.toBe('Pendiente');

    await row.locator('.switch span').click();
    await app.locator('form.dialog select[name=lineId]').selectOption('2');
    await app.locator('form.dialog button[type=submit]').click();
    await app
      .locator('#channels tbody tr', { hasText: 'Tienda <b>Norte</b>' })
      .locator('.badge.active')
      .waitFor();
    expect(s.portal.lineStatus(2, CONNECTOR).active).toBe(true);

    const again = app.locator('#channels tbody tr', { hasText: 'Tienda <b>Norte</b>' });
    await again.locator('.switch span').click();
    await expect(app.locator('form.dialog').textContent()).resolves.toContain('sale de sus colas');
    await app.locator('form.dialog button[type=submit]').click();
    await app
      .locator('#channels tbody tr', { hasText: 'Tienda <b>Norte</b>' })
      .locator('.badge.inactive')
      .waitFor();
    expect(s.portal.lineStatus(2, CONNECTOR).active).toBe(false);
  });

  it('assigns roles that survive a reload', async () => {
    let app = await open('?lang=es');
    await tab(app, 'roles');
    const carla = app.locator('#roles tr[data-user="3"]');
    await carla.locator('input[data-role=salesRep]').check();
    await carla.locator('input[data-role=receivesNew]').check();
    await app.locator('#roles tr[data-user="5"] input[data-role=qualityControl]').check();
    await app.locator('#roles-apply').click();
    await app.locator('.notice.ok').waitFor();
    await shot(page, 'app-roles.es');

    app = await open('?lang=es');
    await tab(app, 'roles');
    await expect(app.locator('#roles tr[data-user="3"] input[data-role=salesRep]').isChecked()).resolves.toBe(
      true,
    );
    await expect(
      app.locator('#roles tr[data-user="3"] input[data-role=receivesNew]').isChecked(),
    ).resolves.toBe(true);
    await expect(
      app.locator('#roles tr[data-user="5"] input[data-role=qualityControl]').isChecked(),
    ).resolves.toBe(true);
    await expect(app.locator('#roles tr[data-user="4"] input[data-role=salesRep]').isChecked()).resolves.toBe(
      false,
    );
    const stored = await s.deps.db
      .selectFrom('channel_roles')
      .select(['user_id', 'sales_rep', 'receives_new'])
      .execute();
    expect(stored.filter((r) => r.sales_rep).map((r) => [r.user_id, r.receives_new])).toEqual([[3, true]]);

    await tab(app, 'trace');
    await app.locator('#trace tbody tr').first().waitFor();
    await shot(page, 'app-trace.es');
    await tab(app, 'settings');
    await app.locator('#channel-settings dd', { hasText: 'USD' }).waitFor();
    await shot(page, 'app-settings.es');
  });

  it('follows LANG: English and Portuguese pages, the connector placement', async () => {
    const app = await open('?lang=en');
    await expect(app.locator('h1').textContent()).resolves.toBe('WhatsApp for Bitrix24');
    await app.locator('[data-health]').first().waitFor();
    await shot(page, 'app-channels.en');
    await tab(app, 'roles');
    await shot(page, 'app-roles.en');
    await tab(app, 'trace');
    await app.locator('#trace tbody tr').first().waitFor();
    await shot(page, 'app-trace.en');
    await tab(app, 'settings');
    await app.locator('#channel-settings dd', { hasText: 'USD' }).waitFor();
    await shot(page, 'app-settings.en');

    const pt = await open('?lang=pt');
    await expect(pt.locator('#tabs').textContent()).resolves.toContain('Canais');

    for (const lang of ['es', 'en'] as const) {
      const conn = await open(`?view=connector&line=1&lang=${lang}`, 'connector');
      await expect(conn.locator('#bitrix-state').textContent()).resolves.toBe(
        lang === 'es' ? 'conectado' : 'connected',
      );
      await expect(conn.locator('#connector-state').textContent()).resolves.toContain('Tienda 1');
      await shot(page, `connector.${lang}`);
    }
  });

  it('picks a channel for a line from the connector placement and activates it there', async () => {
    const conn = await open('?view=connector&line=2&lang=es', 'connector');
    await expect(conn.locator('#bitrix-state').textContent()).resolves.toBe('no conectado');
    await conn
      .locator('select[name=channel]')
      .selectOption({ label: 'Tienda <b>Norte</b> (+5491100000077)' });
    await conn.locator('#conn-activate').click();
    await conn.locator('form.dialog button[type=submit]').click();
    await conn
      .locator('#bitrix-state', { hasText: 'conectado' })
      .and(conn.locator('.badge.active'))
      .waitFor();
    expect(s.portal.lineStatus(2, CONNECTOR).active).toBe(true);
  });

  it('a wrong frontend auth shows an error page, not a stack trace', async () => {
    for (const lang of ['es', 'en'] as const) {
      await page.setContent(
        `<form method="post" action="${s.url}/b24/app?DOMAIN=${encodeURIComponent(s.portal.domain)}&PROTOCOL=0&LANG=${lang}">` +
          `<input name="AUTH_ID" value="forged-token"><input name="member_id" value="${s.portal.memberId}"></form>`,
      );
      await Promise.all([page.waitForNavigation(), page.evaluate('document.forms[0].submit()')]);
      const text = (await page.locator('body').textContent()) ?? '';
      expect(text).toContain(lang === 'es' ? 'No se pudo completar' : 'This could not be completed');
      expect(text).not.toMatch(/at .+\.(ts|js):\d+|Error:|stack/i);
      await shot(page, `error.${lang}`);
    }
  });
});
