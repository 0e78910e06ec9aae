/**
 * Our SMSAPI client against the sandbox SMSAPI (which follows reference payments-and-sms.md §4, not
 * this client): what it sends, how each refusal comes back as SmsapiError, time-outs and outages as
 * retryable, and the sandbox's real delivery-report callbacks read by parseDeliveryReports.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandboxSmsapi, type SandboxSmsapi } from '../../scripts/sandbox/smsapi/index.js';
import { waitFor } from '../../scripts/stack.js';
import {
  parseDeliveryReports,
  SmsapiClient,
  SmsapiError,
  type SmsapiSendRequest,
} from '../../src/integrations/smsapi/smsapi.client.js';

let sb: SandboxSmsapi;
let client: SmsapiClient;
let hook: Server;
let hookUrl: string;
let queries: Array<Record<string, string>>;

beforeEach(async () => {
  sb = await startSandboxSmsapi({ points: 5 });
  client = new SmsapiClient({ baseUrl: `${sb.url}/` });
  queries = [];
  hook = createServer((req, res) => {
    queries.push(Object.fromEntries(new URL(req.url ?? '/', 'http://x').searchParams));
    res.writeHead(200).end('OK');
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/webhooks/smsapi/s3cret`;
});
afterEach(async () => {
  await sb.close();
  await new Promise<void>((r) => hook.close(() => r()));
});

const req = (o: Partial<SmsapiSendRequest> = {}): SmsapiSendRequest => ({
  to: '48500100200',
  message: 'Zażółć gęślą jaźń',
  from: 'WAB24',
  idx: 'wab24-sms-1',
  timeoutMs: 2_000,
  ...o,
});

async function refusal(p: Promise<unknown>): Promise<SmsapiError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SmsapiError);
  return err as SmsapiError;
}

describe('SmsapiClient.send', () => {
  it('sends with idx, check_idx, notify_url and max_parts, and returns id, points, parts, status', async () => {
    const r = await client.send(sb.token, req({ notifyUrl: hookUrl, maxParts: 6 }));
    expect(r).toEqual({ id: sb.sent()[0]!.id, points: 0.16, parts: 1, status: 'QUEUE' });
    const params = sb.requests()[0]!.params!;
    expect(params).toMatchObject({
      to: '48500100200',
      from: 'WAB24',
      idx: 'wab24-sms-1',
      check_idx: '1',
      notify_url: hookUrl,
      max_parts: '6',
      format: 'json',
      encoding: 'utf-8',
    });
    // the text arrives as written: not trimmed, not normalised
    expect(sb.sent()[0]!.message).toBe('Zażółć gęślą jaźń');
    expect(params.test).toBeUndefined();
    expect(params.normalize).toBeUndefined();
  });

  it('test=1 prices without sending; normalize=1 is passed on', async () => {
    const r = await client.send(sb.token, req({ test: true, normalize: true, message: 'a'.repeat(200) }));
    expect(r).toMatchObject({ points: 0.32, parts: 2 });
    expect(sb.sent()).toHaveLength(0);
    expect(sb.points()).toBe(5);
    expect(sb.requests()[0]!.params).toMatchObject({ test: '1', normalize: '1' });
  });

  it('101: a bad token is an auth failure, not retryable, and the error names no token', async () => {
    const e = await refusal(client.send('not-the-token-xyz', req()));
    expect(e).toMatchObject({ code: 101, retryable: false, duplicate: false, providerCode: '101' });
    expect(e.opts.authFailure).toBe(true);
    expect(`${e.message} ${e.stack ?? ''}`).not.toContain('not-the-token-xyz');
    expect(e.message).not.toContain('Zażółć');
  });

  it('103: not enough points, not retryable', async () => {
    sb.setPoints(0.01);
    const e = await refusal(client.send(sb.token, req()));
    expect(e).toMatchObject({ code: 103, retryable: false, noPoints: true });
  });

  it('53: the same idx again is flagged duplicate (already sent), and nothing is charged twice', async () => {
    await client.send(sb.token, req());
    const e = await refusal(client.send(sb.token, req()));
    expect(e).toMatchObject({ code: 53, duplicate: true, retryable: false });
    expect(sb.sent()).toHaveLength(1);
  });

  it('12, 13, 14: refusals with their codes; 13 lists the invalid numbers', async () => {
    expect(
      await refusal(client.send(sb.token, req({ message: 'a'.repeat(161), maxParts: 1 }))),
    ).toMatchObject({
      code: 12,
      retryable: false,
    });
    const bad = await refusal(client.send(sb.token, req({ to: '12x' })));
    expect(bad).toMatchObject({ code: 13, invalidNumbers: [{ number: '12x' }] });
    expect(await refusal(client.send(sb.token, req({ from: 'PROMO' })))).toMatchObject({ code: 14 });
  });

  it('5xx and a time-out are retryable; with check_idx the retry cannot send twice', async () => {
    sb.failNext({ status: 503 });
    expect(await refusal(client.send(sb.token, req()))).toMatchObject({
      code: null,
      retryable: true,
      status: 503,
    });
    sb.failNext({ delayMs: 1_500 });
    const slow = await refusal(client.send(sb.token, req({ timeoutMs: 200 })));
    expect(slow).toMatchObject({ code: null, retryable: true });
    // SMSAPI got the slow request and sent it after all: the job's retry is answered 53, not a 2nd SMS.
    await waitFor(() => sb.sent().length === 1, 10_000, 'the slow request to be sent');
    expect(await refusal(client.send(sb.token, req()))).toMatchObject({ code: 53, duplicate: true });
    expect(sb.sent()).toHaveLength(1);
  });

  it('an unreachable SMSAPI is retryable', async () => {
    const gone = new SmsapiClient({ baseUrl: 'http://127.0.0.1:1' });
    expect(await refusal(gone.send(sb.token, req()))).toMatchObject({ retryable: true });
  });
});

describe('SmsapiClient.profile and senderNames', () => {
  it('reads the balance and the sender names', async () => {
    expect(await client.profile(sb.token, 2_000)).toEqual({ points: 5, paymentType: 'prepaid' });
    expect(await client.senderNames(sb.token, 2_000)).toEqual(
      expect.arrayContaining([
        { sender: 'WAB24', status: 'ACTIVE', isDefault: true },
        { sender: 'PROMO', status: 'INACTIVE', isDefault: false },
      ]),
    );
  });

  it('a refused token on the REST endpoints is a non-retryable auth failure', async () => {
    const e = await refusal(client.profile('nope', 2_000));
    expect(e).toMatchObject({ retryable: false });
    expect(e.opts.authFailure).toBe(true);
  });
});

describe('delivery reports from the sandbox', () => {
  it('reads 403 SENT then 404 DELIVERED with the message id, idx, date and points', async () => {
    const sent = await client.send(sb.token, req({ notifyUrl: hookUrl }));
    await sb.settle();
    const reports = queries.flatMap((q) => parseDeliveryReports(q));
    expect(reports.map((r) => [r.msgId, r.idx, r.status, r.statusName])).toEqual([
      [sent.id, 'wab24-sms-1', 403, 'SENT'],
      [sent.id, 'wab24-sms-1', 404, 'DELIVERED'],
    ]);
    expect(reports[1]!.doneAt).toBeInstanceOf(Date);
    expect(reports[1]!.points).toBe(0.16);
  });

  it('reads a batched callback (comma-separated lists), undelivered included', async () => {
    sb.holdReports(true);
    await client.send(sb.token, req({ notifyUrl: hookUrl, idx: 'a' }));
    await client.send(sb.token, req({ notifyUrl: hookUrl, idx: 'b', to: '48500100000' }));
    await sb.releaseReports({ batch: true });
    expect(queries).toHaveLength(1);
    const reports = parseDeliveryReports(queries[0]);
    expect(reports.map((r) => `${r.idx}:${r.statusName}`)).toEqual([
      'a:SENT',
      'a:DELIVERED',
      'b:SENT',
      'b:UNDELIVERED',
    ]);
  });
});
