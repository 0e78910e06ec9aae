import { MockAgent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseGupshupCallback } from '../../../src/integrations/gupshup/gupshup.webhook.js';
import {
  createForm,
  GupshupTemplateError,
  GupshupTemplatesClient,
  type TemplateSubmission,
} from '../../../src/integrations/gupshup/templates.js';
import { HttpClient } from '../../../src/shared/http/http-client.js';
import { ValidationError } from '../../../src/shared/errors.js';

const API = 'https://api.gupshup.test';
const app = { appId: 'app-1', apiKey: 'key-1234567890' };

const submission: TemplateSubmission = {
  elementName: 'order_update',
  language: 'es',
  category: 'UTILITY',
  type: 'IMAGE',
  vertical: 'Order update',
  body: 'Hola {{1}}, su pedido {{2}} salió.',
  bodyExample: 'Hola Ana, su pedido A-1 salió.',
  footer: 'Tienda',
  buttons: [
    {
      type: 'URL',
      text: 'Seguir',
      url: 'https://shop.example.com/t/{{1}}',
      example: 'https://shop.example.com/t/A-1',
    },
    { type: 'PHONE_NUMBER', text: 'Llamar', phoneNumber: '+5491123456789' },
  ],
  mediaUrl: 'https://app.example.com/media/abc?exp=1&sig=x',
};

// §4.2: containerMeta is a JSON string.
const listed = {
  id: 'tpl-1',
  elementName: 'order_update',
  languageCode: 'es',
  category: 'UTILITY',
  templateType: 'TEXT',
  status: 'APPROVED',
  data: 'Hola {{1}} | [Sí]',
  containerMeta: JSON.stringify({
    data: 'Hola {{1}}, listo.',
    header: 'Pedido',
    footer: 'Tienda',
    buttons: [
      { type: 'QUICK_REPLY', text: 'Sí' },
      { type: 'FLOW', text: 'x' },
    ],
    sampleText: 'Hola Ana, listo.',
  }),
};

let agent: MockAgent;
let client: GupshupTemplatesClient;

beforeEach(() => {
  agent = new MockAgent();
  agent.disableNetConnect();
  client = new GupshupTemplatesClient(new HttpClient(agent), API);
});
afterEach(async () => {
  agent.assertNoPendingInterceptors();
  await agent.close();
});

const pool = () => agent.get(API);

describe('the Gupshup template adapter', () => {
  it('creates with the documented form fields and reads the id', async () => {
    let sent = '';
    pool()
      .intercept({
        path: '/wa/app/app-1/template',
        method: 'POST',
        headers: { apikey: 'key-1234567890' },
        body: (b) => ((sent = b), true),
      })
      .reply(200, { status: 'success', template: { id: 'tpl-9', status: 'PENDING' } });
    expect(await client.create(app, submission)).toEqual({ id: 'tpl-9', status: 'PENDING' });
    const form = new URLSearchParams(sent);
    expect(Object.fromEntries(form)).toMatchObject({
      elementName: 'order_update',
      languageCode: 'es',
      category: 'UTILITY',
      templateType: 'IMAGE',
      vertical: 'Order update',
      content: 'Hola {{1}}, su pedido {{2}} salió.',
      example: 'Hola Ana, su pedido A-1 salió.',
      footer: 'Tienda',
      enableSample: 'true',
      mediaUrl: submission.mediaUrl,
    });
    expect(JSON.parse(form.get('buttons') ?? '')).toEqual([
      {
        type: 'URL',
        text: 'Seguir',
        url: 'https://shop.example.com/t/{{1}}',
        example: ['https://shop.example.com/t/A-1'],
      },
      { type: 'PHONE_NUMBER', text: 'Llamar', phone_number: '+5491123456789' },
    ]);
  });

  it('sends no buttons field without buttons, and the header with its example', () => {
    const form = new URLSearchParams(
      createForm({
        ...submission,
        type: 'TEXT',
        buttons: [],
        mediaUrl: undefined,
        header: 'Pedido {{1}}',
        headerExample: 'Pedido 7',
      }),
    );
    expect(form.has('buttons')).toBe(false);
    expect(form.has('mediaUrl')).toBe(false);
    expect(form.get('header')).toBe('Pedido {{1}}');
    expect(form.get('exampleHeader')).toBe('Pedido 7');
  });

  it('reports a refusal with Gupshup’s words, not retried', async () => {
    pool().intercept({ path: '/wa/app/app-1/template', method: 'POST' }).reply(400, {
      status: 'error',
      message: 'Template Already exists with same namespace and elementName and languageCode',
    });
    const err = await client.create(app, submission).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GupshupTemplateError);
    expect(err).toMatchObject({ retryable: false, outcomeUnknown: false });
    expect((err as GupshupTemplateError).refusal).toMatch(/Already exists/);
  });

  it('treats a 5xx or an unreadable 2xx to a create as an unknown outcome', async () => {
    pool().intercept({ path: '/wa/app/app-1/template', method: 'POST' }).reply(502, 'Bad gateway');
    pool().intercept({ path: '/wa/app/app-1/template', method: 'POST' }).reply(200, '<html>ok</html>');
    for (let i = 0; i < 2; i++) {
      const err = await client.create(app, submission).catch((e: unknown) => e);
      expect(err).toMatchObject({ retryable: true, outcomeUnknown: true });
    }
  });

  it('marks a rejected key as an auth failure', async () => {
    pool()
      .intercept({ path: '/wa/app/app-1/template', method: 'GET' })
      .reply(401, { status: 'error', message: 'Authentication Failed' });
    const err = await client.list(app).catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: false, opts: { authFailure: true } });
  });

  it('lists templates, reading containerMeta as a JSON string or an object', async () => {
    const asObject = {
      ...listed,
      id: 'tpl-2',
      languageCode: 'en',
      containerMeta: JSON.parse(listed.containerMeta) as unknown,
    };
    pool()
      .intercept({ path: '/wa/app/app-1/template', method: 'GET' })
      .reply(200, { status: 'success', templates: [listed, asObject] });
    const { templates, complete } = await client.list(app);
    expect(complete).toBe(true);
    expect(templates).toHaveLength(2);
    expect(templates[0]).toMatchObject({
      id: 'tpl-1',
      language: 'es',
      status: 'APPROVED',
      body: 'Hola {{1}}, listo.',
      header: 'Pedido',
      footer: 'Tienda',
      buttons: [{ type: 'QUICK_REPLY', text: 'Sí' }],
      buttonsComplete: false,
      sampleBody: 'Hola Ana, listo.',
    });
    expect(templates[1]).toMatchObject({ id: 'tpl-2', language: 'en', body: 'Hola {{1}}, listo.' });
  });

  it('says a list is incomplete when an entry cannot be read', async () => {
    pool()
      .intercept({ path: '/wa/app/app-1/template', method: 'GET' })
      .reply(200, { status: 'success', templates: [listed, { elementName: 'no_id' }] });
    const { templates, complete } = await client.list(app);
    expect(templates.map((t) => t.id)).toEqual(['tpl-1']);
    expect(complete).toBe(false);
  });

  it('gets one template, null when Gupshup does not know it', async () => {
    pool()
      .intercept({ path: '/wa/app/app-1/template/tpl-1', method: 'GET' })
      .reply(200, { status: 'success', template: listed });
    pool()
      .intercept({ path: '/wa/app/app-1/template/nope', method: 'GET' })
      .reply(400, { status: 'error', message: 'Template Does not exists.' });
    expect(await client.get(app, 'tpl-1')).toMatchObject({ id: 'tpl-1', status: 'APPROVED' });
    expect(await client.get(app, 'nope')).toBeNull();
  });

  it('deletes by element name; a template already gone is the same end', async () => {
    pool()
      .intercept({ path: '/wa/app/app-1/template/order_update', method: 'DELETE' })
      .reply(200, { status: 'success' });
    pool()
      .intercept({ path: '/wa/app/app-1/template/old_one', method: 'DELETE' })
      .reply(400, { status: 'error', message: 'Template Does not exists.' });
    pool()
      .intercept({ path: '/wa/app/app-1/template/sandboxed', method: 'DELETE' })
      .reply(400, { status: 'error', message: 'Delete Operation is not allowed for sandbox apps' });
    expect(await client.delete(app, 'order_update')).toBe('deleted');
    expect(await client.delete(app, 'old_one')).toBe('gone');
    const err = await client.delete(app, 'sandboxed').catch((e: unknown) => e);
    expect(err).toMatchObject({
      retryable: false,
      refusal: 'Delete Operation is not allowed for sandbox apps',
    });
  });
});

describe('template events (§3.7)', () => {
  const env = (payload: unknown) => ({
    app: 'DemoApp',
    timestamp: 1700000000000,
    version: 2,
    type: 'template-event',
    payload,
  });

  it('reads a rejection with its reason', () => {
    expect(
      parseGupshupCallback(
        env({
          type: 'status-update',
          id: 'tpl-1',
          status: 'REJECTED',
          elementName: 'abcd',
          languageCode: 'en_US',
          rejectedReason: 'INVALID_FORMAT',
        }),
      ),
    ).toEqual({
      kind: 'template',
      app: 'DemoApp',
      event: 'status-update',
      templateId: 'tpl-1',
      elementName: 'abcd',
      language: 'en_US',
      status: 'rejected',
      reason: 'INVALID_FORMAT',
      description: undefined,
      category: undefined,
    });
  });

  it('reads a pause with its description', () => {
    expect(
      parseGupshupCallback(
        env({
          type: 'status-update',
          id: 'tpl-1',
          status: 'paused',
          elementName: 'abcd',
          languageCode: 'en',
          description: 'paused for 3 hours',
        }),
      ),
    ).toMatchObject({ kind: 'template', status: 'paused', description: 'paused for 3 hours' });
  });

  it('reads both shapes of a category update', () => {
    expect(
      parseGupshupCallback(
        env({
          type: 'category-update',
          id: 'tpl-1',
          elementName: 'a',
          languageCode: 'en',
          category: { current: 'MARKETING', correct: 'UTILITY' },
        }),
      ),
    ).toMatchObject({
      kind: 'template',
      event: 'category-update',
      category: { from: 'MARKETING', to: 'UTILITY', alert: true },
    });
    expect(
      parseGupshupCallback(
        env({
          type: 'category-update',
          id: 'tpl-1',
          elementName: 'a',
          languageCode: 'en',
          category: { old: 'MARKETING', new: 'UTILITY' },
        }),
      ),
    ).toMatchObject({ category: { from: 'MARKETING', to: 'UTILITY', alert: false } });
  });

  it('refuses an event that names no template; other template subtypes stay "other"', () => {
    expect(() => parseGupshupCallback(env({ type: 'status-update', status: 'approved' }))).toThrow(
      ValidationError,
    );
    expect(parseGupshupCallback(env({ type: 'quality-update', id: 'x' }))).toMatchObject({
      kind: 'other',
      type: 'template-event',
    });
  });
});
