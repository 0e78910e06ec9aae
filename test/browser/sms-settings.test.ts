import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, SAMPLE_PORTAL, waitFor } from '../../scripts/stack.js';
import { SMS_TEXTS as ST } from '../../src/modules/pages/sms-texts.js';
import { launchBrowser, shot } from '../helpers/browser.js';
import { installedEnterprise, useStack } from '../helpers/stack.js';

/**
 * The SMS tab in a real browser (issue 15), against the app with the sandbox SMSAPI: a token SMSAPI
 * rejects and a sender it has not approved refused next to their fields, then the sandbox's token and
 * its active sender saved (the token write-only: its state and the balance show, never the token);
 * the live length counter (GSM-7/UCS-2, parts of the maximum, which characters made it UCS-2, the
 * parts "no accents" saves, over the limit) computed in the page; a test SMS sent to the sandbox and
 * delivered in the log; the provider registered again; a token this installation cannot open asks
 * to be entered again; a user who is not an admin told so. Screenshots in es and en.
 */
type Settings = { tokenState: string; senderName: string | null; balance: { points: number } | null };

describe('SMS settings tab in Chromium', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let token = '';
  const es = (k: keyof typeof ST, vars: Record<string, string | number> = {}) =>
    ST[k][0].replace(/\{(\w+)\}/g, (all, v: string) => String(vars[v] ?? all));
  const en = (k: keyof typeof ST, vars: Record<string, string | number> = {}) =>
    ST[k][1].replace(/\{(\w+)\}/g, (all, v: string) => String(vars[v] ?? all));

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.browser.newPage();
    token = (await installedEnterprise(s)).token;
  });
  afterAll(async () => browser?.close());

  const tab = async (lang: 'es' | 'en', user?: number): Promise<FrameLocator> => {
    await page.goto(`${s.portal.pageUrl}?lang=${lang}${user ? `&user=${user}` : ''}`);
    const app = page.frameLocator('iframe[name=app]');
    await app.locator('body[data-ready=channels]').waitFor();
    await app.locator('button[data-tab=sms]').click();
    await app.locator('body[data-ready=sms]').waitFor();
    return app;
  };
  const settings = async () => (await api<Settings>(s, token, 'GET', '/sms/settings')).body;
  const tallShot = async (name: string) => {
    await page.setViewportSize({ width: 1100, height: 1700 });
    await page.evaluate('window.scrollTo(0, 0)');
    await shot(page, name);
    await page.setViewportSize({ width: 1100, height: 700 });
  };

  it('starts without a token and refuses a token SMSAPI rejects, next to the field', async () => {
    const app = await tab('es');
    await expect(app.locator('#sms-token-state').getAttribute('data-state')).resolves.toBe('missing');
    await expect(app.locator('#sms-token-state').textContent()).resolves.toBe(es('tokenMissing'));
    await expect(app.locator('#sms-balance').textContent()).resolves.toBe(es('noBalance'));
    await app.locator('input[name=token]').fill('not-a-valid-smsapi-token');
    await app.locator('#sms-save').click();
    await app.locator('#sms-err-token').waitFor();
    await expect(app.locator('#sms-err-token').getAttribute('data-code')).resolves.toBe('token_rejected');
    await expect(app.locator('input[name=token]').getAttribute('aria-invalid')).resolves.toBe('true');
    expect((await settings()).tokenState).toBe('missing');
  });

  it('refuses a sender SMSAPI has not approved, then saves the token and the active sender', async () => {
    const app = await tab('es');
    await app.locator('input[name=token]').fill(s.smsapi.token);
    await app.locator('input[name=senderName]').fill('PROMO');
    await app.locator('#sms-save').click();
    await app.locator('#sms-err-senderName').waitFor();
    await expect(app.locator('#sms-err-senderName').getAttribute('data-code')).resolves.toBe(
      'sender_not_approved',
    );
    await app.locator('input[name=senderName]').fill('WAB24');
    await app.locator('#sms-save').click();
    await app.locator('#sms-settings-msg .notice.ok').waitFor();
    await expect(app.locator('#sms-token-state').getAttribute('data-state')).resolves.toBe('ok');
    await expect(app.locator('#sms-balance').textContent()).resolves.toBe(es('points', { n: 100 }));
    // write-only: the field is empty again and the page never holds the token
    await expect(app.locator('input[name=token]').inputValue()).resolves.toBe('');
    await expect(app.locator('input[name=token]').getAttribute('placeholder')).resolves.toBe(es('tokenKeep'));
    expect(await page.content()).not.toContain(s.smsapi.token);
    expect(await settings()).toMatchObject({
      tokenState: 'ok',
      senderName: 'WAB24',
      balance: { points: 100 },
    });
  });

  it('counts the text live: GSM-7, UCS-2 with the characters to blame, the no-accents saving, over the limit', async () => {
    const app = await tab('es');
    const counter = app.locator('#sms-counter');
    const text = app.locator('#sms-test textarea[name=text]');
    const noAccents = app.locator('#sms-test input[name=noAccents]');
    await expect(app.locator('#sms-send').isDisabled()).resolves.toBe(true);
    await text.fill('a'.repeat(160));
    await expect(counter.textContent()).resolves.toBe(
      es('counter', { encoding: 'GSM-7', chars: 160, parts: 1, max: 6, per: 160 }),
    );
    await text.fill('a'.repeat(161));
    await expect(counter.getAttribute('data-parts')).resolves.toBe('2');
    await text.fill('Zażółć gęślą jaźń. '.repeat(5));
    await expect(counter.getAttribute('data-encoding')).resolves.toBe('UCS-2');
    await expect(counter.getAttribute('data-parts')).resolves.toBe('2');
    await expect(app.locator('#sms-ucs').textContent()).resolves.toBe(
      es('ucsWhy', { chars: 'ż ó ł ć ę ś ą ź ń' }),
    );
    await noAccents.check();
    await expect(counter.getAttribute('data-encoding')).resolves.toBe('GSM-7');
    await expect(app.locator('#sms-saving').textContent()).resolves.toBe(
      es('saving', { before: 2, after: 1 }),
    );
    await noAccents.uncheck();
    await text.fill('ą'.repeat(403));
    await expect(counter.textContent()).resolves.toBe(es('overLimit', { parts: 7, max: 6 }));
    await expect(app.locator('#sms-send').isDisabled()).resolves.toBe(true);
  });

  it('sends a test SMS to the sandbox SMSAPI and shows it delivered in the log', async () => {
    const app = await tab('es');
    await app.locator('input[name=allowedCountries]').fill('PL');
    await app.locator('input[name=defaultCountry]').fill('pl');
    await app.locator('#sms-save').click();
    await app.locator('#sms-settings-msg .notice.ok').waitFor();
    expect(
      (await api<{ allowedCountries: string[] }>(s, token, 'GET', '/sms/settings')).body.allowedCountries,
    ).toEqual(['PL']);
    await app.locator('#sms-test input[name=to]').fill('+48 500 100 200');
    await app.locator('#sms-test textarea[name=text]').fill('Prueba de SMS: ¿llegó?');
    await app.locator('#sms-send').click();
    await app.locator('#sms-test-msg .notice').waitFor();
    await expect(app.locator('#sms-test-msg .notice').getAttribute('class')).resolves.toContain('ok');
    const sent = await waitFor(
      () => s.smsapi.sent({ to: '48500100200' })[0],
      20_000,
      'the SMS at the sandbox',
    );
    expect(sent.message).toBe('Prueba de SMS: ¿llegó?');
    await s.smsapi.settle();
    await waitFor(
      async () => {
        await app.locator('#sms-log-refresh').click();
        return (
          (await app.locator('#sms-log-table tbody tr').first().getAttribute('data-status')) === 'delivered'
        );
      },
      20_000,
      'the SMS delivered in the log',
    );
    await expect(
      app.locator('#sms-log-table tbody tr').first().locator('.badge').textContent(),
    ).resolves.toBe(es('st_delivered'));
    // the page as a customer would leave it: a Polish text, no accents on, the saving shown
    await app.locator('#sms-test textarea[name=text]').fill('Zażółć gęślą jaźń. '.repeat(5));
    await app.locator('#sms-test input[name=noAccents]').check();
    await expect(app.locator('#sms-saving').textContent()).resolves.toBe(
      es('saving', { before: 2, after: 1 }),
    );
    await tallShot('sms-settings.es');
  });

  it('shows a refusal of the server in words (a number of a country not allowed)', async () => {
    const app = await tab('es');
    await app.locator('#sms-test input[name=to]').fill('+54 9 11 3012-1163');
    await app.locator('#sms-test textarea[name=text]').fill('Hola');
    await app.locator('#sms-send').click();
    await app.locator('#sms-test-msg .notice.error').waitFor();
    const words = await app.locator('#sms-test-msg .notice.error').textContent();
    expect(words).toMatch(/país|permitid/);
    expect(s.smsapi.sent({ to: '5491130121163' })).toHaveLength(0);
  });

  it('shows an SMS that SMSAPI refused as failed in the log, with the reason in words', async () => {
    s.smsapi.setPoints(0);
    const app = await tab('es');
    await app.locator('#sms-test input[name=to]').fill('+48 500 100 201');
    await app.locator('#sms-test textarea[name=text]').fill('Hola');
    await app.locator('#sms-send').click();
    await app.locator('#sms-test-msg .notice.ok').waitFor();
    const row = app.locator('#sms-log-table tbody tr').first();
    await waitFor(
      async () => {
        await app.locator('#sms-log-refresh').click();
        return (await row.getAttribute('data-status')) === 'failed';
      },
      20_000,
      'the refused SMS failed in the log',
    );
    await expect(row.locator('.badge').textContent()).resolves.toBe(es('st_failed'));
    await expect(row.locator('td.reason').getAttribute('data-code')).resolves.toBe('smsapi_103');
    await expect(row.locator('td.reason').textContent()).resolves.toBe(es('why_no_points'));
    s.smsapi.setPoints(100);
  });

  it('counts against a new maximum of parts as soon as it is saved', async () => {
    const app = await tab('es');
    await app.locator('#sms-test textarea[name=text]').fill('a'.repeat(161));
    await expect(app.locator('#sms-counter').textContent()).resolves.toBe(
      es('counter', { encoding: 'GSM-7', chars: 161, parts: 2, max: 6, per: 153 }),
    );
    await app.locator('input[name=maxParts]').fill('1');
    await app.locator('#sms-save').click();
    await app.locator('#sms-settings-msg .notice.ok').waitFor();
    await expect(app.locator('#sms-counter').textContent()).resolves.toBe(
      es('overLimit', { parts: 2, max: 1 }),
    );
    await expect(app.locator('#sms-send').isDisabled()).resolves.toBe(true);
    await app.locator('input[name=maxParts]').fill('6');
    await app.locator('#sms-save').click();
    await app.locator('#sms-settings-msg .notice.ok').waitFor();
  });

  it('registers the provider again', async () => {
    const app = await tab('en');
    await app.locator('#sms-register').click();
    await app.locator('#sms-provider-msg .notice.ok').waitFor();
    await expect(app.locator('#sms-provider-status').textContent()).resolves.toBe(en('registered'));
    await expect(app.locator('#sms-register').textContent()).resolves.toBe(en('registerAgain'));
    await app.locator('#sms-test textarea[name=text]').fill('Your code is 1234 €');
    await expect(app.locator('#sms-counter').textContent()).resolves.toBe(
      en('counter', { encoding: 'GSM-7', chars: 20, parts: 1, max: 6, per: 160 }),
    );
    await tallShot('sms-settings.en');
  });

  it('asks for the token again when this installation cannot open the stored one', async () => {
    // A token sealed for another installation (a copied database): it does not open here.
    await s.deps.db
      .updateTable('sms_settings')
      .set({ token_enc: 'v1.sealed-by-another-installation' })
      .execute();
    const app = await tab('en');
    await expect(app.locator('#sms-token-state').getAttribute('data-state')).resolves.toBe('reenter');
    await expect(app.locator('#sms-token-state').textContent()).resolves.toBe(en('tokenReenter'));
    await expect(app.locator('#sms-reenter').textContent()).resolves.toBe(en('tokenReenterText'));
  });

  it('tells a user who is not a portal admin that the settings are for admins', async () => {
    const app = await tab('es', 2);
    await expect(app.locator('#sms-admin-only').textContent()).resolves.toBe(es('adminOnly'));
    await expect(app.locator('#sms-save').count()).resolves.toBe(0);
  });
});
