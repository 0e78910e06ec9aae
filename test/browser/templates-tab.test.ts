import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_PORTAL, waitFor, type DemoChannel } from '../../scripts/stack.js';
import { TEMPLATE_TEXTS } from '../../src/modules/pages/templates-texts.js';
import { AUTH_BODIES } from '../../src/modules/templates/template-model.js';
import { RULE_TEXTS } from '../../src/modules/templates/template-texts.js';
import { launchBrowser, shot } from '../helpers/browser.js';
import { samplePng } from '../helpers/png.js';
import { installedEnterprise, useStack } from '../helpers/stack.js';
import { addTemplate } from '../helpers/templates.js';

/**
 * The Templates tab and the request form in a real browser (issue 11, seed 001): the rules show
 * their messages as the admin types, the preview follows the text, a good draft goes to the sandbox
 * Gupshup and shows Pending, then Approved once the sandbox's review says so; the server's refusal
 * shows next to its field; filters, the active switch, the open lines and deletion.
 */
describe('templates tab in Chromium', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let ch: DemoChannel;
  let appId: string;

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.browser.newPage();
    ({ ch } = await installedEnterprise(s));
    const row = await s.deps.db
      .selectFrom('channels')
      .select('gupshup_app_id')
      .where('id', '=', ch.id)
      .executeTakeFirstOrThrow();
    appId = row.gupshup_app_id ?? '';
    // Reviews wait for the test: it decides when WhatsApp answers.
    s.gupshup.setTemplateReview({ mode: 'manual' });
  });
  afterAll(async () => browser?.close());

  const open = async (lang: string): Promise<FrameLocator> => {
    await page.goto(`${s.portal.pageUrl}?lang=${lang}`);
    const app = page.frameLocator('iframe[name=app]');
    await app.locator('body[data-ready=channels]').waitFor();
    await app.locator('[data-tab=templates]').click();
    await app.locator('body[data-ready=templates]').waitFor();
    return app;
  };
  const issue = (app: FrameLocator, field: string) => app.locator(`[data-issue-for="${field}"]`);
  const rule = (code: keyof typeof RULE_TEXTS, at = 0): string => RULE_TEXTS[code][at] ?? code;
  const next = async (app: FrameLocator, step: string) => {
    await app.locator('#tpl-next').click();
    await app.locator(`body[data-step=${step}]`).waitFor();
  };

  /** Names and setup of a text template with one quick reply (steps 1 and 2). */
  const namesAndSetup = async (app: FrameLocator, element: string, display: string) => {
    await app.locator('#template-request').click();
    await app.locator('body[data-step=names]').waitFor();
    await app.locator('[data-field=elementName]').fill(element);
    await app.locator('[data-field=displayName]').fill(display);
    await next(app, 'setup');
    await app.locator('select[name=buttonKind]').selectOption('quick');
    await app.locator('[data-field="buttons.0.text"]').fill('Gracias');
  };

  it('requests a template step by step: live rules, preview, Pending, then Approved after the review', async () => {
    const app = await open('es');
    await app.locator('#template-request').click();
    await app.locator('body[data-step=names]').waitFor();

    // A bad element name says why as it is typed, in the page's language.
    await app.locator('[data-field=elementName]').fill('Pedido Listo');
    await expect(issue(app, 'elementName').textContent()).resolves.toBe(rule('element_name_format'));
    await expect(app.locator('[data-field=elementName]').getAttribute('aria-invalid')).resolves.toBe('true');
    await shot(page, 'template-form-names.es');
    // The step does not move on while it has a problem.
    await app.locator('#tpl-next').click();
    await expect(app.locator('body').getAttribute('data-step')).resolves.toBe('names');
    await app.locator('[data-field=elementName]').fill('pedido_listo');
    await expect(issue(app, 'elementName').textContent()).resolves.toBe('');
    await app.locator('[data-field=displayName]').fill('Pedido listo');
    await next(app, 'setup');

    await app.locator('input[name=category][value=UTILITY]').check();
    await app.locator('select[name=buttonKind]').selectOption('quick');
    await app.locator('[data-field="buttons.0.text"]').fill('Gracias');
    await app.locator('#add-button').click();
    await app.locator('[data-field="buttons.1.text"]').fill('Gracias');
    await expect(issue(app, 'buttons.1.text').textContent()).resolves.toBe(
      rule('button_text_repeated').replace('{#}', '2').replace('{text}', 'Gracias'),
    );
    await app.locator('[data-field="buttons.1.text"]').fill('Quiero hablar');
    await shot(page, 'template-form-setup.es');
    await next(app, 'content');

    const preview = app.locator('[data-preview]');
    await app.locator('[data-field=header]').fill('Su pedido');
    await app.locator('[data-field=body]').fill('Hola {{1}}, su pedido {{2}}');
    await expect(issue(app, 'body').textContent()).resolves.toBe(rule('placeholder_at_end'));
    await app.locator('[data-field=body]').fill('Hola {{1}}, su pedido {{2}} está *listo*.');
    await expect(issue(app, 'body').textContent()).resolves.toBe('');
    await app.locator('[data-field=footer]').fill('Tienda 1');
    await expect(preview.locator('.wa-head').textContent()).resolves.toBe('Su pedido');
    await expect(preview.locator('.wa-body').textContent()).resolves.toBe(
      'Hola {{1}}, su pedido {{2}} está listo.',
    );
    await expect(preview.locator('.wa-body strong').textContent()).resolves.toBe('listo');
    await expect(preview.locator('.wa-foot').textContent()).resolves.toBe('Tienda 1');
    await expect(preview.locator('.wa-btn').allTextContents()).resolves.toEqual(['Gracias', 'Quiero hablar']);
    await shot(page, 'template-form-content.es');
    await next(app, 'params');

    // One row per {{n}}; the examples fill the preview.
    await expect(app.locator('[data-param]').count()).resolves.toBe(2);
    await app.locator('#tpl-next').click();
    await expect(issue(app, 'params.0.name').textContent()).resolves.toBe(
      rule('param_name_required').replace('{{{#}}}', '{{1}}'),
    );
    await app.locator('[data-field="params.0.name"]').fill('Nombre del cliente');
    await app.locator('[data-field="params.0.example"]').fill('Ana');
    await app.locator('[data-field="params.1.name"]').fill('Número de pedido');
    await app.locator('[data-field="params.1.example"]').fill('A-123');
    await expect(preview.locator('.wa-body').textContent()).resolves.toBe(
      'Hola Ana, su pedido A-123 está listo.',
    );
    await shot(page, 'template-form-params.es');
    await next(app, 'confirm');
    await expect(app.locator('input[name=line][value="1"]').isChecked()).resolves.toBe(true);
    await shot(page, 'template-form-confirm.es');

    await app.locator('#tpl-next').click();
    await app.locator('body[data-ready=templates]').waitFor();
    const row = app.locator('#templates tr[data-element=pedido_listo]');
    await row.locator('.badge[data-status=pending]').waitFor({ timeout: 30_000 });
    await expect(app.locator('#templates-msg').textContent()).resolves.toContain('Pedido listo');
    await expect(row.locator('.lines-cell').textContent()).resolves.toContain('#1');
    await shot(page, 'app-templates.es');

    const submitted = await waitFor(() =>
      s.gupshup.templates(appId).find((t) => t.elementName === 'pedido_listo'),
    );
    expect(submitted).toMatchObject({ status: 'PENDING', languageCode: 'es', category: 'UTILITY' });
    s.gupshup.setTemplateStatus(submitted.id, 'APPROVED');
    await row.locator('.badge[data-status=approved]').waitFor({ timeout: 30_000 });
  });

  it('shows the server’s refusal next to its field: an element name the channel already has in that language', async () => {
    const app = await open('es');
    await namesAndSetup(app, 'pedido_listo', 'Otra vez');
    await next(app, 'content');
    await app.locator('[data-field=body]').fill('Hola, su pedido está listo.');
    await next(app, 'params');
    await next(app, 'confirm');
    await app.locator('#tpl-next').click();
    await app.locator('body[data-step=names]').waitFor();
    await expect(issue(app, 'elementName').textContent()).resolves.toBe(rule('element_name_taken'));
    // Changing the field takes the server's word away.
    await app.locator('[data-field=elementName]').fill('pedido_listo_2');
    await expect(issue(app, 'elementName').textContent()).resolves.toBe('');
  });

  it('Authentication: text only, the fixed text of its language, one copy-code button', async () => {
    const app = await open('es');
    await app.locator('#template-request').click();
    await app.locator('[data-field=elementName]').fill('codigo_acceso');
    await app.locator('[data-field=displayName]').fill('Código de acceso');
    await next(app, 'setup');
    await app.locator('input[name=category][value=AUTHENTICATION]').check();
    await expect(app.locator('select[name=type]').isDisabled()).resolves.toBe(true);
    await expect(app.locator('select[name=buttonKind]').count()).resolves.toBe(0);
    await next(app, 'content');
    await expect(app.locator('[data-field=body]').inputValue()).resolves.toBe(AUTH_BODIES.es);
    await expect(app.locator('[data-field=body]').getAttribute('readonly')).resolves.toBe('');
    await expect(app.locator('[data-field=header]').count()).resolves.toBe(0);
    const preview = app.locator('[data-preview]');
    await expect(preview.locator('.wa-btn').allTextContents()).resolves.toEqual(['Copiar código']);
    await next(app, 'params');
    await app.locator('[data-field="params.0.name"]').fill('Código');
    await app.locator('[data-field="params.0.example"]').fill('482915');
    await expect(preview.locator('.wa-body').textContent()).resolves.toBe(
      'Tu código de verificación es 482915',
    );
    await next(app, 'confirm');
    await app.locator('#tpl-cancel').click();
    await app.locator('body[data-ready=templates]').waitFor();
  });

  it('checks a header file’s type and size in the browser before uploading it', async () => {
    const app = await open('en');
    await app.locator('#template-request').click();
    await app.locator('[data-field=elementName]').fill('promo_foto');
    await app.locator('[data-field=displayName]').fill('Promo photo');
    await next(app, 'setup');
    await app.locator('select[name=type]').selectOption('IMAGE');
    await next(app, 'content');
    const file = app.locator('input[type=file][name=sample]');
    await file.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await expect(issue(app, 'sampleMediaId').textContent()).resolves.toBe(
      TEMPLATE_TEXTS['media.wrongType.IMAGE'][1],
    );
    const big = Buffer.alloc(2 * 1024 * 1024 + 10, 0);
    await file.setInputFiles({ name: 'big.png', mimeType: 'image/png', buffer: big });
    await expect(issue(app, 'sampleMediaId').textContent()).resolves.toBe(
      'The file is 2.1 MB; at most 2 MB.',
    );
    const uploads = await s.deps.db.selectFrom('media').select('id').execute();
    expect(uploads).toHaveLength(0);
    // A real PNG goes up and shows in the bubble.
    await file.setInputFiles({ name: 'promo.png', mimeType: 'image/png', buffer: samplePng() });
    await app.locator('[data-preview] .wa-media img').waitFor();
    await expect(issue(app, 'sampleMediaId').textContent()).resolves.toBe('');
    await app.locator('[data-field=body]').fill('Only this week: {{1}} off.');
    await shot(page, 'template-form-content.en');
  });

  it('filters by category, status, language, active and text; switches a template off; assigns lines; deletes', async () => {
    await addTemplate(s, { channelId: ch.id, name: 'bienvenida', displayName: 'Bienvenida' });
    const promo = await addTemplate(s, {
      channelId: ch.id,
      name: 'promo_verano',
      displayName: 'Promo verano',
      lines: [],
    });
    await s.deps.db
      .updateTable('templates')
      .set({ category: 'MARKETING', status: 'rejected', status_reason: 'INVALID_FORMAT' })
      .where('id', '=', promo.id)
      .execute();
    await addTemplate(s, { channelId: ch.id, name: 'welcome', displayName: 'Welcome', language: 'en' });

    const app = await open('es');
    const rows = app.locator('#templates tbody tr');
    const names = () => rows.locator('td:first-child button.link').allTextContents();
    await expect(names()).resolves.toEqual(
      expect.arrayContaining(['Pedido listo', 'Bienvenida', 'Promo verano', 'Welcome']),
    );
    const rejected = app.locator('#templates tr[data-element=promo_verano]');
    await expect(rejected.locator('.badge').textContent()).resolves.toBe(
      TEMPLATE_TEXTS['status.rejected'][0],
    );
    await expect(rejected.locator('[data-reason]').textContent()).resolves.toBe('Motivo: INVALID_FORMAT');
    await expect(rejected.locator('.lines-cell').textContent()).resolves.toBe(TEMPLATE_TEXTS.noLines[0]);

    await app.locator('#template-filters select[name=category]').selectOption('MARKETING');
    await expect(names()).resolves.toEqual(['Promo verano']);
    await app.locator('#template-filters select[name=category]').selectOption('');
    await app.locator('#template-filters select[name=status]').selectOption('approved');
    await expect(names()).resolves.not.toContain('Promo verano');
    await app.locator('#template-filters select[name=language]').selectOption('en');
    await expect(names()).resolves.toEqual(['Welcome']);
    await app.locator('#template-filters select[name=language]').selectOption('');
    await app.locator('#template-filters select[name=status]').selectOption('');
    await app.locator('#template-filters input[name=q]').fill('bienven');
    await expect(names()).resolves.toEqual(['Bienvenida']);
    await app.locator('#template-filters input[name=q]').fill('');

    // The active switch: off in the app at once, and the inactive filter finds it.
    const welcome = app.locator('#templates tr[data-element=bienvenida]');
    await welcome.locator('.switch span').click();
    await welcome
      .locator('input[data-act=active]:not(:checked):not(:disabled)')
      .waitFor({ state: 'attached' });
    await waitFor(async () => {
      const t = await s.deps.db
        .selectFrom('templates')
        .select('active')
        .where('element_name', '=', 'bienvenida')
        .executeTakeFirst();
      return t?.active === false;
    });
    await app.locator('#template-filters select[name=active]').selectOption('false');
    await expect(names()).resolves.toEqual(['Bienvenida']);
    await expect(welcome.locator('input[data-act=active]').isChecked()).resolves.toBe(false);
    await app.locator('#template-filters select[name=active]').selectOption('');

    // Offered on the open line 2 as well.
    await welcome.locator('[data-act=lines]').click();
    await app.locator('form.dialog input[name=line][value="2"]').check();
    await app.locator('form.dialog button[type=submit]').click();
    await app.locator('form.dialog').waitFor({ state: 'detached' });
    await welcome.locator('.lines-cell', { hasText: '#2' }).waitFor();
    const lines = await s.deps.db
      .selectFrom('template_lines')
      .innerJoin('templates', 'templates.id', 'template_lines.template_id')
      .select('line_id')
      .where('element_name', '=', 'bienvenida')
      .orderBy('line_id')
      .execute();
    expect(lines.map((l) => l.line_id)).toEqual([1, 2]);

    // The name opens the template as the customer gets it; Escape closes it, focus goes back.
    await welcome.locator('[data-act=view]').click();
    await expect(app.locator('form.dialog [data-preview] .wa-body').textContent()).resolves.toBe(
      'Hola Ana, su pedido A-1 está listo.',
    );
    await page.keyboard.press('Escape');
    await app.locator('form.dialog').waitFor({ state: 'detached' });
    const focused = await page
      .frames()
      .find((f) => f.name() === 'app')
      ?.evaluate<string>(
        "(() => { const a = document.activeElement; return a.closest('tr').getAttribute('data-element') + ' ' + a.getAttribute('data-act'); })()",
      );
    expect(focused).toBe('bienvenida view');

    await rejected.locator('[data-act=delete]').click();
    await expect(app.locator('form.dialog').textContent()).resolves.toContain('Promo verano');
    await app.locator('form.dialog button[type=submit]').click();
    await rejected.locator('.badge.deleted').waitFor({ timeout: 30_000 });

    await app.locator('#templates-sync').click();
    await app.locator('#templates-msg .notice.ok', { hasText: TEMPLATE_TEXTS.syncAsked[0] }).waitFor();
  });

  it('follows LANG: the English tab', async () => {
    const app = await open('en');
    await app.locator('#templates tr[data-element=pedido_listo] .badge').waitFor();
    await expect(app.locator('#templates tr[data-element=pedido_listo] .badge').textContent()).resolves.toBe(
      'Approved',
    );
    await shot(page, 'app-templates.en');
  });
});
