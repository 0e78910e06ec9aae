/**
 * Tests the Gupshup sandbox itself against /work/shared/reference/gupshup.md (§ numbers cited).
 * What happens to a template after creation: its review and status changes posted as `template-event`
 * status-updates (§3.7), deletion (§4.1), and templates made or deleted in the Gupshup console.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  APP,
  appId,
  call,
  rx,
  sb,
  setup,
  teardown,
  templateEvents,
  templateForm,
  type Json,
} from './harness.js';

const base = () => `/wa/app/${appId}/template`;
const create = (over: Record<string, string> = {}) => call('POST', base(), { form: templateForm(over) });
const parse = (s: unknown) => JSON.parse(String(s)) as Json;

describe('template review, status events and deletion (§3.7, §4.1)', () => {
  afterEach(teardown);

  it('review approves after the delay and posts a template-event status-update (§3.7)', async () => {
    await setup({ templateReview: { mode: 'approve', delayMs: 20 } });
    const t = (await create()).json.template as Json;
    await sb.settle();
    expect(sb.templates(appId)[0]!.status).toBe('APPROVED');
    const evs = templateEvents();
    expect(evs).toEqual([
      {
        app: APP.appName,
        timestamp: expect.any(Number) as unknown,
        version: 2,
        type: 'template-event',
        payload: {
          type: 'status-update',
          id: t.id,
          status: 'approved',
          elementName: 'order_update',
          languageCode: 'en',
        },
      },
    ]);
    expect(rx.got.find((g) => g.body.type === 'template-event')!.headers['content-type']).toMatch(
      /application\/json/,
    );
    expect((await call('GET', `${base()}?templateStatus=APPROVED`)).json.templates).toHaveLength(1);
    expect((await call('GET', `${base()}?templateStatus=PENDING`)).json.templates).toEqual([]);
  });

  it('review can reject with a reason, or wait (manual) for setTemplateStatus', async () => {
    await setup({ templateReview: { mode: 'reject', delayMs: 5, reason: 'TAG_CONTENT_MISMATCH' } });
    const rejected = (await create()).json.template as Json;
    await sb.settle();
    expect(sb.templates(appId)[0]).toMatchObject({ status: 'REJECTED', reason: 'TAG_CONTENT_MISMATCH' });
    expect(templateEvents()[0]!.payload).toMatchObject({
      id: rejected.id,
      status: 'rejected',
      rejectedReason: 'TAG_CONTENT_MISMATCH',
    });

    sb.setTemplateReview({ mode: 'manual' });
    const pending = (await create({ elementName: 'later' })).json.template as Json;
    await sb.settle();
    expect(sb.templates(appId)[1]!.status).toBe('PENDING');
    expect(templateEvents()).toHaveLength(1);
    sb.setTemplateStatus(String(pending.id), 'APPROVED');
    sb.setTemplateStatus(String(pending.id), 'PAUSED');
    sb.setTemplateStatus(String(pending.id), 'DISABLED', { description: 'quality' });
    await sb.settle();
    expect(
      templateEvents()
        .slice(1)
        .map((e) => e.payload),
    ).toEqual([
      { type: 'status-update', id: pending.id, status: 'approved', elementName: 'later', languageCode: 'en' },
      {
        type: 'status-update',
        id: pending.id,
        status: 'paused',
        elementName: 'later',
        languageCode: 'en',
        description: expect.stringContaining('paused') as unknown,
      },
      {
        type: 'status-update',
        id: pending.id,
        status: 'disabled',
        elementName: 'later',
        languageCode: 'en',
        description: 'quality',
      },
    ]);
    expect(sb.templates(appId)[1]!.status).toBe('DISABLED');
    expect(() => sb.setTemplateStatus('no-such-id', 'APPROVED')).toThrow(/unknown template/);
  });

  it('delete by element name removes every language, answers success, posts deleted events; unknown → 400', async () => {
    await setup({ templateReview: { mode: 'manual' } });
    await create();
    await create({
      languageCode: 'es',
      content: 'Hola {{1}}, pedido {{2}}.',
      example: 'Hola Ana, pedido 1.',
    });
    await create({ elementName: 'keep_me' });
    expect(await call('DELETE', `${base()}/order_update`)).toEqual({
      status: 200,
      json: { status: 'success' },
    });
    expect(sb.templates(appId).map((t) => t.elementName)).toEqual(['keep_me']);
    await sb.settle();
    expect(templateEvents().map((e) => (e.payload as Json).status)).toEqual(['deleted', 'deleted']);
    expect(templateEvents().map((e) => (e.payload as Json).languageCode)).toEqual(['en', 'es']);
    expect(await call('DELETE', `${base()}/order_update`)).toEqual({
      status: 400,
      json: { status: 'error', message: 'Template Does not exists.' },
    });
    expect((await call('GET', `${base()}/00000000-0000-4000-8000-000000000000`)).json).toMatchObject({
      status: 'error',
    });
    expect((await call('PUT', base())).status).toBe(405);
  });

  it('console templates: added APPROVED without a callback; deleted from the list with a deleted event', async () => {
    await setup();
    const t = sb.addConsoleTemplate(appId, {
      elementName: 'welcome',
      languageCode: 'es',
      content: 'Hola {{1}}, bienvenido.',
      category: 'MARKETING',
      buttons: [{ type: 'QUICK_REPLY', text: 'Hola' }],
    });
    expect(t).toMatchObject({
      elementName: 'welcome',
      languageCode: 'es',
      status: 'APPROVED',
      templateType: 'TEXT',
    });
    expect(parse(t.meta)).toEqual(expect.objectContaining({ example: 'Hola sample1, bienvenido.' }));
    const paused = sb.addConsoleTemplate(appId, {
      elementName: 'promo_img',
      languageCode: 'en',
      content: 'New arrivals.',
      category: 'MARKETING',
      templateType: 'IMAGE',
      status: 'PAUSED',
    });
    expect(paused.status).toBe('PAUSED');
    expect((await call('GET', base())).json.templates).toEqual([t, paused]);
    await sb.settle();
    expect(templateEvents()).toEqual([]);
    expect(() =>
      sb.addConsoleTemplate(appId, {
        elementName: 'welcome',
        languageCode: 'es',
        content: 'x',
        category: 'UTILITY',
      }),
    ).toThrow(/already exists/);
    expect(() =>
      sb.addConsoleTemplate(appId, {
        elementName: 'Bad',
        languageCode: 'en',
        content: 'x',
        category: 'UTILITY',
      }),
    ).toThrow(/elementName/);
    expect(() =>
      sb.addConsoleTemplate('nope', {
        elementName: 'a',
        languageCode: 'en',
        content: 'x',
        category: 'UTILITY',
      }),
    ).toThrow(/unknown app/);

    sb.deleteConsoleTemplate(appId, 'welcome');
    expect(sb.templates(appId)).toEqual([paused]);
    await sb.settle();
    expect(templateEvents().map((e) => e.payload)).toEqual([
      { type: 'status-update', id: t.id, status: 'deleted', elementName: 'welcome', languageCode: 'es' },
    ]);
    expect(() => sb.deleteConsoleTemplate(appId, 'welcome')).toThrow(/no template/);
  });
});
