/**
 * Tests the Gupshup sandbox itself against /work/shared/reference/gupshup.md (§ numbers cited).
 * Template sends (§2.1) against the stored templates (§4): what the customer sees, and the failed
 * events (§3.4 sync shape, §8 codes) of unknown, unapproved, paused, disabled or wrongly filled ones.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  APP,
  appId,
  call,
  DEST,
  eventsFor,
  payloadOf,
  post,
  sb,
  setup,
  teardown,
  templateForm,
  type Json,
} from './harness.js';

function sendTemplate(id: string, params: string[], header?: Json) {
  const fields: Record<string, string> = {
    channel: 'whatsapp',
    source: APP.sourceNumber,
    destination: DEST,
    'src.name': APP.appName,
    template: JSON.stringify({ id, params }),
  };
  if (header) fields.message = JSON.stringify(header);
  return post('/wa/api/v1/template/msg', fields);
}

/** The message-events and billing-events of the n-th send, once everything is posted. */
async function eventsOfSend(messageId: string): Promise<Json[]> {
  await sb.settle();
  const sent = sb.sent().find((m) => m.messageId === messageId)!;
  return eventsFor(messageId, sent.whatsappMessageId);
}

/** The one sync `failed` event of a send (§3.4: id = Gupshup id, no enqueued before it). */
async function failureOf(messageId: string): Promise<Json> {
  const evs = await eventsOfSend(messageId);
  expect(evs.map((e) => payloadOf(e).type)).toEqual(['failed']);
  const p = payloadOf(evs[0]!);
  expect(p.id).toBe(messageId);
  return p.payload as Json;
}

const image = { type: 'image', image: { link: 'https://x.test/h.jpg' } };

describe('template send against stored templates (§2.1, §4, §8)', () => {
  beforeEach(() => setup({ templateReview: { mode: 'manual' } }));
  afterEach(teardown);

  it('an APPROVED template: 202, normal events billed under its category, the filled-in text recorded', async () => {
    const t = sb.addConsoleTemplate(appId, {
      elementName: 'order_update',
      languageCode: 'en',
      category: 'UTILITY',
      header: 'Order {{1}}',
      content: 'Hi {{1}}, your order {{2}} has shipped.',
      footer: 'Thanks for buying',
      buttons: [{ type: 'QUICK_REPLY', text: 'Track' }],
    });
    const r = await sendTemplate(t.id, ['A-77', 'Ana', '1234']);
    expect(r.status).toBe(202);
    expect(r.json).toMatchObject({ status: 'submitted' });
    const evs = await eventsOfSend(String(r.json!.messageId));
    expect(evs.map((b) => (b.type === 'billing-event' ? 'billing' : payloadOf(b).type))).toEqual([
      'enqueued',
      'sent',
      'billing',
      'delivered',
      'read',
    ]);
    const bill = payloadOf(evs.find((b) => b.type === 'billing-event')!);
    expect(bill.deductions).toMatchObject({ category: 'utility', billable: true });
    expect(sb.sent()[0]!.rendered).toEqual({
      id: t.id,
      elementName: 'order_update',
      languageCode: 'en',
      category: 'UTILITY',
      templateType: 'TEXT',
      header: 'Order A-77',
      body: 'Hi Ana, your order 1234 has shipped.',
      footer: 'Thanks for buying',
      buttons: ['Track'],
      text: 'Order A-77\nHi Ana, your order 1234 has shipped.\nThanks for buying',
    });
  });

  it('a template created through the API can be sent once approved', async () => {
    const created = await call('POST', `/wa/app/${appId}/template`, { form: templateForm() });
    const id = String((created.json.template as Json).id);
    const early = await sendTemplate(id, ['Ana', '1']);
    expect((await failureOf(String(early.json!.messageId))).code).toBe(132001);
    sb.setTemplateStatus(id, 'APPROVED');
    const r = await sendTemplate(id, ['Ana', '1']);
    await sb.settle();
    expect(sb.sent().at(-1)!.rendered!.text).toBe('Hi Ana, your order 1 has shipped.');
    expect(sb.callbacks({ type: 'delivered' })).toHaveLength(1);
    expect(r.status).toBe(202);
  });

  it('unknown id, or a template of another app: 4003 no template match', async () => {
    const other = sb.addApp({ appName: 'OtherApp07', apiKey: 'key-other-7', sourceNumber: '5491100000007' });
    const theirs = sb.addConsoleTemplate(other.appId, {
      elementName: 'x',
      languageCode: 'en',
      content: 'Hello.',
      category: 'UTILITY',
    });
    for (const id of ['c0ffee00-0000-4000-8000-000000000001', theirs.id]) {
      const r = await sendTemplate(id, []);
      expect(r.status).toBe(202);
      expect(await failureOf(String(r.json!.messageId))).toEqual({
        code: 4003,
        reason: expect.any(String) as unknown,
      });
    }
    expect(sb.sent().every((m) => m.rendered === undefined)).toBe(true);
  });

  it('PENDING/REJECTED fail 132001, PAUSED 4005, DISABLED 132016', async () => {
    const expected: Array<[Parameters<typeof sb.setTemplateStatus>[1], number]> = [
      ['PENDING', 132001],
      ['REJECTED', 132001],
      ['PAUSED', 4005],
      ['DISABLED', 132016],
      ['APPROVED', 0],
    ];
    const t = sb.addConsoleTemplate(appId, {
      elementName: 'note',
      languageCode: 'en',
      content: 'Hi.',
      category: 'UTILITY',
    });
    for (const [status, code] of expected) {
      sb.setTemplateStatus(t.id, status);
      const r = await sendTemplate(t.id, []);
      const evs = await eventsOfSend(String(r.json!.messageId));
      const failed = evs.map(payloadOf).find((p) => p.type === 'failed');
      expect(failed ? (failed.payload as Json).code : 0, status).toBe(code);
    }
  });

  it('params must match the distinct variables, repeated ones filled alike (132000)', async () => {
    const t = sb.addConsoleTemplate(appId, {
      elementName: 'two',
      languageCode: 'en',
      content: 'Hi {{1}}, code {{2}}, again {{1}}.',
      category: 'UTILITY',
    });
    for (const params of [[], ['Ana'], ['Ana', '1', 'extra']]) {
      const r = await sendTemplate(t.id, params);
      expect((await failureOf(String(r.json!.messageId))).code, JSON.stringify(params)).toBe(132000);
    }
    await sendTemplate(t.id, ['Ana', '9']);
    await sb.settle();
    expect(sb.sent().at(-1)!.rendered!.body).toBe('Hi Ana, code 9, again Ana.');
  });

  it('a media header template needs its media in `message` (132000 missing, 132012 wrong kind)', async () => {
    const t = sb.addConsoleTemplate(appId, {
      elementName: 'promo_img',
      languageCode: 'en',
      content: 'New arrivals.',
      category: 'MARKETING',
      templateType: 'IMAGE',
    });
    const text = sb.addConsoleTemplate(appId, {
      elementName: 'plain',
      languageCode: 'en',
      content: 'Hi.',
      category: 'UTILITY',
    });
    const missing = await sendTemplate(t.id, []);
    expect((await failureOf(String(missing.json!.messageId))).code).toBe(132000);
    const video = await sendTemplate(t.id, [], { type: 'video', video: { link: 'https://x.test/v.mp4' } });
    expect((await failureOf(String(video.json!.messageId))).code).toBe(132012);
    const extra = await sendTemplate(text.id, [], image);
    expect((await failureOf(String(extra.json!.messageId))).code).toBe(132012);
    const ok = await sendTemplate(t.id, [], image);
    const evs = await eventsOfSend(String(ok.json!.messageId));
    expect(evs.map(payloadOf).some((p) => p.type === 'failed')).toBe(false);
    expect(sb.sent().at(-1)).toMatchObject({
      message: { type: 'template', message: image },
      rendered: { templateType: 'IMAGE', text: 'New arrivals.' },
    });
  });
});
