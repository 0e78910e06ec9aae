/**
 * Tests the Gupshup sandbox itself against /work/shared/reference/gupshup.md (§ numbers cited).
 * user-event (§3.5) and inbound customer messages (§3.3).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startReceiver, APP, sb, rx, setup, teardown, payloadOf, type Json } from './harness.js';

describe('user-event (§3.5) and inbound messages (§3.3)', () => {
  beforeEach(() => setup());
  afterEach(teardown);

  it('setCallbackUrl posts sandbox-start to the new URL', async () => {
    const other = await startReceiver();
    try {
      sb.setCallbackUrl(APP.appName, other.url);
      await sb.settle();
      expect(other.got.map((g) => g.body)).toEqual([
        {
          app: APP.appName,
          timestamp: expect.any(Number) as unknown,
          version: 2,
          type: 'user-event',
          payload: { phone: 'callbackSetPhone', type: 'sandbox-start' },
        },
      ]);
      expect(sb.callbacks({ type: 'user-event' })[0]).toMatchObject({ url: other.url, status: 200 });
    } finally {
      await other.close();
    }
  });

  it('customerSends text: v2 envelope, sender block, times ⇒ identical duplicates', async () => {
    rx.answer = (n) => (n === 0 ? 500 : 200);
    const res = await sb.customerSends({
      appName: APP.appName,
      from: '919812345678',
      name: 'Drew',
      text: 'Hi',
      times: 3,
      timestamp: 1_700_000_000_000,
    });
    expect(res.id).toMatch(/^wamid\./);
    expect(res.statuses).toEqual([500, 200, 200]);
    expect(rx.got).toHaveLength(3);
    expect(new Set(rx.got.map((g) => g.raw)).size).toBe(1);
    expect(rx.got[0]!.body).toEqual({
      app: APP.appName,
      timestamp: 1_700_000_000_000,
      version: 2,
      type: 'message',
      payload: {
        id: res.id,
        source: '919812345678',
        type: 'text',
        payload: { text: 'Hi' },
        sender: { phone: '919812345678', name: 'Drew', country_code: '91', dial_code: '9812345678' },
      },
    });
    expect(rx.got[0]!.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(sb.callbacks({ type: 'message' }).map((c) => c.attempt)).toEqual([1, 2, 3]);
  });

  it('country_code split for 1-, 2- and 3-digit calling codes', async () => {
    for (const [from, cc] of [
      ['14155550123', '1'],
      ['79161234567', '7'],
      ['447700900123', '44'],
      ['5511987654321', '55'],
      ['380501234567', '380'],
    ] as const) {
      await sb.customerSends({ appName: APP.appName, from });
      const sender = payloadOf(rx.got.at(-1)!.body).sender as Json;
      expect(sender).toMatchObject({ phone: from, country_code: cc, dial_code: from.slice(cc.length) });
    }
  });

  it('customerSends media: FileManager-style url that serves bytes, contentType, urlExpiry, caption', async () => {
    const res = await sb.customerSends({
      appName: APP.appName,
      from: '919812345678',
      type: 'image',
      text: 'look',
    });
    const msg = payloadOf(rx.got[0]!.body);
    expect(msg).toMatchObject({ id: res.id, type: 'image' });
    const p = msg.payload as Json;
    expect(p).toMatchObject({
      url: expect.stringContaining(sb.url) as unknown,
      contentType: 'image/png',
      caption: 'look',
    });
    expect(p.urlExpiry as number).toBeGreaterThan(Date.now());
    const dl = await fetch(p.url as string);
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-type')).toBe('image/png');
    expect((await dl.arrayBuffer()).byteLength).toBeGreaterThan(0);

    await sb.customerSends({
      appName: APP.appName,
      from: '919812345678',
      type: 'file',
      payload: { urlExpiry: Date.now() - 1 },
    });
    const file = payloadOf(rx.got[1]!.body).payload as Json;
    expect(file).toMatchObject({ contentType: 'application/pdf', name: expect.any(String) as unknown });
    expect((await fetch(file.url as string)).status).toBe(404); // expired link
  });

  it('customerSends other §3.3 shapes and overrides', async () => {
    const cases: Array<{ type: string; text?: string; payload?: Json; expectPayload: Json }> = [
      {
        type: 'location',
        expectPayload: { longitude: expect.any(String) as unknown, latitude: expect.any(String) as unknown },
      },
      {
        type: 'contact',
        expectPayload: {
          contacts: [expect.objectContaining({ phones: expect.any(Array) as unknown }) as unknown],
        },
      },
      {
        type: 'list_reply',
        text: 'Row 1',
        payload: { id: 'list1', postbackText: 'row1-payload' },
        expectPayload: { title: 'Row 1', id: 'list1', reply: 'Row 1 1', postbackText: 'row1-payload' },
      },
      { type: 'button_reply', text: 'First', expectPayload: { title: 'First', id: 'qr1', reply: 'First 1' } },
      {
        type: 'quick_reply',
        text: 'Yes',
        payload: { postbackText: 'yes-pb' },
        expectPayload: { text: 'Yes', type: 'button', postbackText: 'yes-pb' },
      },
      {
        type: 'reaction',
        text: '❤️',
        payload: { msgId: 'wamid.x' },
        expectPayload: { emoji: '❤️', msgId: 'wamid.x' },
      },
    ];
    for (const c of cases) {
      await sb.customerSends({
        appName: APP.appName,
        from: '919812345678',
        type: c.type,
        ...(c.text ? { text: c.text } : {}),
        ...(c.payload ? { payload: c.payload } : {}),
      });
      const msg = payloadOf(rx.got.at(-1)!.body);
      expect(msg.type).toBe(c.type);
      expect(msg.payload).toMatchObject(c.expectPayload);
    }
    await sb.customerSends({
      appName: APP.appName,
      from: '919812345678',
      text: 'reply',
      context: { id: 'wamid.q', gsId: 'g-1' },
    });
    expect(payloadOf(rx.got.at(-1)!.body).context).toEqual({ id: 'wamid.q', gsId: 'g-1' });
  });

  it('customerSends without a callback URL throws', async () => {
    sb.addApp({ appName: 'NoHookApp', apiKey: 'k2', sourceNumber: '15550002222' });
    await expect(sb.customerSends({ appName: 'NoHookApp', from: '919812345678' })).rejects.toThrow(
      /callback/,
    );
  });
});
