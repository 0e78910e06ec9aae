/**
 * Tests the Gupshup sandbox itself against /work/shared/reference/gupshup.md (§ numbers cited).
 * Nothing here touches src/.
 */
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandboxGupshup } from '../../scripts/sandbox/gupshup/index.js';
import type { SandboxGupshup, SandboxGupshupOptions } from '../../scripts/sandbox/gupshup/index.js';

type Json = Record<string, unknown>;

interface Received {
  body: Json;
  headers: IncomingHttpHeaders;
  raw: string;
}

interface Receiver {
  url: string;
  got: Received[];
  /** status to answer for the n-th request (0-based); default 200 */
  answer: (n: number, body: Json) => number;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const got: Received[] = [];
  const r: Partial<Receiver> = { got, answer: () => 200 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const body = JSON.parse(raw) as Json;
      const n = got.length;
      got.push({ body, headers: req.headers, raw });
      res.statusCode = r.answer!(n, body);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  r.url = `http://127.0.0.1:${port}/webhooks/gupshup/ch1/secret`;
  r.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r as Receiver;
}

const APP = { appName: 'DemoApp01', apiKey: 'key-demo-0001', sourceNumber: '917834811114' };
const DEST = '919876543210';

let sb: SandboxGupshup;
let rx: Receiver;

async function setup(opts: SandboxGupshupOptions = {}): Promise<void> {
  rx = await startReceiver();
  sb = await startSandboxGupshup({
    eventDelayMs: [1, 3],
    callbackRetry: { attempts: 3, delayMs: 10 },
    ...opts,
  });
  sb.addApp({ ...APP, callbackUrl: rx.url });
}

async function teardown(): Promise<void> {
  await sb.close();
  await rx.close();
}

function form(fields: Record<string, string>): string {
  return new URLSearchParams(fields).toString();
}

function sessionFields(message: Json | string, over: Record<string, string> = {}): Record<string, string> {
  return {
    channel: 'whatsapp',
    source: APP.sourceNumber,
    destination: DEST,
    'src.name': APP.appName,
    message: typeof message === 'string' ? message : JSON.stringify(message),
    ...over,
  };
}

async function post(
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = { apikey: APP.apiKey },
  contentType = 'application/x-www-form-urlencoded',
): Promise<{ status: number; contentType: string | null; text: string; json: Json | null }> {
  const res = await fetch(sb.url + path, {
    method: 'POST',
    headers: { 'content-type': contentType, ...headers },
    body: contentType.includes('json') ? JSON.stringify(fields) : form(fields),
  });
  const text = await res.text();
  let json: Json | null = null;
  try {
    json = JSON.parse(text) as Json;
  } catch {
    json = null;
  }
  return { status: res.status, contentType: res.headers.get('content-type'), text, json };
}

const sendText = (text = 'Hello', over: Record<string, string> = {}) =>
  post('/wa/api/v1/msg', sessionFields({ type: 'text', text }, over));

function payloadOf(b: Json): Json {
  return b.payload as Json;
}

function eventsFor(messageId: string, wamid: string): Json[] {
  return rx.got
    .map((g) => g.body)
    .filter((b) => {
      const p = payloadOf(b);
      if (b.type === 'billing-event') return (p.references as Json).gsId === messageId;
      return b.type === 'message-event' && (p.id === messageId || p.gsId === messageId || p.id === wamid);
    });
}

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

  it('template sends bill as marketing (billable) and enqueued says template', async () => {
    const r = await post('/wa/api/v1/template/msg', {
      channel: 'whatsapp',
      source: APP.sourceNumber,
      destination: DEST,
      'src.name': APP.appName,
      template: JSON.stringify({ id: 'tpl-1', params: [] }),
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

describe('media sent by URL (§1.1 "Gupshup fetches it", §4.4 limits, §8 1010/1011)', () => {
  let files: Server;
  let base: string;
  beforeEach(async () => {
    await setup();
    files = createServer((req, res) => {
      if (req.url === '/a.png') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(Buffer.from('png!'));
      } else if (req.url === '/big.png') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(Buffer.alloc(5 * 1024 * 1024 + 1));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await teardown();
    await new Promise<void>((resolve) => files.close(() => resolve()));
  });

  const statusesOf = async (url: string, type = 'image') => {
    const key = type === 'image' ? 'originalUrl' : 'url';
    const r = await post('/wa/api/v1/msg', sessionFields({ type, [key]: url }));
    expect(r.status).toBe(202);
    await sb.settle();
    const sent = sb.sent().at(-1)!;
    return {
      sent,
      events: eventsFor(sent.messageId, sent.whatsappMessageId)
        .filter((b) => b.type === 'message-event')
        .map((b) => {
          const p = payloadOf(b);
          return [p.type, (p.payload as Json).code];
        }),
    };
  };

  it('fetches the link, records what it got, and delivers', async () => {
    const { sent, events } = await statusesOf(`${base}/a.png`);
    expect(sent.media).toMatchObject({
      url: `${base}/a.png`,
      status: 200,
      bytes: 4,
      contentType: 'image/png',
    });
    expect(events.map((e) => e[0])).toEqual(['enqueued', 'sent', 'delivered', 'read']);
  });

  it('fails a message whose link does not answer 200 (1010) or whose file is over the limit (1011)', async () => {
    const gone = await statusesOf(`${base}/gone.pdf`, 'file');
    expect(gone.sent.media?.status).toBe(404);
    expect(gone.events).toEqual([['failed', 1010]]);
    const big = await statusesOf(`${base}/big.png`);
    expect(big.sent.media?.bytes).toBe(5 * 1024 * 1024 + 1);
    expect(big.events).toEqual([['failed', 1011]]);
  });

  it('expireMedia makes an inbound FileManager link answer 404, and requests are logged', async () => {
    await sb.customerSends({ appName: APP.appName, from: '919812345678', type: 'image' });
    const url = (payloadOf(payloadOf(rx.got[0]!.body)).url as string) ?? '';
    expect((await fetch(url)).status).toBe(200);
    sb.expireMedia(url);
    expect((await fetch(url)).status).toBe(404);
    expect(sb.mediaRequests().map((r) => r.status)).toEqual([200, 404]);
  });
});

describe('callback delivery contract (§3.1)', () => {
  afterEach(teardown);

  it('retries a callback when the receiver answers non-2xx, with the same body', async () => {
    await setup();
    sb.setStatusFlow(['enqueued']);
    let enqueuedSeen = 0;
    rx.answer = (_n, body) => {
      if (body.type !== 'message-event') return 200;
      enqueuedSeen++;
      return enqueuedSeen <= 2 ? 500 : 200;
    };
    await sendText();
    await sb.settle();
    const cbs = sb.callbacks({ type: 'enqueued' });
    expect(cbs.map((c) => [c.attempt, c.status])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
    const raws = rx.got.filter((g) => g.body.type === 'message-event').map((g) => g.raw);
    expect(new Set(raws).size).toBe(1);
  });

  it('gives up after callbackRetry.attempts and records connection errors', async () => {
    await setup({ callbackRetry: { attempts: 2, delayMs: 5 } });
    sb.setStatusFlow(['enqueued']);
    rx.answer = () => 503;
    await sendText();
    await sb.settle();
    expect(sb.callbacks({ type: 'enqueued' }).map((c) => c.status)).toEqual([503, 503]);

    await rx.close();
    sb.setCallbackUrl(APP.appName, rx.url); // receiver is down now
    await sb.settle();
    const failed = sb.callbacks({ type: 'sandbox-start' });
    expect(failed).toHaveLength(2);
    expect(failed.every((c) => c.status === null && typeof c.error === 'string')).toBe(true);
    rx = await startReceiver(); // so teardown has something to close
  });

  it('duplicateEvents = 1 posts every event twice with an identical body', async () => {
    await setup({ duplicateEvents: 1 });
    await sendText();
    await sb.settle();
    const raws = rx.got.map((g) => g.raw);
    expect(raws).toHaveLength(10); // 4 statuses + billing, each twice
    const counts = new Map<string, number>();
    for (const r of raws) counts.set(r, (counts.get(r) ?? 0) + 1);
    expect([...counts.values()]).toEqual([2, 2, 2, 2, 2]);
  });

  it('duplicateEvents = 0.5 duplicates some events but not all', async () => {
    await setup({ duplicateEvents: 0.5, seed: 7 });
    for (let i = 0; i < 4; i++) await sendText(`m${i}`);
    await sb.settle();
    const unique = new Set(rx.got.map((g) => g.raw));
    expect(unique.size).toBe(20);
    expect(rx.got.length).toBeGreaterThan(20);
    expect(rx.got.length).toBeLessThan(40);
  });

  it('reorderEvents shuffles a message’s events; timestamps still give the logical order', async () => {
    await setup({ reorderEvents: true, seed: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await sendText(`m${i}`)).json!.messageId as string);
    await sb.settle();
    const logical = ['enqueued', 'sent', 'billing', 'delivered', 'read'];
    let shuffled = 0;
    for (const id of ids) {
      const wamid = sb.sent().find((s) => s.messageId === id)!.whatsappMessageId;
      const evs = eventsFor(id, wamid);
      const kind = (b: Json): string =>
        b.type === 'billing-event' ? 'billing' : (payloadOf(b).type as string);
      expect([...evs.map(kind)].sort()).toEqual([...logical].sort());
      if (evs.map(kind).join() !== logical.join()) shuffled++;
      const byTs = [...evs].sort((a, b) => (a.timestamp as number) - (b.timestamp as number));
      expect(byTs.map(kind)).toEqual(logical);
    }
    expect(shuffled).toBeGreaterThan(0);
  });

  it('is deterministic for a seed', async () => {
    const run = async (): Promise<string> => {
      await setup({ reorderEvents: true, duplicateEvents: 0.3, seed: 42 });
      await sendText('a');
      await sb.settle();
      await sendText('b');
      await sb.settle();
      const order = rx.got.map((g) =>
        g.body.type === 'billing-event' ? 'billing' : (payloadOf(g.body).type as string),
      );
      await teardown();
      return order.join();
    };
    const first = await run();
    const second = await run();
    expect(second).toBe(first);
    await setup(); // for afterEach
  });

  it('close() drops pending callbacks and leaves nothing running', async () => {
    await setup({ eventDelayMs: [200, 200] });
    await sendText();
    await sb.close();
    await sb.settle(100); // nothing pending after close: no callback can be posted any more
    expect(sb.callbacks()).toHaveLength(0);
    expect(rx.got).toHaveLength(0);
    await rx.close();
    await setup(); // for afterEach
  });

  it('settle() rejects when callbacks are still pending after the timeout', async () => {
    await setup({ eventDelayMs: [300, 300] });
    await sendText();
    await expect(sb.settle(20)).rejects.toThrow(/pending/);
  });
});

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

describe('app APIs with an API key (§4.1 template list, §5.2 legacy wallet)', () => {
  beforeEach(() => setup());
  afterEach(teardown);

  const get = async (path: string, key?: string) => {
    const res = await fetch(sb.url + path, { headers: key ? { apikey: key } : {} });
    return { status: res.status, json: (await res.json()) as Json };
  };

  it('template list answers success for the app of the key, 401 for another key, 400 for an unknown app', async () => {
    sb.addApp({
      appName: 'OtherApp02',
      apiKey: 'key-other-0002',
      sourceNumber: '5491100000002',
      appId: 'app-2',
    });
    const mine = sb.addApp({
      appName: 'ThirdApp03',
      apiKey: 'key-third-0003',
      sourceNumber: '5491100000003',
    });
    expect(await get(`/wa/app/${mine.appId}/template`, 'key-third-0003')).toEqual({
      status: 200,
      json: { status: 'success', templates: [] },
    });
    expect((await get(`/wa/app/${mine.appId}/template`, 'key-other-0002')).status).toBe(401);
    expect((await get(`/wa/app/${mine.appId}/template`)).status).toBe(401);
    expect(await get('/wa/app/no-such-app/template', 'key-third-0003')).toEqual({
      status: 400,
      json: { status: 'error', message: 'Invalid App Id' },
    });
  });

  it('wallet balance follows the app of the key and its empty wallet', async () => {
    expect(await get('/sm/api/v2/wallet/balance', APP.apiKey)).toEqual({
      status: 200,
      json: { balance: 25.5, status: 'success' },
    });
    sb.setWalletEmpty(APP.appName, true);
    expect((await get('/sm/api/v2/wallet/balance', APP.apiKey)).json.balance).toBe(0);
    expect((await get('/sm/api/v2/wallet/balance', 'nope')).status).toBe(401);
  });
});
