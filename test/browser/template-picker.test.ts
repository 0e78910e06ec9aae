import type { FrameLocator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SAMPLE_PORTAL, waitFor, type DemoChannel } from '../../scripts/stack.js';
import { PICKER_TEXTS } from '../../src/modules/pages/picker-texts.js';
import { TEMPLATE_TEXTS } from '../../src/modules/pages/templates-texts.js';
import { uiText } from '../../src/modules/pages/texts.js';
import { launchBrowser, shot, VIEWPORT } from '../helpers/browser.js';
import { samplePng } from '../helpers/png.js';
import { installedEnterprise, useStack } from '../helpers/stack.js';
import { addTemplate, makeSalesRep, type TestTemplate } from '../helpers/templates.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const UI_FORBIDDEN = uiText('es', 'common.forbidden');

/**
 * The template picker in a real browser (issue 11): the sandbox portal frames the app's page for the
 * IM_TEXTAREA placement of an open-line chat, and for a contact card's tab, as Bitrix24 does. An
 * agent fills the named parameters, sees the WhatsApp preview, sends; the sandbox Gupshup receives
 * the template, and the page says what became of it (sent, or failed and why).
 */
describe('template picker in Chromium', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  let ch: DemoChannel;
  let aviso: TestTemplate;

  beforeAll(async () => {
    browser = await launchBrowser();
    page = await browser.browser.newPage();
    ({ ch } = await installedEnterprise(s));
    aviso = await addTemplate(s, { channelId: ch.id, name: 'aviso_pedido', displayName: 'Aviso de pedido' });
    // What the preview shows besides the body: a footer and the quick replies under the bubble.
    await s.deps.db
      .updateTable('templates')
      .set({
        footer: 'Tienda 1 · no responda a este número',
        buttons: JSON.stringify([
          { type: 'QUICK_REPLY', text: 'Gracias' },
          { type: 'QUICK_REPLY', text: 'Quiero hablar' },
        ]),
      })
      .where('id', '=', aviso.id)
      .execute();
    await addTemplate(s, { channelId: ch.id, name: 'soporte', displayName: 'Soporte', lines: [2] });
    // Bruno sends templates and their header files as the channel's sales representative (C7).
    await makeSalesRep(s, ch.id, 2);
  });
  afterAll(async () => browser?.close());

  /** The customer wrote `ago` ms ago; the Bitrix24 chat that message opened, once the app knows it. */
  const customerWrote = async (phone: string, ago: number): Promise<number> => {
    const text = `hola ${phone}`;
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, text, timestamp: Date.now() - ago });
    const m = await waitFor(() =>
      s.portal.messages({ author: 'customer' }).find((x) => x.externalChatId === phone && x.text === text),
    );
    await waitFor(async () => {
      const c = await s.deps.db
        .selectFrom('conversations')
        .select(['bitrix_chat_id', 'assigned_at'])
        .where('customer_phone', '=', phone)
        .executeTakeFirst();
      return c?.bitrix_chat_id === m.chatId && c.assigned_at !== null;
    });
    return m.chatId;
  };

  const open = async (query: string): Promise<FrameLocator> => {
    await page.goto(`${s.portal.pageUrl}${query}`);
    const app = page.frameLocator('iframe[name=app]');
    await app.locator('body[data-ready=picker]').waitFor();
    return app;
  };
  const sentTo = (phone: string) =>
    s.gupshup.sent({ destination: phone }).filter((m) => m.message.type === 'template');

  it('closed window: fills the named parameters, previews, sends; the sandbox Gupshup gets the template', async () => {
    const phone = '5491100007001';
    const chatId = await customerWrote(phone, DAY_MS + 60_000);
    const app = await open(`?view=IM_TEXTAREA&dialog=chat${chatId}&user=2&lang=es`);
    await expect(app.locator('#window-state').textContent()).resolves.toBe(PICKER_TEXTS.windowClosed[0]);
    // Only the line's templates: «Soporte» is on line 2.
    const options = await app.locator('select[name=template] option').allTextContents();
    expect(options).toEqual(['Aviso de pedido (es)']);

    // Nothing filled: each empty parameter says so next to its field, and nothing is sent.
    await app.locator('#picker-send').click();
    await expect(app.locator('[data-issue-for="params.nombre"]').textContent()).resolves.toBe(
      PICKER_TEXTS.fill[0],
    );
    await expect(app.locator('input[name=param-1]').getAttribute('aria-invalid')).resolves.toBe('true');
    expect(sentTo(phone)).toHaveLength(0);

    await app.locator('input[name=param-1]').fill('Lucía');
    const preview = app.locator('[data-preview]');
    await expect(preview.locator('.wa-body').textContent()).resolves.toBe(
      'Hola Lucía, su pedido {{2}} está listo.',
    );
    await app.locator('input[name=param-2]').fill('B-7');
    await expect(preview.locator('.wa-body').textContent()).resolves.toBe(
      'Hola Lucía, su pedido B-7 está listo.',
    );
    await expect(preview.locator('.wa-foot').textContent()).resolves.toBe(
      'Tienda 1 · no responda a este número',
    );
    await expect(preview.locator('.wa-btn').allTextContents()).resolves.toEqual(['Gracias', 'Quiero hablar']);
    await shot(page, 'picker.es');

    await app.locator('#picker-send').click();
    await app.locator('#picker-result[data-result=sent]').waitFor({ timeout: 30_000 });
    await expect(app.locator('#picker-result').textContent()).resolves.toMatch(
      /^Plantilla enviada \(.+\)\.$/,
    );
    const out = await waitFor(() => sentTo(phone)[0]);
    expect(out.message).toEqual({
      type: 'template',
      template: { id: aviso.gupshupId, params: ['Lucía', 'B-7'] },
    });
    expect(out.rendered?.text).toBe('Hola Lucía, su pedido B-7 está listo.');
    await shot(page, 'picker-sent.es');
  });

  it('says why a template was not sent (Gupshup: template paused)', async () => {
    const phone = '5491100007002';
    const chatId = await customerWrote(phone, DAY_MS + 60_000);
    const app = await open(`?view=IM_TEXTAREA&dialog=chat${chatId}&user=2&lang=en`);
    await expect(app.locator('#window-state').textContent()).resolves.toBe(PICKER_TEXTS.windowClosed[1]);
    await app.locator('input[name=param-1]').fill('Lucy');
    await app.locator('input[name=param-2]').fill('C-9');
    await shot(page, 'picker.en');
    s.gupshup.failNextDelivery({ destination: phone, code: 4005, reason: 'Template is paused' });
    await app.locator('#picker-send').press('Enter');
    await app.locator('#picker-result[data-result=failed]').waitFor({ timeout: 30_000 });
    await expect(app.locator('#picker-result').textContent()).resolves.toBe(
      'Not sent: Template paused (4005)',
    );
  });

  it('fits the chat panel’s narrow frame (~360 px): one column, nothing wider than the frame', async () => {
    const phone = '5491100007004';
    const chatId = await customerWrote(phone, 60_000);
    // The portal page's menu takes the same room at any width: a 360 px frame.
    await page.setViewportSize({ width: 360 + (VIEWPORT.width - 850), height: 900 });
    try {
      const app = await open(`?view=IM_TEXTAREA&dialog=chat${chatId}&user=2&lang=es`);
      await expect(app.locator('#window-state').textContent()).resolves.toBe(PICKER_TEXTS.windowOpen[0]);
      await app.locator('input[name=param-1]').fill('Lucía');
      const frame = page.frames().find((f) => f.name() === 'app');
      const fit = await frame?.evaluate<{ width: number; scroll: number; stacked: boolean }>(
        `(() => {
          const form = document.getElementById('picker-form').getBoundingClientRect();
          const preview = document.querySelector('[data-preview]').getBoundingClientRect();
          return {
            width: document.documentElement.clientWidth,
            scroll: document.documentElement.scrollWidth,
            stacked: preview.top >= form.bottom,
          };
        })()`,
      );
      expect(fit?.width).toBeLessThanOrEqual(380);
      expect(fit?.scroll).toBe(fit?.width);
      expect(fit?.stacked).toBe(true);
      await shot(page, 'picker-narrow.es');
    } finally {
      await page.setViewportSize(VIEWPORT);
    }
  });

  it('attaches the header image: checked in the browser before the upload, shown in the preview, sent', async () => {
    const promo = await addTemplate(s, {
      channelId: ch.id,
      name: 'promo_foto',
      displayName: 'Promo con foto',
      type: 'IMAGE',
      body: 'Oferta para {{1}} esta semana.',
      params: [{ name: 'nombre', example: 'Ana' }],
    });
    const phone = '5491100007005';
    const chatId = await customerWrote(phone, DAY_MS + 60_000);
    const app = await open(`?view=IM_TEXTAREA&dialog=chat${chatId}&user=2&lang=es`);
    await app.locator('select[name=template]').selectOption(promo.id);
    await expect(app.locator('[data-preview] [data-media=IMAGE]').textContent()).resolves.toBe('Imagen');
    await app.locator('input[name=param-1]').fill('Ana');
    // Sending without the file: it is asked for next to its field.
    await app.locator('#picker-send').click();
    await expect(app.locator('[data-issue-for=mediaId]').textContent()).resolves.toBe(PICKER_TEXTS.attach[0]);
    const file = app.locator('input[type=file][name=media]');
    await file.setInputFiles({
      name: 'promo.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('%PDF-1.4'),
    });
    await expect(app.locator('[data-issue-for=mediaId]').textContent()).resolves.toBe(
      TEMPLATE_TEXTS['media.wrongType.IMAGE'][0],
    );
    expect(await s.deps.db.selectFrom('media').select('id').execute()).toHaveLength(0);
    await file.setInputFiles({ name: 'promo.png', mimeType: 'image/png', buffer: samplePng() });
    await app.locator('[data-preview] .wa-media img').waitFor();
    await shot(page, 'picker-image.es');
    await app.locator('#picker-send').click();
    const out = await waitFor(() => sentTo(phone)[0], 30_000, 'the image template at the sandbox Gupshup');
    expect(out.message).toMatchObject({
      type: 'template',
      template: { id: promo.gupshupId, params: ['Ana'] },
    });
    expect(JSON.stringify(out.message)).toContain('image');
    await app.locator('#picker-result[data-result=sent]').waitFor({ timeout: 30_000 });
  });

  it('a chat that is not a WhatsApp conversation says so; a user without a role on the channel is told why', async () => {
    let app = await open('?view=IM_TEXTAREA&dialog=42&user=2&lang=es');
    await expect(app.locator('#view').textContent()).resolves.toContain(PICKER_TEXTS.notWhatsApp[0]);
    const chatId = await customerWrote('5491100007006', DAY_MS + 60_000);
    app = await open(`?view=IM_TEXTAREA&dialog=chat${chatId}&user=4&lang=es`);
    await expect(app.locator('#view .notice.error').textContent()).resolves.toBe(UI_FORBIDDEN);
    await expect(app.locator('#picker-form').count()).resolves.toBe(0);
  });

  it('from a contact card: chooses the phone and the channel, sends', async () => {
    const phone = '5491100007003';
    const contactId = s.portal.addCrmContact({ name: 'Marta Gómez', phone: `+${phone}`, assignedById: 2 });
    const app = await open(`?view=CRM_CONTACT_DETAIL_TAB&id=${contactId}&user=1&lang=es`);
    await expect(app.locator('select[name=phone] option').allTextContents()).resolves.toEqual([
      `+${phone} · Marta Gómez`,
    ]);
    await expect(app.locator('select[name=channel] option').allTextContents()).resolves.toEqual([
      `Tienda 1 (+${ch.sourceNumber})`,
    ]);
    await app.locator('input[name=param-1]').fill('Marta');
    await app.locator('input[name=param-2]').fill('D-1');
    await shot(page, 'picker-crm.es');
    await app.locator('#picker-send').click();
    const out = await waitFor(() => sentTo(phone)[0], 30_000, 'the template at the sandbox Gupshup');
    expect(out.message).toEqual({
      type: 'template',
      template: { id: aviso.gupshupId, params: ['Marta', 'D-1'] },
    });
    await app.locator('#picker-result[data-result=sent]').waitFor({ timeout: 30_000 });
  });
});
