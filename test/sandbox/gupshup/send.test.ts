/**
 * Tests the Gupshup sandbox itself against /work/shared/reference/gupshup.md (§ numbers cited).
 * The send API (§1, §1.2): what it accepts, refuses and answers.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { APP, DEST, sb, setup, teardown, sessionFields, post, sendText, type Json } from './harness.js';

describe('send API (§1, §1.2)', () => {
  beforeEach(() => setup());
  afterEach(teardown);

  it('accepts a form body with apikey: 202, JSON body despite text/html', async () => {
    const r = await sendText('Hello');
    expect(r.status).toBe(202);
    expect(r.contentType).toMatch(/^text\/html/);
    expect(r.json).toEqual({
      status: 'submitted',
      messageId: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
    });
    const sent = sb.sent();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      messageId: r.json!.messageId,
      appName: APP.appName,
      source: APP.sourceNumber,
      destination: DEST,
      message: { type: 'text', text: 'Hello' },
    });
    expect(sent[0]!.whatsappMessageId).toMatch(/^wamid\./);
    expect(sb.requests()).toEqual([
      { path: '/wa/api/v1/msg', status: 202, at: expect.any(Number) as unknown },
    ]);
  });

  it('accepts the key under any header case and as api_key', async () => {
    expect(
      (await post('/wa/api/v1/msg', sessionFields({ type: 'text', text: 'a' }), { APIKEY: APP.apiKey }))
        .status,
    ).toBe(202);
    expect(
      (await post('/wa/api/v1/msg', sessionFields({ type: 'text', text: 'b' }), { apiKey: APP.apiKey }))
        .status,
    ).toBe(202);
    expect(
      (await post('/wa/api/v1/msg', sessionFields({ type: 'text', text: 'c' }), { api_key: APP.apiKey }))
        .status,
    ).toBe(202);
  });

  it('401 Authentication Failed on a missing or wrong key', async () => {
    for (const headers of [{}, { apikey: 'nope' }, { Authorization: APP.apiKey }]) {
      const r = await post('/wa/api/v1/msg', sessionFields({ type: 'text', text: 'x' }), headers);
      expect(r.status).toBe(401);
      expect(r.json).toEqual({ message: 'Authentication Failed', status: 'error' });
    }
    expect(sb.sent()).toHaveLength(0);
    expect(sb.requests().map((q) => q.status)).toEqual([401, 401, 401]);
  });

  it('400 Invalid App Details when src.name/source do not match the key', async () => {
    for (const over of [{ 'src.name': 'OtherApp' }, { source: '15550001111' }]) {
      const r = await sendText('x', over);
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ message: 'Invalid App Details', status: 'error' });
    }
    const noName = sessionFields({ type: 'text', text: 'x' });
    delete noName['src.name'];
    expect((await post('/wa/api/v1/msg', noName)).json).toEqual({
      message: 'Invalid App Details',
      status: 'error',
    });
    // the other app's key with this app's details
    sb.addApp({ appName: 'OtherApp01', apiKey: 'key-other', sourceNumber: '15550001111' });
    const r = await post('/wa/api/v1/msg', sessionFields({ type: 'text', text: 'x' }), {
      apikey: 'key-other',
    });
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ message: 'Invalid App Details', status: 'error' });
  });

  it('400 Invalid Destination for non-digit or wrong-length numbers', async () => {
    for (const destination of ['+919876543210', '91 98765 43210', '1234567', '1234567890123456', 'abc', '']) {
      const r = await sendText('x', { destination });
      expect(r.status, destination).toBe(400);
      expect(r.json).toEqual({ message: 'Invalid Destination', status: 'error' });
    }
  });

  it('requires a form-urlencoded body (JSON is refused) and channel=whatsapp', async () => {
    const r = await post(
      '/wa/api/v1/msg',
      sessionFields({ type: 'text', text: 'x' }),
      { apikey: APP.apiKey },
      'application/json',
    );
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ status: 'error' });
    const r2 = await sendText('x', { channel: 'sms' });
    expect(r2.status).toBe(400);
    expect(r2.json).toMatchObject({ status: 'error' });
    expect(sb.sent()).toHaveLength(0);
  });

  it('400 with a message for malformed or incomplete message JSON', async () => {
    const bad: Array<string | Json> = [
      '{"type":"text",',
      '',
      '"just a string"',
      { type: 'text' },
      { type: 'text', text: '' },
      { type: 'image', caption: 'no url' },
      { type: 'file', filename: 'x.pdf' },
      { type: 'location', longitude: 'east' },
      { type: 'list', body: 'b' },
      { type: 'quick_reply', options: [{ type: 'text', title: 'Yes' }] },
      { type: 'reaction', emoji: '👍' },
      { type: 'hologram' },
    ];
    for (const m of bad) {
      const r = await post('/wa/api/v1/msg', sessionFields(m));
      expect(r.status, JSON.stringify(m)).toBe(400);
      expect(r.json).toMatchObject({ status: 'error', message: expect.any(String) as unknown });
    }
    expect(sb.sent()).toHaveLength(0);
  });

  it('accepts every §1.1 session message shape', async () => {
    const shapes: Json[] = [
      { type: 'text', text: 'Hello' },
      {
        type: 'image',
        originalUrl: 'https://x.test/a.jpg',
        previewUrl: 'https://x.test/a.jpg',
        caption: 'c',
      },
      { type: 'image', id: '77362728271623327' },
      { type: 'file', url: 'https://x.test/x.pdf', filename: 'Invoice.pdf' },
      { type: 'audio', url: 'https://x.test/a.mp3' },
      { type: 'video', url: 'https://x.test/v.mp4', caption: 'v' },
      { type: 'sticker', url: 'https://x.test/s.webp' },
      { type: 'location', longitude: 72.85, latitude: 19.14, name: 'Office', address: 'Street 1' },
      { type: 'contact', contact: { name: { firstName: 'John', formattedName: 'John Smith' }, phones: [] } },
      {
        type: 'list',
        title: 'Header',
        body: 'Body',
        msgid: 'list1',
        globalButtons: [{ type: 'text', title: 'Options' }],
        items: [{ title: 'S1', options: [{ type: 'text', title: 'Row 1', postbackText: 'row1' }] }],
      },
      {
        type: 'quick_reply',
        msgid: 'qr1',
        content: { type: 'text', header: 'H', text: 'Body', caption: 'F' },
        options: [
          { type: 'text', title: 'Yes', postbackText: 'yes' },
          { type: 'text', title: 'No', postbackText: 'no' },
        ],
      },
      { type: 'reaction', msgId: 'wamid.abc', emoji: '👍' },
      { type: 'text', text: 'quoted', context: { msgId: 'wamid.abc' } },
    ];
    for (const m of shapes) {
      const r = await post('/wa/api/v1/msg', sessionFields(m));
      expect(r.status, JSON.stringify(m)).toBe(202);
    }
    expect(sb.sent().map((s) => s.message)).toEqual(shapes);
  });

  it('template/msg (§2.1): accepted and recorded as type template', async () => {
    const r = await post('/wa/api/v1/template/msg', {
      channel: 'whatsapp',
      source: APP.sourceNumber,
      destination: DEST,
      'src.name': APP.appName,
      template: JSON.stringify({ id: 'c0ffee00-0000-4000-8000-000000000001', params: ['John', '42'] }),
      message: JSON.stringify({ type: 'image', image: { link: 'https://x.test/h.jpg' } }),
    });
    expect(r.status).toBe(202);
    expect(r.contentType).toMatch(/^text\/html/);
    expect(r.json).toMatchObject({ status: 'submitted' });
    expect(sb.sent()[0]!.message).toEqual({
      type: 'template',
      template: { id: 'c0ffee00-0000-4000-8000-000000000001', params: ['John', '42'] },
      message: { type: 'image', image: { link: 'https://x.test/h.jpg' } },
    });
    // bad template JSON / params
    const base = {
      channel: 'whatsapp',
      source: APP.sourceNumber,
      destination: DEST,
      'src.name': APP.appName,
    };
    for (const template of ['{', '{"params":[]}', '{"id":"t","params":[1]}']) {
      const bad = await post('/wa/api/v1/template/msg', { ...base, template });
      expect(bad.status, template).toBe(400);
      expect(bad.json).toMatchObject({ status: 'error' });
    }
    expect((await post('/wa/api/v1/template/msg', { ...base, template: '{"id":"t"}' }, {})).status).toBe(401);
  });

  it('failNext: injected 429 / 5xx answers, then back to normal; requests() logs refused calls', async () => {
    sb.failNext({ times: 1, status: 429 });
    sb.failNext({ times: 2, status: 503 });
    sb.failNext({ times: 1, status: 500, body: { message: 'boom', status: 'error' } });
    const r1 = await sendText();
    expect(r1.status).toBe(429);
    expect(r1.json).toEqual({ message: 'Too Many Requests', status: 'error' });
    expect((await sendText()).status).toBe(503);
    expect((await sendText()).status).toBe(503);
    const r4 = await sendText();
    expect(r4.status).toBe(500);
    expect(r4.json).toEqual({ message: 'boom', status: 'error' });
    expect((await sendText()).status).toBe(202);
    expect(sb.requests().map((q) => q.status)).toEqual([429, 503, 503, 500, 202]);
    expect(sb.sent()).toHaveLength(1);
  });

  it('unknown paths answer 404 and are logged', async () => {
    const r = await post('/sm/api/v1/msg', sessionFields({ type: 'text', text: 'x' }));
    expect(r.status).toBe(404);
    expect(sb.requests()).toEqual([
      { path: '/sm/api/v1/msg', status: 404, at: expect.any(Number) as unknown },
    ]);
  });
});
