import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/**
 * Debian's Chromium driven by playwright-core (no browser download): headless, fresh profile per
 * launch. `.ci/run` installs /usr/bin/chromium when it is missing.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const VIEWPORT = { width: 1100, height: 700 };

/** One browser (a persistent context on a fresh temporary profile, i.e. its own --user-data-dir). */
export async function launchBrowser(): Promise<{ browser: BrowserContext; close: () => Promise<void> }> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'wab24-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: VIEWPORT,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: async () => {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Takes a screenshot of every page the tests visit. `npm run screenshots` (UPDATE_SCREENSHOTS=1)
 * refreshes the committed ones under test/screenshots/ for reviewers; a plain `npm test` writes to
 * test/.tmp/screenshots/ so that running the suite leaves the work tree clean.
 */
export async function shot(page: Page, name: string): Promise<void> {
  const dir = process.env.UPDATE_SCREENSHOTS
    ? path.join('test', 'screenshots')
    : path.join('test', '.tmp', 'screenshots');
  await page.screenshot({ path: path.join(dir, `${name}.png`) });
}
