import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_PORTAL, waitFor } from '../../scripts/stack.js';
import { CODE_TEXTS } from '../../src/modules/pages/code-texts.js';
import { HEALTH_TEXTS } from '../../src/modules/pages/health-texts.js';
import { MESSAGE_STATUS_TEXTS, STEP_TEXTS } from '../../src/modules/pages/relay-texts.js';
import { launchBrowser, shot, VIEWPORT } from '../helpers/browser.js';
import { installedEnterprise, useStack } from '../helpers/stack.js';

/**
 * Issue 4 in a real browser: Debian's Chromium opens the sandbox portal's page (its own origin), which
 * POSTs the app its frontend auth into an iframe as Bitrix24 does. Screenshots of every page in es
 * and en land in test/screenshots/ for reviewers.
 */
/**
 * Run in the app's frame: how many lines each table header and health indicator takes (its text
 * nodes' distinct line boxes), and how many rows each cell of buttons and each one-row toolbar takes
 * (distinct bottoms: a toolbar aligns its items at the bottom).
 */
const MEASURE = `(() => {
  const lines = (el) => {
    const tops = new Set();
    const walk = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      if (!n.textContent.trim()) continue;
      const r = document.createRange();
      r.selectNodeContents(n);
      for (const rect of r.getClientRects()) tops.add(Math.round(rect.top));
    }
    return tops.size;
  };
  const rows = (els) => new Set(els.map((e) => Math.round(e.getBoundingClientRect().bottom))).size;
  const all = (sel) => [...document.querySelectorAll(sel)];
  const view = document.getElementById('view');
  const inner = view.getBoundingClientRect().right - parseFloat(getComputedStyle(view).paddingRight);
  return {
    overflow: all('#view table').map((t) => Math.max(0, Math.round(t.getBoundingClientRect().right - inner))),
    frameWidth: document.documentElement.clientWidth,
    headerLines: all('#view th').filter((th) => th.textContent).map(lines),
    indicatorLines: all('[data-indicator]').map(lines),
    buttonRows: all('td.actions').map((td) => rows([...td.children])),
    toolbarRows: all('.toolbar.one-row').map((t) => rows([...t.children].filter((e) => !e.matches('.grow')))),
  };
})()`;

interface Measures {
  /** By how many pixels each table sticks out of the card. */
  overflow: number[];
  frameWidth: number;
  headerLines: number[];
  indicatorLines: number[];
  buttonRows: number[];
  toolbarRows: number[];
}

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
  /** The app's frame in the page as loaded now (a new one after each `open`). */
  const appFrame = () => {
    const frame = page.frames().find((f) => f.name() === 'app');
    if (!frame) throw new Error('no app frame');
    return frame;
  };
  const tab = async (app: FrameLocator, name: string) => {
    await app.locator(`[data-tab=${name}]`).click();
    await app.locator(`body[data-ready=${name}]`).waitFor();
  };

  it('renders the main page inside the portal page of another origin, in the portal language', async () => {
    const { ch } = await installedEnterprise(s);
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

  it('labels each health indicator and says in a tooltip what to do; the sandbox answers the key check', async () => {
    const app = await open('?lang=es');
    const strip = app.locator('[data-health-of] [data-health]').first();
    await strip.waitFor();
    const indicators = await appFrame().evaluate<Array<Record<'name' | 'state' | 'label' | 'tip', string>>>(
      `[...document.querySelector('[data-health-of] [data-health]').querySelectorAll('[data-indicator]')].map((e) => ({
        name: e.getAttribute('data-indicator'),
        state: e.getAttribute('data-state'),
        label: e.textContent,
        tip: e.getAttribute('title'),
      }))`,
    );
    const es = (k: keyof typeof HEALTH_TEXTS) => HEALTH_TEXTS[k][0];
    // All green in the stack: the Gupshup key is checked there too (the channel has its App ID).
    expect(indicators.map((i) => [i.name, i.state, i.tip])).toEqual([
      ['token', 'ok', es('token.ok')],
      ['connector', 'ok', es('connector.ok')],
      ['gupshup', 'ok', es('gupshup.ok')],
      ['webhook', 'ok', es('webhook.ok')],
      ['wallet', 'ok', es('wallet.ok')],
    ]);
    const [token, connector, gupshup, webhook, wallet] = indicators.map((i) => i.label);
    expect([token, connector, gupshup]).toEqual([es('token'), es('connector'), es('gupshup')]);
    expect(webhook).toMatch(/^Último webhook: \d+ \w+\.?, \d\d:\d\d$/);
    expect(wallet).toMatch(/^Saldo: 25,50\sUS\$$/);
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
    const off = app.locator('#channels tbody tr', { hasText: 'Tienda <b>Norte</b>' });
    await off.locator('.badge.inactive').waitFor();
    expect(s.portal.lineStatus(2, CONNECTOR).active).toBe(false);
    // Why it is Inactive, in the page's language (the stored reason is `switched_off`).
    await expect(off.locator('[data-reason=switched_off]').textContent()).resolves.toBe(
      'Desactivado por un administrador',
    );
    // Without a line Bitrix24 is not asked: grey, and the tooltip says how to get it checked.
    const token = app.locator(
      `[data-health-of="${await off.getAttribute('data-channel')}"] [data-indicator=token]`,
    );
    await expect(token.getAttribute('data-state')).resolves.toBe('unknown');
    await expect(token.getAttribute('title')).resolves.toBe(HEALTH_TEXTS['token.unknown'][0]);
  });

  it('shows statuses, steps, levels and error codes in the page language, never as raw codes', async () => {
    const maria = '5491155550001';
    s.gupshup.failNextDelivery({
      destination: maria,
      code: 1002,
      reason: 'Number Does Not Exist On WhatsApp',
      stage: 'sync',
    });
    await s.portal.operatorSend({ line: 1, externalChatId: maria, text: 'Hola María', userId: 1 });
    await waitFor(
      async () =>
        (
          await s.deps.db.selectFrom('messages').select('status').where('direction', '=', 'out').execute()
        ).some((m) => m.status === 'failed'),
      20_000,
      'the failed message',
    );
    for (const [lang, at] of [
      ['es', 0],
      ['pt', 2],
    ] as const) {
      const app = await open(`?lang=${lang}`);
      await tab(app, 'trace');
      const failed = app.locator('#trace tbody tr', { has: app.locator('.badge.failed') });
      await expect(failed.locator('.badge').textContent()).resolves.toBe(MESSAGE_STATUS_TEXTS.failed[at]);
      await expect(failed.locator('[data-code="1002"]').textContent()).resolves.toBe(
        `${CODE_TEXTS['1002'][at]} (1002)`,
      );
      for (const row of await app.locator('#trace tbody tr[data-message]').all()) {
        await row.locator('button', { hasText: /\(\d+\)/ }).click();
      }
      // Each step's own line: its first text node (the detail after it is the raw record).
      const steps = await appFrame().evaluate<Array<{ step: string; text: string }>>(
        `[...document.querySelectorAll('ol.hist li')].map((e) => ({
          step: e.getAttribute('data-step'),
          text: e.firstChild.textContent,
        }))`,
      );
      expect(steps.length).toBeGreaterThan(4);
      if (lang === 'es') await shot(page, 'app-trace-history.es');
      const texts = (t: Record<string, readonly string[]>, k: string) => t[k]?.[at];
      for (const x of steps) {
        // `status_<type>` is Gupshup's event of that type: "Gupshup: <status in words>".
        const event = /^status_(.+)$/.exec(x.step)?.[1];
        const words = event ? `Gupshup: ${texts(MESSAGE_STATUS_TEXTS, event)}` : texts(STEP_TEXTS, x.step);
        expect(words, x.step).toBeDefined();
        expect(x.text, x.step).toContain(words);
      }
      // Nothing left that reads like a code (snake_case), details (the providers' own words) aside.
      const shown = await appFrame().evaluate<string>(
        "(() => { const c = document.querySelector('#trace').cloneNode(true); c.querySelectorAll('.muted').forEach((m) => m.remove()); return c.textContent; })()",
      );
      expect(shown).not.toMatch(/[a-z]+_[a-z]+/);
      await expect(app.locator('select[name=status] option[value=dead]').textContent()).resolves.toBe(
        MESSAGE_STATUS_TEXTS.dead[at],
      );
    }
  });

  it('lays the pages out for the iframe’s usual widths: one-line headers, buttons side by side, one-row filters', async () => {
    const measure = () => appFrame().evaluate<Measures>(MEASURE);
    const ones = (xs: number[]) => xs.map(() => 1);
    // The portal page's menu and margins take the same room at any width: frames of 1,000 and
    // 1,400 px, and whatever a 1,100 px screen leaves (the screenshots' width, ~850 px).
    await open('?lang=es');
    const margin = VIEWPORT.width - (await measure()).frameWidth;
    for (const width of [VIEWPORT.width, 1000 + margin, 1400 + margin]) {
      await page.setViewportSize({ width, height: 800 });
      for (const lang of ['es', 'en', 'pt']) {
        const at = `${width} px, ${lang}`;
        const app = await open(`?lang=${lang}`);
        await app.locator('[data-health]').first().waitFor();
        const ch = await measure();
        expect(ch.frameWidth, at).toBe(width - margin);
        expect(ch.overflow, at).toEqual([0]);
        expect(ch.headerLines.length, at).toBe(5);
        expect(ch.headerLines, at).toEqual(ones(ch.headerLines));
        expect(ch.indicatorLines.length, at).toBeGreaterThanOrEqual(10);
        expect(ch.indicatorLines, at).toEqual(ones(ch.indicatorLines));
        expect(ch.buttonRows.length, at).toBeGreaterThanOrEqual(2);
        expect(ch.buttonRows, at).toEqual(ones(ch.buttonRows));
        expect(ch.toolbarRows, at).toEqual([1]);
        await tab(app, 'trace');
        const trace = await measure();
        expect(trace.overflow, at).toEqual([0]);
        expect(trace.toolbarRows, at).toEqual([1]);
        expect(trace.headerLines, at).toEqual(ones(trace.headerLines));
      }
    }
    await page.setViewportSize(VIEWPORT);
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
