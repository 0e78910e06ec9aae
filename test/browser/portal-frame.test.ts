import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frontendAuth, installAndToken, SAMPLE_PORTAL, waitFor } from '../../scripts/stack.js';
import { launchBrowser } from '../helpers/browser.js';
import { useStack } from '../helpers/stack.js';

/**
 * The pages talk to the Bitrix24 window around them through the Bitrix24 SDK bundled into our own
 * script (no script from Bitrix24's CDN, and the pages' CSP allows only their own): the install page
 * finishes the installation, the pages keep their frame as tall as their content, and opened outside
 * a portal they work as before.
 */
describe('the pages and the portal window around them, in Chromium', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const scripts: string[] = [];

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.browser.newPage();
    page.on('request', (r: Request) => {
      if (r.resourceType() === 'script') scripts.push(r.url());
    });
  });
  afterAll(async () => browser?.close());

  const installFinished = async () => {
    const r = await fetch(`${s.portal.url}/`);
    return ((await r.json()) as { install_finished: boolean }).install_finished;
  };

  it('the install page in the portal frame tells Bitrix24 the installation is finished', async () => {
    const res = await s.portal.installApp({ installUrl: `${s.url}/b24/install`, mode: 'ui' });
    expect(res.status).toBe(200);
    expect(res.body).not.toContain('api.bitrix24.com');
    await expect(installFinished()).resolves.toBe(false);

    await page.goto(`${s.portal.pageUrl}?view=install&lang=es`);
    await waitFor(installFinished, 20_000, 'installFinish from the install page');
    expect(scripts.length).toBeGreaterThan(0);
    for (const url of scripts) expect(url.startsWith(`${s.url}/ui/app.js?v=`), url).toBe(true);
  });

  it('keeps the frame as tall as the page', async () => {
    await installAndToken(s);
    await page.goto(`${s.portal.pageUrl}?lang=es`);
    const app = page.frameLocator('iframe[name=app]');
    await app.locator('body[data-ready=channels]').waitFor();
    // The page's first fit: the portal sets the frame's height.
    await page.locator('#app-frame[style*="min-height"]').waitFor();

    // The page grows (as a long list would): the frame follows.
    const frame = page.frames().find((f) => f.name() === 'app');
    await frame?.evaluate("document.body.appendChild(document.createElement('div')).style.height = '2000px'");
    await page.waitForFunction("document.getElementById('app-frame').getBoundingClientRect().height > 2000");
  });

  it('opened outside a portal frame, the page works without its parent', async () => {
    const a = await frontendAuth(s, 1);
    const query = new URLSearchParams({ DOMAIN: a.DOMAIN, PROTOCOL: '0', LANG: 'en', APP_SID: 'not-framed' });
    await page.setContent(
      `<form method="post" action="${s.url}/b24/app?${query.toString()}">` +
        `<input name="AUTH_ID" value="${a.AUTH_ID}"><input name="member_id" value="${a.member_id}"></form>`,
    );
    await Promise.all([page.waitForNavigation(), page.evaluate('document.forms[0].submit()')]);
    await page.locator('body[data-ready=channels]').waitFor();
    await expect(page.locator('h1').textContent()).resolves.toBe('WhatsApp for Bitrix24');
  });
});
