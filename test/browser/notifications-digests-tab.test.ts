import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, SAMPLE_PORTAL } from '../../scripts/stack.js';
import { CODE_TEXTS } from '../../src/modules/pages/code-texts.js';
import { NOTIFICATION_TEXTS as NT } from '../../src/modules/pages/notifications-texts.js';
import { launchBrowser, shot } from '../helpers/browser.js';
import { addEvent, digestPortal } from '../helpers/notification-events.js';
import { useStack } from '../helpers/stack.js';

/**
 * A group's digest history and its "Test now" button in a real browser (issue 13), against the
 * digests' routes and the sandbox Gupshup: digests made by the tick (`runDue` at a chosen instant, as
 * the digest tests run it) with their event counts and each recipient's status, one recipient
 * refused by Gupshup and a send the app refused (template paused) with the reason in words, a test
 * digest whose recipients move to "sent" while the page watches, and the refusals of the button (no
 * approved template, no enabled recipient, trial over) in words, not codes. es and en; screenshots notifications-history.{es,en}.png.
 */
const ANA = { firstName: 'Ana', lastName: 'Gómez', phone: '+54 9 11 3012-1163' };
const LUIS = { firstName: 'Luis', lastName: 'Díaz', phone: '+54 9 11 3012-1164' };
/** Wednesday 25 November 2026, 10:00 in Buenos Aires (the portal's zone), inside "full time". */
const T0 = new Date('2026-11-25T13:00:00Z');
const minutes = (d: Date, m: number) => new Date(d.getTime() + m * 60_000);
type Lang = 'es' | 'en';

describe('digest history and test button in Chromium', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let portalId = 0;
  let group = 0;
  let report = 0;
  let noTemplate = 0;
  const say = (lang: Lang, k: keyof typeof NT, vars: Record<string, string> = {}) =>
    NT[k][lang === 'es' ? 0 : 1].replace(/\{(\w+)\}/g, (all, v: string) => vars[v] ?? all);
  const event = (title: string, recordedAt: Date) =>
    addEvent(s.deps.db, { portalId, reportId: report, title, recordedAt });

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.browser.newPage();
    let token: string;
    ({ token, portalId, group, report } = await digestPortal(s, {
      recipients: [ANA, LUIS],
      schedule: { preset: 'full_time' },
    }));
    // The page tests click through many pages in a few seconds (as installedEnterprise does).
    s.portal.setRate({ drainPerSec: 5, burst: 250 });
    await s.deps.db.updateTable('portals').set({ rate_drain_per_sec: 5, rate_burst: 250 }).execute();
    // Gupshup accepts and WhatsApp sends: each recipient ends at "sent".
    s.gupshup.setStatusFlow(['enqueued', 'sent']);
    const r = await api<{ id: number }>(s, token, 'POST', '/notification-reports', {
      kind: 'new_lead',
      name: 'Sin plantilla',
      sourceId: 'CALL',
    });
    expect(r.status).toBe(201);
    noTemplate = r.body.id;
  });
  afterAll(async () => browser?.close());

  const openGroup = async (lang: Lang): Promise<FrameLocator> => {
    await page.goto(`${s.portal.pageUrl}?lang=${lang}`);
    const app = page.frameLocator('iframe[name=app]');
    await app.locator('body[data-ready=channels]').waitFor();
    await app.locator('button[data-tab=notifications]').click();
    await app.locator('body[data-ready=notifications]').waitFor();
    await app.locator(`#ntf-groups-table button[data-edit="${group}"]`).click();
    await app.locator('body[data-ready=notifications-group]').waitFor();
    return app;
  };
  const rows = (app: FrameLocator) => app.locator('#ntf-history-table tbody tr[data-digest]');
  /** Each recipient of a history row: [name and masked number, status, error in words]. */
  const recipients = async (row: ReturnType<FrameLocator['locator']>) => {
    const out: string[][] = [];
    for (const li of await row.locator('li').all()) {
      const text = (await li.textContent()) ?? '';
      const error = li.locator('.ntf-error');
      out.push([
        text.slice(0, text.indexOf(')') + 1),
        (await li.locator('.badge').textContent()) ?? '',
        (await error.count()) ? ((await error.textContent()) ?? '').trim() : '',
      ]);
    }
    return out;
  };
  const historyShot = async (name: string) => {
    await page.setViewportSize({ width: 1100, height: 1400 });
    await shot(page, name);
    await page.setViewportSize({ width: 1100, height: 700 });
  };
  const testButton = (app: FrameLocator, reportId: number) =>
    app.locator(`#ntf-group-reports-table tr[data-report="${reportId}"] button[data-test]`);

  it('shows a digest made by the tick with its event count and each recipient sent', async () => {
    let app = await openGroup('es');
    await expect(app.locator('#ntf-history-empty').textContent()).resolves.toBe(say('es', 'historyEmpty'));

    await event('Pedido 101', minutes(T0, -20));
    await event('Pedido 102', minutes(T0, -10));
    const [id] = await s.deps.digests.service.runDue(T0);
    expect(id).toBeDefined();
    app = await openGroup('es');
    const row = rows(app).first();
    await expect(row.getAttribute('data-digest')).resolves.toBe(String(id));
    await expect(row.getAttribute('data-kind')).resolves.toBe('scheduled');
    await expect(row.locator('td').nth(1).textContent()).resolves.toBe('Aprobaciones');
    await expect(row.locator('td.ntf-events').textContent()).resolves.toBe('2');
    // The page reads the history again while the digest goes out: the statuses move on their own.
    await app.locator(`#ntf-history-table tr[data-digest="${id}"][data-status=sent]`).waitFor();
    await expect(row.locator('td').nth(3).textContent()).resolves.toBe(say('es', 'status_sent'));
    expect(await recipients(row)).toEqual([
      ['Ana Gómez (+549…63)', say('es', 'status_sent'), ''],
      ['Luis Díaz (+549…64)', say('es', 'status_sent'), ''],
    ]);
  });

  it('shows a recipient Gupshup refused as failed, with the reason in words, and the digest partial', async () => {
    s.gupshup.failNextDelivery({
      destination: ANA.phone.replace(/\D/g, ''),
      code: 1002,
      reason: 'Number Does Not Exist On WhatsApp',
    });
    await event('Pedido 103', minutes(T0, 111));
    const T1 = minutes(T0, 121); // the interval (120 minutes) after the first digest
    const [id] = await s.deps.digests.service.runDue(T1);
    expect(id).toBeDefined();
    for (const lang of ['es', 'en'] as const) {
      const app = await openGroup(lang);
      const row = app.locator(`#ntf-history-table tr[data-digest="${id}"]`);
      await app.locator(`#ntf-history-table tr[data-digest="${id}"][data-status=partial]`).waitFor();
      await expect(row.locator('td').nth(3).textContent()).resolves.toBe(say(lang, 'status_partial'));
      await expect(row.locator('td.ntf-events').textContent()).resolves.toBe('1');
      const notOnWhatsApp = CODE_TEXTS['1002'][lang === 'es' ? 0 : 1];
      expect(await recipients(row)).toEqual([
        ['Ana Gómez (+549…63)', say(lang, 'status_failed'), `${notOnWhatsApp} (1002)`],
        ['Luis Díaz (+549…64)', say(lang, 'status_sent'), ''],
      ]);
    }
  });

  it('shows the app’s own refusal of a send in words: the template no longer approved', async () => {
    const templates = () => s.deps.db.updateTable('templates').where('portal_id', '=', portalId);
    await templates().set({ status: 'paused' }).execute();
    await event('Pedido 104', minutes(T0, 231));
    const [id] = await s.deps.digests.service.runDue(minutes(T0, 242));
    expect(id).toBeDefined();
    const app = await openGroup('en');
    const row = app.locator(`#ntf-history-table tr[data-digest="${id}"]`);
    await app.locator(`#ntf-history-table tr[data-digest="${id}"][data-status=failed]`).waitFor();
    await expect(row.locator('td').nth(3).textContent()).resolves.toBe(say('en', 'status_failed'));
    const notApproved = CODE_TEXTS.template_not_approved[1];
    expect(await recipients(row)).toEqual([
      ['Ana Gómez (+549…63)', say('en', 'status_failed'), notApproved],
      ['Luis Díaz (+549…64)', say('en', 'status_failed'), notApproved],
    ]);
    await templates().set({ status: 'approved' }).execute();
  });

  it('"Test now" sends the test digest at once and its recipients move to sent (es, en)', async () => {
    const before = s.gupshup.sent({ destination: '5491130121163' }).length;
    for (const lang of ['es', 'en'] as const) {
      const app = await openGroup(lang);
      const count = await rows(app).count();
      await testButton(app, report).click();
      await app.locator('#ntf-group-reports-msg .notice.ok').waitFor();
      await expect(app.locator('#ntf-group-reports-msg').textContent()).resolves.toBe(say(lang, 'testSent'));
      await app.locator(`#ntf-history-table tbody tr:nth-child(${count + 1})`).waitFor();
      const row = rows(app).first();
      await expect(row.getAttribute('data-kind')).resolves.toBe('test');
      await expect(row.locator('td').nth(1).textContent()).resolves.toBe(
        'Aprobaciones' + say(lang, 'digestTest'),
      );
      // The report's latest events (four) for the group.
      await expect(row.locator('td.ntf-events').textContent()).resolves.toBe('4');
      await app.locator('#ntf-history-table tbody tr:first-child[data-status=sent]').waitFor();
      expect(await recipients(row)).toEqual([
        ['Ana Gómez (+549…63)', say(lang, 'status_sent'), ''],
        ['Luis Díaz (+549…64)', say(lang, 'status_sent'), ''],
      ]);
      await historyShot(`notifications-history.${lang}`);
    }
    expect(s.gupshup.sent({ destination: '5491130121163' })).toHaveLength(before + 2);
    expect(s.gupshup.sent({ destination: '5491130121163' }).at(-1)?.rendered?.body).toBe(
      'Hay 4 novedades: Pedido 101, Pedido 102, Pedido 103, Pedido 104',
    );
  });

  it('says in words why "Test now" was refused: no approved template, no enabled recipient, trial over', async () => {
    for (const lang of ['es', 'en'] as const) {
      const app = await openGroup(lang);
      const count = await rows(app).count();
      await testButton(app, noTemplate).click();
      await app.locator('#ntf-group-reports-msg .notice.error').waitFor();
      await expect(app.locator('#ntf-group-reports-msg').textContent()).resolves.toBe(
        say(lang, 'testRefused', { reason: say(lang, 'refused_template_not_approved') }),
      );
      await expect(rows(app).count()).resolves.toBe(count);
    }
    const app = await openGroup('es');
    await app.locator('#ntf-unmark-all').click();
    await app.locator('#ntf-recipients-table tr.off').nth(1).waitFor();
    await testButton(app, report).click();
    await app.locator('#ntf-group-reports-msg .notice.error').waitFor();
    await expect(app.locator('#ntf-group-reports-msg').textContent()).resolves.toBe(
      say('es', 'testRefused', { reason: say('es', 'refused_no_recipients') }),
    );
    await app.locator('#ntf-mark-all').click();
    await app.locator('#ntf-recipients-table tr.on').nth(1).waitFor();

    // The trial over (no full service): nothing is sent, and the button says why.
    await s.deps.db
      .updateTable('notification_settings')
      .set({ full_service: false, trial_started_at: new Date('2026-01-01T00:00:00Z') })
      .execute();
    const en = await openGroup('en');
    await testButton(en, report).click();
    await en.locator('#ntf-group-reports-msg .notice.error').waitFor();
    await expect(en.locator('#ntf-group-reports-msg').textContent()).resolves.toBe(
      say('en', 'testRefused', { reason: say('en', 'refused_service_inactive') }),
    );
  });
});
