import { describe, expect, it } from 'vitest';
import { launchBrowser } from '../helpers/browser.js';

/**
 * `npm test` on a machine with only Node.js and npm: when the configured or system Chromium is
 * missing or cannot start, the browser tests run on the Chromium of the npm package
 * @sparticuz/chromium (a dev dependency). `npm run test:browser` with CHROMIUM_PATH=/nonexistent runs
 * every browser test on it.
 */
describe('the Chromium npm installs', () => {
  const renders = async (b: Awaited<ReturnType<typeof launchBrowser>>) => {
    const page = await b.browser.newPage();
    await page.setContent('<p style="font: 16px sans-serif">Canales · Channels · Canais</p>');
    const width = (await page.locator('p').boundingBox())?.width ?? 0;
    const agent = await page.evaluate<string>('navigator.userAgent');
    await page.close();
    return { width, agent };
  };

  it('is used when CHROMIUM_PATH names no file, and renders a page with text', async () => {
    const b = await launchBrowser({ executablePath: '/nonexistent/chromium' });
    try {
      expect(b.source).toBe('npm');
      const { width, agent } = await renders(b);
      expect(agent).toMatch(/HeadlessChrome\/\d+/);
      expect(width).toBeGreaterThan(100);
    } finally {
      await b.close();
    }
  });

  it('is used when the browser named cannot start', async () => {
    const b = await launchBrowser({ executablePath: '/bin/false' });
    try {
      expect(b.source).toBe('npm');
      expect((await renders(b)).width).toBeGreaterThan(100);
    } finally {
      await b.close();
    }
  });
});
