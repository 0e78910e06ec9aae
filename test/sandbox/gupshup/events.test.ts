/**
 * Tests the Gupshup sandbox itself against /work/shared/reference/gupshup.md (§ numbers cited).
 * message-events (§3.4) and billing-events (§3.6) of an accepted message.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  APP,
  appId,
  DEST,
  sb,
  rx,
  setup,
  teardown,
  sessionFields,
  post,
  sendText,
  payloadOf,
  eventsFor,
  type Json,
} from './harness.js';

describe('message-events (§3.4) and billing-events (§3.6)', () => {
  beforeEach(() => setup());
  afterEach(teardown);

  it('enqueued/sent/delivered/read carry id/gsId per the §3.4 table, plus a PMP billing-event', async () => {
    const r = await sendText('Hi');
    const gsId = r.json!.messageId as string;
    await sb.settle();
    const wamid = sb.sent()[0]!.whatsappMessageId;
    const evs = eventsFor(gsId, wamid);
    expect(evs.map((b) => (b.type === 'billing-event' ? 'billing' : payloadOf(b).type))).toEqual([
      'enqueued',
      'sent',
      'billing',
      'delivered',
      'read',
    ]);
    for (const b of evs) {
      expect(b).toMatchObject({ app: APP.appName, version: 2, timestamp: expect.any(Number) as unknown });
      expect(b.timestamp as number).toBeGreaterThan(1_600_000_000_000); // ms
    }
    const [enq, sent, bill, del, read] = evs.map(payloadOf);
    expect(enq).toEqual({
      id: gsId,
      type: 'enqueued',
      destination: DEST,
      payload: { whatsappMessageId: wamid, type: 'session' },
    });
    expect(sent).toMatchObject({ id: wamid, gsId, type: 'sent', destination: DEST });
    expect(sent!.pricing).toEqual({ policy: 'PMP', category: 'service', type: 'regular' });
    expect(sent!.conversation).toMatchObject({ id: expect.any(String) as unknown, type: 'service' });
    for (const p of [sent!, del!, read!]) {
      const ts = (p.payload as Json).ts as number;
      expect(Number.isInteger(ts)).toBe(true);
      expect(Math.abs(ts - Date.now() / 1000)).toBeLessThan(60); // seconds
      expect(p).toMatchObject({ id: wamid, gsId, destination: DEST });
    }
    expect(del!.type).toBe('delivered');
    expect(read!.type).toBe('read');
    expect(bill).toEqual({
      deductions: { type: 'regular', model: 'PMP', source: 'whatsapp', billable: false, category: 'service' },
      references: { id: wamid, gsId, destination: DEST },
    });
    // delivery contract §3.1
    for (const g of rx.got) {
      expect(g.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(g.headers['user-agent']).toEqual(expect.any(String));
    }
    expect(sb.callbacks({ type: 'message-event' })).toHaveLength(4);
    expect(sb.callbacks({ type: 'delivered' })).toHaveLength(1);
    expect(sb.callbacks({ type: 'billing-event' })).toHaveLength(1);
    expect(sb.callbacks().every((c) => c.status === 200 && c.attempt === 1 && c.url === rx.url)).toBe(true);
  });

  it('template sends bill under the template category (billable) and enqueued says template', async () => {
    const t = sb.addConsoleTemplate(appId, {
      elementName: 'promo',
      languageCode: 'en',
      content: 'Big sale today.',
      category: 'MARKETING',
    });
    const r = await post('/wa/api/v1/template/msg', {
      channel: 'whatsapp',
      source: APP.sourceNumber,
      destination: DEST,
      'src.name': APP.appName,
      template: JSON.stringify({ id: t.id, params: [] }),
    });
    await sb.settle();
    const evs = eventsFor(r.json!.messageId as string, sb.sent()[0]!.whatsappMessageId);
    const enq = evs.map(payloadOf).find((p) => p.type === 'enqueued')!;
    expect((enq.payload as Json).type).toBe('template');
    const bill = payloadOf(evs.find((b) => b.type === 'billing-event')!);
    expect(bill.deductions).toMatchObject({ billable: true, category: 'marketing', model: 'PMP' });
  });

  it('setStatusFlow limits the events (read may come without delivered)', async () => {
    sb.setStatusFlow(['enqueued', 'read']);
    const r = await sendText();
    await sb.settle();
    const evs = eventsFor(r.json!.messageId as string, sb.sent()[0]!.whatsappMessageId);
    expect(evs.map((b) => (b.type === 'billing-event' ? 'billing' : payloadOf(b).type))).toEqual([
      'enqueued',
      'billing',
      'read',
    ]);
  });

  it('failNextDelivery sync: one failed event with id = Gupshup id and no gsId', async () => {
    sb.failNextDelivery({ destination: DEST, code: 1002, reason: 'Number Does Not Exist On WhatsApp' });
    const other = await sendText('x', { destination: '447700900123' }); // not the targeted destination
    const r = await sendText();
    expect(r.status).toBe(202);
    await sb.settle();
    const gsId = r.json!.messageId as string;
    const evs = eventsFor(gsId, sb.sent({ destination: DEST })[0]!.whatsappMessageId);
    expect(evs.map(payloadOf)).toEqual([
      {
        id: gsId,
        type: 'failed',
        destination: DEST,
        payload: { code: 1002, reason: 'Number Does Not Exist On WhatsApp' },
      },
    ]);
    const okEvs = eventsFor(
      other.json!.messageId as string,
      sb.sent({ destination: '447700900123' })[0]!.whatsappMessageId,
    );
    expect(okEvs.map(payloadOf).map((p) => p.type)).toContain('read');
  });

  it('failNextDelivery async: enqueued (+maybe sent) then failed with id = WhatsApp id, gsId = Gupshup id', async () => {
    sb.failNextDelivery({ code: 131047, reason: 'Re-engagement message', stage: 'async' });
    const r = await sendText();
    await sb.settle();
    const gsId = r.json!.messageId as string;
    const wamid = sb.sent()[0]!.whatsappMessageId;
    const evs = eventsFor(gsId, wamid).map(payloadOf);
    expect(evs[0]).toMatchObject({ id: gsId, type: 'enqueued' });
    expect(evs.at(-1)).toEqual({
      id: wamid,
      gsId,
      type: 'failed',
      destination: DEST,
      payload: { code: 131047, reason: 'Re-engagement message' },
    });
    expect(evs.filter((p) => p.type === 'delivered' || p.type === 'read')).toEqual([]);
    expect(rx.got.filter((g) => g.body.type === 'billing-event')).toEqual([]);
  });

  it('wallet empty: still 202, then failed code 1003', async () => {
    sb.setWalletEmpty(APP.appName, true);
    const r = await sendText();
    expect(r.status).toBe(202);
    await sb.settle();
    const gsId = r.json!.messageId as string;
    const evs = rx.got.map((g) => payloadOf(g.body));
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ id: gsId, type: 'failed', payload: { code: 1003 } });
    expect(evs[0]!.gsId).toBeUndefined();
    sb.setWalletEmpty(APP.appName, false);
    await sendText();
    await sb.settle();
    expect(rx.got.map((g) => payloadOf(g.body).type)).toContain('read');
  });

  it('text over 4096 characters: accepted, then failed from Meta (code 100)', async () => {
    const r = await sendText('x'.repeat(4097));
    expect(r.status).toBe(202);
    await sb.settle();
    const evs = rx.got.map((g) => payloadOf(g.body));
    expect(evs).toEqual([
      {
        id: r.json!.messageId,
        type: 'failed',
        destination: DEST,
        payload: { code: 100, reason: expect.stringContaining('4096') as unknown },
      },
    ]);
    expect((await sendText('y'.repeat(4096))).status).toBe(202);
  });

  it('interactive limits (§1.1) fail asynchronously with a Meta code', async () => {
    const r = await post(
      '/wa/api/v1/msg',
      sessionFields({
        type: 'quick_reply',
        content: { type: 'text', text: 'Pick' },
        options: ['a', 'b', 'c', 'd'].map((t) => ({ type: 'text', title: t })),
      }),
    );
    expect(r.status).toBe(202);
    await sb.settle();
    expect(rx.got.map((g) => payloadOf(g.body))).toEqual([
      expect.objectContaining({
        id: r.json!.messageId,
        type: 'failed',
        payload: expect.objectContaining({ code: 131009 }) as unknown,
      }),
    ]);
  });

  it('no callback URL: events are dropped, not recorded', async () => {
    sb.addApp({ appName: 'NoHookApp', apiKey: 'key-nohook', sourceNumber: '15550002222' });
    const r = await post(
      '/wa/api/v1/msg',
      { ...sessionFields({ type: 'text', text: 'x' }), 'src.name': 'NoHookApp', source: '15550002222' },
      { apikey: 'key-nohook' },
    );
    expect(r.status).toBe(202);
    await sb.settle();
    expect(sb.callbacks({ appName: 'NoHookApp' })).toEqual([]);
  });
});
