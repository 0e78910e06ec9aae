/**
 * The sandbox SMSAPI against /work/shared/reference/payments-and-sms.md §4: sms.do (form and JSON,
 * Bearer), errors as HTTP 200 bodies with their codes, points per part, test=1, details=1,
 * /profile, /sms/sendernames, and delivery reports to notify_url (403 SENT then 404/405).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandboxSmsapi, type SandboxSmsapi } from '../../scripts/sandbox/smsapi/index.js';

let sb: SandboxSmsapi;
let hook: Server;
let hookUrl: string;
let received: URLSearchParams[];

beforeEach(async () => {
  sb = await startSandboxSmsapi({ points: 10 });
  received = [];
  hook = createServer((req, res) => {
    received.push(new URL(req.url ?? '/', 'http://x').searchParams);
    res.writeHead(200, { 'content-type': 'text/plain' }).end('OK');
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/dlr/secret`;
});
afterEach(async () => {
  await sb.close();
  await new Promise<void>((r) => hook.close(() => r()));
});

type Body = Record<string, unknown> & { error?: number; list?: Array<Record<string, unknown>> };

async function sms(params: Record<string, string>, o: { json?: boolean; token?: string } = {}) {
  const token = o.token ?? sb.token;
  const all = { format: 'json', ...params };
  const r = await fetch(`${sb.url}/sms.do`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': o.json ? 'application/json' : 'application/x-www-form-urlencoded',
    },
    body: o.json ? JSON.stringify(all) : new URLSearchParams(all).toString(),
  });
  const text = await r.text();
  return { status: r.status, text, body: (all.format === 'json' ? JSON.parse(text) : {}) as Body };
}

const ok = { to: '48500100200', message: 'Hola', from: 'WAB24' };

describe('sms.do', () => {
  it('sends a form-encoded message, charges points per part and answers the list', async () => {
    const r = await sms({ ...ok, idx: 'msg-1' });
    expect(r.status).toBe(200);
    expect(r.body.count).toBe(1);
    expect(r.body.list![0]).toMatchObject({
      number: '48500100200',
      status: 'QUEUE',
      idx: 'msg-1',
      points: 0.16,
    });
    expect(typeof r.body.list![0]!.id).toBe('string');
    expect(sb.points()).toBeCloseTo(9.84);
    expect(sb.sent()).toHaveLength(1);
  });

  it('takes JSON bodies with booleans, as the official client sends them', async () => {
    const r = await fetch(`${sb.url}/sms.do`, {
      method: 'POST',
      headers: { authorization: `Bearer ${sb.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...ok, format: 'json', details: true, encoding: 'utf-8' }),
    });
    const b = (await r.json()) as Body;
    expect(b).toMatchObject({ count: 1, message: 'Hola', length: 4, parts: 1 });
  });

  it('charges every part: a 161-character text costs two parts', async () => {
    const r = await sms({ ...ok, message: 'a'.repeat(161), details: '1' });
    expect(r.body).toMatchObject({ parts: 2, list: [{ points: 0.32, parts: 2 }] });
    expect(sb.points()).toBeCloseTo(9.68);
  });

  it('test=1 prices without sending or charging', async () => {
    const r = await sms({ ...ok, test: '1' });
    expect(r.body.list![0]!.points).toBe(0.16);
    expect(sb.points()).toBe(10);
    expect(sb.sent()).toHaveLength(0);
  });

  it('answers errors with HTTP 200 and the code: 101 bad token', async () => {
    const r = await sms(ok, { token: 'wrong' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ error: 101 });
    expect(typeof r.body.message).toBe('string');
  });

  it('13 when no number is valid, with invalid_numbers', async () => {
    const r = await sms({ ...ok, to: '12ab' });
    expect(r.body).toMatchObject({ error: 13, invalid_numbers: [{ number: '12ab' }] });
  });

  it('14 for a sender that is inactive or unknown', async () => {
    expect((await sms({ ...ok, from: 'PROMO' })).body.error).toBe(14);
    expect((await sms({ ...ok, from: 'Nobody' })).body.error).toBe(14);
    expect(sb.sent()).toHaveLength(0);
  });

  it('12 when the text has more parts than max_parts, and above 6 parts in any case', async () => {
    expect((await sms({ ...ok, message: 'a'.repeat(161), max_parts: '1' })).body.error).toBe(12);
    expect((await sms({ ...ok, message: 'a'.repeat(918) })).body.error).toBeUndefined();
    expect((await sms({ ...ok, message: 'a'.repeat(919) })).body.error).toBe(12);
    expect((await sms({ ...ok, message: 'ą'.repeat(403), max_parts: '10' })).body.error).toBe(12);
  });

  it('53 for the same idx again with check_idx, without charging twice', async () => {
    expect((await sms({ ...ok, idx: 'k1', check_idx: '1' })).body.error).toBeUndefined();
    expect((await sms({ ...ok, idx: 'k1', check_idx: '1' })).body.error).toBe(53);
    expect(sb.sent({ idx: 'k1' })).toHaveLength(1);
    expect(sb.points()).toBeCloseTo(9.84);
    // without check_idx the same idx is sent again
    expect((await sms({ ...ok, idx: 'k1' })).body.error).toBeUndefined();
  });

  it('103 when the balance does not cover the message', async () => {
    sb.setPoints(0.1);
    expect((await sms(ok)).body.error).toBe(103);
    expect(sb.sent()).toHaveLength(0);
  });

  it('normalize=1 drops accents so the text stays GSM-7', async () => {
    const r = await sms({ ...ok, message: 'Zażółć gęślą', normalize: '1', details: '1' });
    expect(r.body.message).toBe('Zazolc gesla');
  });

  it('answers the legacy text without format=json', async () => {
    expect((await sms({ ...ok, format: '' })).text).toMatch(/^OK:[0-9A-F]+:0\.16$/);
    expect((await sms({ ...ok, format: '', from: 'PROMO' })).text).toBe('ERROR:14');
  });
});

describe('profile and sender names', () => {
  const get = async (path: string, token = sb.token) => {
    const r = await fetch(`${sb.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };

  it('GET /profile gives the points balance and payment type', async () => {
    const r = await get('/profile');
    expect(r.body).toMatchObject({ points: 10, payment_type: 'prepaid', user_type: 'native' });
    expect((await get('/profile', 'bad')).status).toBe(401);
  });

  it('GET /sms/sendernames lists an active default sender and an inactive one', async () => {
    const r = await get('/sms/sendernames');
    expect(r.body.collection).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ sender: 'WAB24', status: 'ACTIVE', is_default: true }),
        expect.objectContaining({ sender: 'PROMO', status: 'INACTIVE' }),
      ]),
    );
  });
});

describe('delivery reports', () => {
  it('GETs notify_url with 403 SENT, then 404 DELIVERED, with MsgId, idx, donedate, points', async () => {
    const r = await sms({ ...ok, idx: 'm-7', notify_url: hookUrl });
    await sb.settle();
    expect(received.map((q) => q.get('status'))).toEqual(['403', '404']);
    const last = received[1]!;
    expect(last.get('MsgId')).toBe(r.body.list![0]!.id);
    expect(last.get('status_name')).toBe('DELIVERED');
    expect(last.get('idx')).toBe('m-7');
    expect(last.get('points')).toBe('0.16');
    expect(Number(last.get('donedate'))).toBeGreaterThan(1_700_000_000);
    expect(sb.reports().map((d) => d.body)).toEqual(['OK', 'OK']);
  });

  it('a number ending in 0000 is undelivered (405)', async () => {
    await sms({ ...ok, to: '48500100000', notify_url: hookUrl });
    await sb.settle();
    expect(received.map((q) => q.get('status_name'))).toEqual(['SENT', 'UNDELIVERED']);
  });

  it('holds reports, then releases them batched as comma-separated lists', async () => {
    sb.holdReports(true);
    await sms({ ...ok, idx: 'a', notify_url: hookUrl });
    await sms({ ...ok, to: '48500100201', idx: 'b', notify_url: hookUrl });
    await sb.settle();
    expect(received).toHaveLength(0);
    await sb.releaseReports({ batch: true });
    expect(received).toHaveLength(1);
    expect(received[0]!.get('status')).toBe('403,404,403,404');
    expect(received[0]!.get('idx')).toBe('a,a,b,b');
    expect(received[0]!.get('MsgId')!.split(',')).toHaveLength(4);
  });

  it('releases reports out of order and repeats one on demand', async () => {
    sb.holdReports(true);
    const r = await sms({ ...ok, notify_url: hookUrl });
    await sb.releaseReports({ reverse: true });
    expect(received.map((q) => q.get('status')).sort()).toEqual(['403', '404']);
    await sb.deliverReport(String(r.body.list![0]!.id), 404);
    expect(received.at(-1)!.get('status')).toBe('404');
  });

  it('sends no report without notify_url, nor for test=1', async () => {
    await sms(ok);
    await sms({ ...ok, test: '1', notify_url: hookUrl });
    await sb.settle();
    expect(received).toHaveLength(0);
  });
});
