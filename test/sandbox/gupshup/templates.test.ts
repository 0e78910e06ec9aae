/**
 * Tests the Gupshup sandbox itself against /work/shared/reference/gupshup.md (§ numbers cited).
 * Template management: §4.1 endpoints (list, get, create, key checks), the §4.2 object, the §4.3
 * create fields and §4.4 rules. Review, status events and deletion: template-events.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { APP, appId, call, sb, setup, teardown, templateForm, type Json } from './harness.js';

const base = () => `/wa/app/${appId}/template`;
const create = (over: Record<string, string> = {}) => call('POST', base(), { form: templateForm(over) });
const parse = (s: unknown) => JSON.parse(String(s)) as Json;

describe('template management (§4)', () => {
  afterEach(teardown);

  it('creates a template: 200 success with the §4.2 object, PENDING, containerMeta/meta as JSON strings', async () => {
    await setup({ templateReview: { mode: 'manual' } });
    const buttons = JSON.stringify([
      { type: 'QUICK_REPLY', text: 'Yes' },
      { type: 'QUICK_REPLY', text: 'No' },
      { type: 'URL', text: 'Track', url: 'https://x.test/t/{{1}}', example: ['https://x.test/t/1'] },
    ]);
    const r = await create({
      header: 'Order {{1}}',
      exampleHeader: 'Order 1234',
      footer: 'Thanks',
      buttons,
      enableSample: 'true',
    });
    expect(r.status).toBe(200);
    expect(r.json.status).toBe('success');
    const t = r.json.template as Json;
    expect(t).toMatchObject({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
      appId,
      elementName: 'order_update',
      languageCode: 'en',
      category: 'UTILITY',
      templateType: 'TEXT',
      status: 'PENDING',
      vertical: 'orders',
      languagePolicy: 'deterministic',
      buttonSupported: 'QR,URL',
      data: 'Order {{1}}\nHi {{1}}, your order {{2}} has shipped.\nThanks | [Yes] | [No] | [Track]',
      createdOn: expect.any(Number) as unknown,
      modifiedOn: expect.any(Number) as unknown,
    });
    expect(t.externalId).toMatch(/^\d+$/);
    expect(t.wabaId).toMatch(/^\d{15}$/);
    expect(parse(t.containerMeta)).toMatchObject({
      appId,
      data: 'Hi {{1}}, your order {{2}} has shipped.',
      header: 'Order {{1}}',
      footer: 'Thanks',
      sampleText: 'Hi Ana, your order 1234 has shipped.',
      sampleHeader: 'Order 1234',
      enableSample: true,
      buttons: JSON.parse(buttons) as unknown,
    });
    expect(parse(t.meta)).toMatchObject({ example: 'Hi Ana, your order 1234 has shipped.' });

    const list = await call('GET', base());
    expect(list).toEqual({ status: 200, json: { status: 'success', templates: [t] } });
    expect(await call('GET', `${base()}/${String(t.id)}`)).toEqual({
      status: 200,
      json: { status: 'success', template: t },
    });
    expect(sb.templates(appId)).toEqual([t]);
    expect(sb.templates()).toEqual([t]);
  });

  it('refuses bad creates with 400 {"status":"error","message"} and stores nothing', async () => {
    await setup({ templateReview: { mode: 'manual' } });
    const qr = (n: number) =>
      JSON.stringify(Array.from({ length: n }, (_, i) => ({ type: 'QUICK_REPLY', text: `Q${i}` })));
    const url = { type: 'URL', text: 'Go', url: 'https://x.test' };
    const bad: Array<Record<string, string>> = [
      { elementName: '' },
      { elementName: 'Order_Update' },
      { elementName: 'order-update' },
      { elementName: 'a'.repeat(181) },
      { languageCode: 'english' },
      { category: 'PROMO' },
      { category: 'marketing' },
      { templateType: 'AUDIO' },
      { templateType: 'CAROUSEL', category: 'AUTHENTICATION' },
      { vertical: '' },
      { vertical: 'v'.repeat(181) },
      { content: '' },
      { content: 'x'.repeat(1025), example: '' },
      { content: 'Hi {{name}}', example: 'Hi Ana' },
      { content: 'Hi {{1}} and {{3}}', example: 'Hi a and b' },
      { example: '' },
      { example: 'Something else entirely' },
      { header: 'h'.repeat(61) },
      { header: 'A {{1}} B {{2}}', exampleHeader: 'A x B y' },
      { header: 'Order {{1}}' },
      { footer: 'f'.repeat(61) },
      { footer: 'Bye {{1}}' },
      { buttons: '[{"type":' },
      { buttons: '{"type":"QUICK_REPLY"}' },
      { buttons: qr(11) },
      { buttons: JSON.stringify([url, url, url]) },
      {
        buttons: JSON.stringify([
          { type: 'PHONE_NUMBER', text: 'a', phone_number: '+1' },
          { type: 'PHONE_NUMBER', text: 'b', phone_number: '+2' },
        ]),
      },
      { buttons: JSON.stringify([{ type: 'COPY_CODE', text: 'Copy' }]) },
      { buttons: JSON.stringify([{ type: 'QUICK_REPLY', text: 'x'.repeat(26) }]) },
      {
        buttons: JSON.stringify([
          { type: 'QUICK_REPLY', text: 'a' },
          url,
          { type: 'QUICK_REPLY', text: 'b' },
        ]),
      },
      {
        buttons: JSON.stringify([{ type: 'URL', text: 'Go', url: 'https://x.test/{{1}}' }]),
        enableSample: 'true',
      },
      { buttons: JSON.stringify([{ type: 'TELEPORT', text: 'x' }]) },
      { category: 'AUTHENTICATION', content: 'Your code is ready.', example: '' },
      { templateType: 'IMAGE', enableSample: 'true' },
      { templateType: 'IMAGE', mediaUrl: 'https://x.test/a.jpg' },
      { templateType: 'IMAGE', header: 'Hi', enableSample: 'true', mediaUrl: 'https://x.test/a.jpg' },
    ];
    for (const over of bad) {
      const r = await create(over);
      expect(r.status, JSON.stringify(over)).toBe(400);
      expect(r.json).toEqual({ status: 'error', message: expect.any(String) as unknown });
    }
    expect((await create({ category: 'PROMO' })).json.message).toBe(
      'Invalid category provided, kindly use category from these option AUTHENTICATION, MARKETING, UTILITY',
    );
    // a JSON body is not a form: every field is missing
    const res = await fetch(sb.url + base(), {
      method: 'POST',
      headers: { apikey: APP.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify(templateForm()),
    });
    expect(res.status).toBe(400);
    expect(sb.templates()).toEqual([]);
  });

  it('accepts the §4.3/§4.4 variants: no variables, other language, media with sample, AUTHENTICATION OTP, COPY_CODE', async () => {
    await setup({ templateReview: { mode: 'manual' } });
    const ok: Array<Record<string, string>> = [
      { elementName: 'plain', content: 'Your order has shipped.', example: '' },
      {
        languageCode: 'pt_BR',
        content: 'Oi {{1}}, pedido {{2}} enviado.',
        example: 'Oi Ana, pedido 1234 enviado.',
      },
      {
        elementName: 'with_image',
        templateType: 'IMAGE',
        enableSample: 'true',
        exampleMedia: '4::aW1hZ2U=:abc',
      },
      {
        elementName: 'otp',
        category: 'AUTHENTICATION',
        content: '{{1}} is your verification code.',
        example: '123456 is your verification code.',
        buttons: JSON.stringify([{ type: 'OTP', otp_type: 'COPY_CODE', text: 'Copy Code' }]),
        addSecurityRecommendation: 'true',
      },
      {
        elementName: 'promo',
        category: 'MARKETING',
        buttons: JSON.stringify([
          { type: 'COPY_CODE', text: 'Copy offer' },
          { type: 'QUICK_REPLY', text: 'Stop' },
        ]),
      },
      {
        elementName: 'ten_qr',
        buttons: JSON.stringify(
          Array.from({ length: 10 }, (_, i) => ({ type: 'QUICK_REPLY', text: `Q${i}` })),
        ),
      },
    ];
    for (const over of ok) {
      const r = await create(over);
      expect(r.status, JSON.stringify(over)).toBe(200);
    }
    expect(sb.templates(appId).map((t) => `${t.elementName}/${t.languageCode}`)).toEqual([
      'plain/en',
      'order_update/pt_BR',
      'with_image/en',
      'otp/en',
      'promo/en',
      'ten_qr/en',
    ]);
    // unique per app + language (§4.3)
    const dup = await create({
      languageCode: 'pt_BR',
      content: 'Oi {{1}}, pedido {{2}}.',
      example: 'Oi a, pedido b.',
    });
    expect(dup.status).toBe(400);
  });

  it("the key must be the app's (401), the app id must exist (400 Invalid App ID)", async () => {
    await setup({ templateReview: { mode: 'manual' } });
    const other = sb.addApp({ appName: 'OtherApp09', apiKey: 'key-other-9', sourceNumber: '5491100000009' });
    const id = String(((await create()).json.template as Json).id);
    for (const [method, path] of [
      ['GET', base()],
      ['POST', base()],
      ['GET', `${base()}/${id}`],
      ['DELETE', `${base()}/order_update`],
    ] as const) {
      const form = method === 'POST' ? { form: templateForm({ elementName: 'x' }) } : {};
      const wrong = await call(method, path, { key: 'key-other-9', ...form });
      expect(wrong, `${method} ${path}`).toEqual({
        status: 401,
        json: { status: 'error', message: 'Authentication Failed' },
      });
      expect((await call(method, path, { key: null })).status).toBe(401);
    }
    expect(await call('GET', '/wa/app/nope/template')).toEqual({
      status: 400,
      json: { status: 'error', message: 'Invalid App ID' },
    });
    // the other app does not see this app's template
    expect((await call('GET', `/wa/app/${other.appId}/template/${id}`, { key: 'key-other-9' })).status).toBe(
      400,
    );
    expect(
      (await call('GET', `/wa/app/${other.appId}/template`, { key: 'key-other-9' })).json.templates,
    ).toEqual([]);
    expect(sb.templates(appId)).toHaveLength(1);
  });
});
