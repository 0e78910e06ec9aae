import { readFile } from 'node:fs/promises';
import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, SAMPLE_PORTAL, STACK_OPERATOR_TOKEN, waitFor, type DemoChannel } from '../../scripts/stack.js';
import { RETURN_PATH } from '../../src/modules/billing/checkout.service.js';
import { returnText } from '../../src/modules/billing/return-page.js';
import { BILLING_TEXTS, OPERATOR_TEXTS } from '../../src/modules/pages/billing-texts.js';
import { launchBrowser, shot } from '../helpers/browser.js';
import { csvRecords } from '../helpers/csv.js';
import { installedEnterprise, useStack } from '../helpers/stack.js';

/**
 * The Billing tab and the operator page in a real browser (issue 12): the tab is there for a portal
 * admin and neither the tab nor the API for a user whose roles do not allow billing; the balance with
 * what expires soon, the packs on sale, the use chart with its table, and the ledger downloaded as CSV
 * and read back; Buy with Stripe through the sandbox's hosted page until the webhook credits the pack
 * and its paid order shows with a receipt; the low-balance threshold saved, kept, and a negative one
 * refused in the page. The operator page signs in with OPERATOR_TOKEN and changes the offer.
 */
describe('billing tab in Chromium', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let ch: DemoChannel;
  let token: string;
  const BRUNO = 2;
  let portalId: number;
  const inEveryLanguage = (k: Parameters<typeof returnText>[1]) =>
    (['es', 'en', 'pt'] as const).map((l) => returnText(l, k));

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.browser.newPage();
    ({ ch, token } = await installedEnterprise(s));
    const portal = await s.deps.db
      .selectFrom('portals')
      .select('id')
      .where('member_id', '=', s.portal.memberId)
      .executeTakeFirstOrThrow();
    portalId = portal.id;
    await s.deps.offer.createPack({
      name: 'Pack 1000',
      messages: 1000,
      priceMinor: 1500,
      currency: 'USD',
      validityDays: 90,
      active: true,
    });
    await s.deps.offer.createPack({
      name: 'Pack 5000',
      messages: 5000,
      priceMinor: 6000,
      currency: 'EUR',
      validityDays: 180,
      active: true,
    });
    // 100 units for 90 days, 20 that expire in 10 days; 7 messages sent today on line 1's channel.
    const grant = (units: number, validityDays: number, eventId: string) =>
      s.deps.ledger.credit({ portalId: portal.id, units, validityDays, provider: 'operator', eventId });
    await grant(100, 90, 'tab-1');
    await grant(20, 10, 'tab-2');
    for (let i = 0; i < 7; i++) {
      const r = await s.deps.ledger.reserve(portal.id, `tab-msg-${i}`, { channelId: ch.id });
      await s.deps.ledger.settle(r.reservationId ?? 0);
    }
    await s.deps.ledger.reserve(portal.id, 'tab-msg-in-flight', { channelId: ch.id });
  });
  afterAll(async () => browser?.close());

  const open = async (query: string): Promise<FrameLocator> => {
    await page.goto(`${s.portal.pageUrl}${query}`);
    const app = page.frameLocator('iframe[name=app]');
    await app.locator('body[data-ready=channels]').waitFor();
    return app;
  };
  /** The whole tab in one picture: a window as tall as the portal page with the app's frame. */
  const tallShot = async (name: string) => {
    await page.setViewportSize({ width: 1100, height: 1900 });
    await shot(page, name);
    await page.setViewportSize({ width: 1100, height: 700 });
  };
  const billing = async (lang: 'es' | 'en'): Promise<FrameLocator> => {
    const app = await open(`?lang=${lang}`);
    await app.locator('button[data-tab=billing]').click();
    await app.locator('body[data-ready=billing]').waitFor();
    return app;
  };

  it('shows a billing admin the balance, what expires soon, the packs and the use chart', async () => {
    const app = await billing('es');
    await expect(app.locator('button[data-tab=billing]').isVisible()).resolves.toBe(true);
    // 120 credited, 7 sent, 1 in flight: the lot that expires first pays first (20 → 12 left).
    await expect(app.locator('[data-figure=available] strong').textContent()).resolves.toBe('112');
    await expect(app.locator('[data-figure=reserved] strong').textContent()).resolves.toBe('1');
    const soon = app.locator('#bill-expiring li');
    await expect(soon.count()).resolves.toBe(1);
    await expect(soon.textContent()).resolves.toMatch(/^12 mensajes vencen el /);

    const packs = app.locator('.pack');
    // As the offer lists them; each with its price in the page's language.
    await expect(packs.locator('h3').allTextContents()).resolves.toEqual(['Pack 5000', 'Pack 1000']);
    await expect(packs.locator('.price').allTextContents()).resolves.toEqual([
      '60,00\u00a0€',
      '15,00\u00a0US$',
    ]);
    await expect(app.locator('[data-buy]').count()).resolves.toBe(2);
    await expect(app.locator('input[name=provider][value=stripe]').isChecked()).resolves.toBe(true);

    // The chart is drawn (a canvas with pixels) and the same figures are in the table.
    await app.locator('#bill-usage[data-chart=drawn] canvas').waitFor();
    const box = await app.locator('#bill-chart canvas').boundingBox();
    expect(box?.height).toBeGreaterThan(100);
    const summary = await app.locator('#bill-chart canvas').getAttribute('aria-label');
    expect(summary).toContain('7 en total');
    expect(summary).toContain('Tienda 1: 7.');
    const today = new Date().toISOString().slice(0, 10);
    await expect(app.locator('#bill-usage-table tbody tr').count()).resolves.toBe(30);
    await expect(
      app.locator(`#bill-usage-table tr[data-day="${today}"] td`).allTextContents(),
    ).resolves.toEqual(['7', '7']);
    await tallShot('app-billing.es');
  });

  it('downloads the ledger as CSV and the file reads back', async () => {
    const app = await billing('en');
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      app.locator('#bill-export-ledger').click(),
    ]);
    expect(download.suggestedFilename()).toMatch(
      /^whatsappb24-ledger-\d{4}-\d{2}-\d{2}_\d{4}-\d{2}-\d{2}\.csv$/,
    );
    const file = await download.path();
    const rows = csvRecords(await readFile(file, 'utf8'));
    const kinds = rows.map((r) => r.kind);
    expect(kinds.filter((k) => k === 'credit')).toHaveLength(2);
    expect(kinds.filter((k) => k === 'settle')).toHaveLength(7);
    expect(kinds.filter((k) => k === 'reserve')).toHaveLength(8);
    expect(rows.find((r) => r.kind === 'settle')?.channel_id).toBe(ch.id);
    await expect(app.locator('#bill-export-msg').textContent()).resolves.toBe('');
    // A range the server refuses says why next to the buttons.
    await app.locator('#bill-usage input[name=from]').fill('2026-03-02');
    await app.locator('#bill-usage input[name=to]').fill('2026-03-01');
    await app.locator('#bill-export-usage').click();
    await app.locator('#bill-export-msg .notice.error').waitFor();
    await expect(app.locator('#bill-export-msg').textContent()).resolves.toContain(
      BILLING_TEXTS.exportFailed[1].replace('{error}', ''),
    );
  });

  it('Buy with Stripe: the checkout opens in the top window, the sandbox pays, the pack and its paid order show', async () => {
    let app = await billing('en');
    const pack = (await s.deps.offer.allPacks()).find((p) => p.name === 'Pack 1000');
    if (!pack) throw new Error('no Pack 1000');
    await app.locator('input[name=provider][value=stripe]').check();
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/checkout'),
      page.waitForURL((u) => u.pathname.startsWith('/pay/')),
      app.locator(`[data-buy="${pack.id}"]`).click(),
    ]);
    expect(request.postDataJSON()).toEqual({ kind: 'pack', packId: pack.id, provider: 'stripe' });
    await expect(request.response().then((r) => r?.status())).resolves.toBe(200);
    // The portal's window (not the app's frame) is on the sandbox Stripe page of the order it started.
    const order = await s.deps.db
      .selectFrom('billing_orders')
      .select(['id', 'checkout_url', 'status'])
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    const started = { orderId: order.id };
    expect(order.status).toBe('pending');
    expect(page.url()).toBe(order.checkout_url);
    expect(new URL(page.url()).origin).toBe(new URL(s.pay.stripe.url).origin);
    // The payer presses Pay on the hosted page; the signed webhook credits the pack.
    await page.locator('#pay').click();
    await waitFor(
      async () => {
        const o = await api<{ orders: Array<{ id: number; status: string; receiptUrl: string | null }> }>(
          s,
          token,
          'GET',
          '/orders',
        );
        const mine = o.body.orders.find((x) => x.id === started.orderId);
        return mine?.status === 'paid' && mine.receiptUrl !== null;
      },
      20_000,
      `order ${started.orderId} credited, with its receipt`,
    );

    app = await billing('en');
    // 112 before, 1000 more from the pack.
    await expect(app.locator('[data-figure=available] strong').textContent()).resolves.toBe('1,112');
    const row = app.locator(`#bill-orders-table tr[data-order="${started.orderId}"]`);
    await expect(row.locator('.badge').textContent()).resolves.toBe(BILLING_TEXTS.status_paid[1]);
    await expect(row.locator('.badge').getAttribute('class')).resolves.toBe('badge paid');
    await expect(row.locator('td').nth(4).textContent()).resolves.toBe('$15.00');
    await expect(row.locator('td').nth(5).textContent()).resolves.toBe('1,000');
    const receipt = await row.locator('a').getAttribute('href');
    expect(receipt).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/receipts\//);
    await tallShot('app-billing.en');
  });

  it('Buy with PayPal: the payer approves on PayPal, comes back to our page, which waits for the capture and credits', async () => {
    const before = (await s.deps.ledger.balance(portalId)).available;
    let app = await billing('en');
    const pack = (await s.deps.offer.allPacks()).find((p) => p.name === 'Pack 1000');
    if (!pack) throw new Error('no Pack 1000');
    await app.locator('input[name=provider][value=paypal]').check();
    const [request] = await Promise.all([
      page.waitForRequest((r) => r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/checkout'),
      page.waitForURL((u) => u.pathname === '/checkoutnow'),
      app.locator(`[data-buy="${pack.id}"]`).click(),
    ]);
    expect(request.postDataJSON()).toEqual({ kind: 'pack', packId: pack.id, provider: 'paypal' });
    // The portal's window is on sandbox PayPal's approval page of the order we created.
    expect(new URL(page.url()).origin).toBe(new URL(s.pay.paypal.url).origin);
    const order = await s.deps.db
      .selectFrom('billing_orders')
      .select(['id', 'provider', 'status'])
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    expect(order).toMatchObject({ provider: 'paypal', status: 'pending' });
    // Approved: PayPal sends the payer back to our return page before anything is captured; the
    // page polls until the capture job has credited the pack.
    await Promise.all([page.waitForURL((u) => u.pathname === RETURN_PATH), page.locator('#approve').click()]);
    await page.locator('#status[data-status=paid]').waitFor({ timeout: 20_000 });
    expect(inEveryLanguage('paid')).toContain(await page.locator('#status').textContent());
    expect((await s.deps.ledger.balance(portalId)).available).toBe(before + 1000);

    app = await billing('en');
    const row = app.locator(`#bill-orders-table tr[data-order="${order.id}"]`);
    await expect(row.locator('.badge').textContent()).resolves.toBe(BILLING_TEXTS.status_paid[1]);
  });

  it('PayPal cancelled on its page: back on our cancel page, nothing charged, the order not paid', async () => {
    const before = (await s.deps.ledger.balance(portalId)).available;
    const app = await billing('es');
    const pack = (await s.deps.offer.allPacks()).find((p) => p.name === 'Pack 1000');
    if (!pack) throw new Error('no Pack 1000');
    await app.locator('input[name=provider][value=paypal]').check();
    await Promise.all([
      page.waitForURL((u) => u.pathname === '/checkoutnow'),
      app.locator(`[data-buy="${pack.id}"]`).click(),
    ]);
    const order = await s.deps.db
      .selectFrom('billing_orders')
      .select(['id'])
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    await Promise.all([
      page.waitForURL((u) => u.origin === new URL(s.url).origin),
      page.locator('#cancel').click(),
    ]);
    expect(inEveryLanguage('cancelPage')).toContain(await page.locator('#status').textContent());
    const after = await s.deps.db
      .selectFrom('billing_orders')
      .select('status')
      .where('id', '=', order.id)
      .executeTakeFirstOrThrow();
    expect(after.status).not.toBe('paid');
    expect((await s.deps.ledger.balance(portalId)).available).toBe(before);
  });

  it('saves the low-balance threshold, keeps it on reload, and refuses a negative one in the field', async () => {
    let app = await billing('en');
    const input = app.locator('#bill-threshold input[name=lowBalanceThreshold]');
    await input.fill('250');
    await app.locator('#bill-threshold-save').click();
    await app.locator('#bill-threshold-msg .notice.ok').waitFor();
    app = await billing('en');
    await expect(app.locator('#bill-threshold input[name=lowBalanceThreshold]').inputValue()).resolves.toBe(
      '250',
    );
    const got = await api<{ lowBalanceThreshold: number | null }>(s, token, 'GET', '/billing/settings');
    expect(got.body).toEqual({ lowBalanceThreshold: 250 });

    await app.locator('#bill-threshold input[name=lowBalanceThreshold]').fill('-5');
    await app.locator('#bill-threshold-save').click();
    await app.locator('#bill-threshold-msg .notice.error').waitFor();
    await expect(app.locator('#bill-threshold-msg').textContent()).resolves.toBe(
      BILLING_TEXTS.thresholdBad[1],
    );
    // The page still works and the kept value did not move.
    await expect(app.locator('body').getAttribute('data-ready')).resolves.toBe('billing');
    const after = await api<{ lowBalanceThreshold: number | null }>(s, token, 'GET', '/billing/settings');
    expect(after.body).toEqual({ lowBalanceThreshold: 250 });
  });

  it('hides the tab from a user whose roles do not allow billing, and the API refuses him', async () => {
    const app = await open(`?lang=es&user=${BRUNO}`);
    await expect(app.locator('button[data-tab=billing]').isHidden()).resolves.toBe(true);
    const frame = page.frames().find((f) => f.name() === 'app');
    if (!frame) throw new Error('no app frame');
    // The page's own auth, as the tab would send it: refused by every billing route.
    const statuses = await frame.evaluate<number[]>(
      `(async () => {
        const auth = JSON.parse(document.getElementById('boot').textContent).auth;
        const paths = ['/balance', '/ledger', '/billing/offer', '/billing/consumption', '/billing/ledger.csv'];
        return Promise.all(
          paths.map(async (p) => (await fetch('/api/v1' + p, { headers: { 'x-b24-auth': auth } })).status),
        );
      })()`,
    );
    expect(statuses).toEqual([403, 403, 403, 403, 403]);
    // Asking for the tab by its address opens the default tab instead.
    await page.goto(`${s.portal.pageUrl}?lang=es&user=${BRUNO}#billing`);
    await app.locator('body[data-ready=channels]').waitFor();
    await expect(app.locator('body').getAttribute('data-tab')).resolves.toBe('channels');
  });

  it('operator page: a wrong token is refused; the right one lists, creates and changes packs and prices', async () => {
    await page.goto(`${s.url}/operator?lang=en`);
    await page.locator('body[data-ready=operator]').waitFor();
    await page.locator('#op-token').fill('wrong-token-0123456789abcdef0123456789');
    await page.locator('#op-signin button[type=submit]').click();
    await page.locator('#op-msg .notice.error').waitFor();
    await expect(page.locator('#op-msg').textContent()).resolves.toBe(OPERATOR_TEXTS.badToken[1]);

    await page.locator('#op-token').fill(STACK_OPERATOR_TOKEN);
    await page.locator('#op-signin button[type=submit]').click();
    await page.locator('body[data-ready=operator-offer]').waitFor();
    // The token is in no cookie and no storage.
    expect(await browser.browser.cookies(s.url)).toEqual([]);
    expect(await page.evaluate<number>('localStorage.length + sessionStorage.length')).toBe(0);
    const names = await page.evaluate<string[]>(
      `[...document.querySelectorAll('#op-packs tr[data-pack] input[name=name]')].map((e) => e.value)`,
    );
    expect(names.sort()).toEqual(['', 'Pack 1000', 'Pack 5000']);
    const pack1000 = (await s.deps.offer.allPacks()).find((p) => p.name === 'Pack 1000');

    const fresh = page.locator('#op-packs tr[data-pack=new]');
    await fresh.locator('input[name=name]').fill('Pack 200');
    await fresh.locator('input[name=messages]').fill('200');
    await fresh.locator('input[name=price]').fill('4.5');
    await fresh.locator('input[name=currency]').fill('usd');
    await fresh.locator('input[name=validityDays]').fill('30');
    await fresh.locator('button').click();
    await page.locator('#op-msg .notice.ok').waitFor();
    // A price that is not an amount is refused in the page, before any call.
    const first = page.locator(`#op-packs tr[data-pack="${pack1000?.id}"]`);
    await first.locator('input[name=price]').fill('12,345');
    await first.locator('button').click();
    await expect(page.locator('#op-msg').textContent()).resolves.toBe(OPERATOR_TEXTS.badPrice[1]);
    await first.locator('input[name=price]').fill('12.50');
    await first.locator('input[name=active]').uncheck();
    await first.locator('button').click();
    await page.locator('#op-msg .notice.ok').waitFor();

    const packs = await s.deps.offer.allPacks();
    expect(packs.map((p) => [p.name, p.priceMinor, p.currency, p.active])).toEqual(
      expect.arrayContaining([
        ['Pack 200', 450, 'USD', true],
        ['Pack 1000', 1250, 'USD', false],
      ]),
    );

    const prices = page.locator('#op-prices');
    await prices.locator('tr[data-price] input[name=price]').fill('20');
    await prices.locator('#op-add-price').click();
    const second = prices.locator('tr[data-price]').nth(1);
    await second.locator('select[name=months]').selectOption('12');
    await second.locator('input[name=price]').fill('192');
    await prices.locator('#op-save-prices').click();
    await page.locator('#op-msg .notice.ok').waitFor();
    const list = await s.deps.offer.subscriptionPrices();
    expect(list.map((p) => [p.currency, p.months, p.priceMinor])).toEqual([
      ['USD', 1, 2000],
      ['USD', 12, 19200],
    ]);
    // The server's refusal shows in the page: 12 months dearer than 12 × the monthly price.
    await second.locator('input[name=price]').fill('500');
    await prices.locator('#op-save-prices').click();
    await page.locator('#op-msg .notice.error').waitFor();
    await shot(page, 'operator-offer.en');
  });
});
