/**
 * The sandbox PayPal against /work/shared/reference/payments-and-sms.md §2: OAuth, Orders v2
 * (create, approve, capture, PayPal-Request-Id), refunds, signed webhooks and verify-webhook-signature.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSandboxPayPal, type SandboxPayPal } from '../../../scripts/sandbox/paypal/index.js';

let sb: SandboxPayPal;
let hook: Server;
let received: Array<{ headers: Record<string, string>; body: string }>;

beforeEach(async () => {
  sb = await startSandboxPayPal();
  received = [];
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers as Record<string, string>, body });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  sb.setWebhookUrl(`http://127.0.0.1:${(hook.address() as AddressInfo).port}/`);
});
afterEach(async () => {
  await sb.close();
  await new Promise<void>((r) => hook.close(() => r()));
});

async function token(): Promise<string> {
  const r = await fetch(`${sb.url}/v1/oauth2/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${sb.clientId}:${sb.clientSecret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: 'grant_type=client_credentials',
  });
  expect(r.status).toBe(200);
  const b = (await r.json()) as { access_token: string; token_type: string };
  expect(b.token_type).toBe('Bearer');
  return b.access_token;
}

async function call(t: string, method: string, path: string, body?: unknown, requestId?: string) {
  const r = await fetch(`${sb.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${t}`,
      'content-type': 'application/json',
      ...(requestId ? { 'paypal-request-id': requestId } : {}),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

const order = {
  intent: 'CAPTURE',
  purchase_units: [{ custom_id: '7', amount: { currency_code: 'USD', value: '15.00' } }],
  payment_source: {
    paypal: {
      experience_context: { return_url: 'http://127.0.0.1/back', cancel_url: 'http://127.0.0.1/cancel' },
    },
  },
};

describe('sandbox PayPal (§2)', () => {
  it('§2.1 a wrong client secret is a 401; calls without a token are 401', async () => {
    const r = await fetch(`${sb.url}/v1/oauth2/token`, {
      method: 'POST',
      headers: { authorization: 'Basic eDp5' },
      body: 'grant_type=client_credentials',
    });
    expect(r.status).toBe(401);
    expect((await call('nope', 'POST', '/v2/checkout/orders', order)).status).toBe(401);
  });

  it('§2.2–2.5 create (payer-action link, same PayPal-Request-Id → same order), capture before approval 422, approve, capture, again 422 ORDER_ALREADY_CAPTURED', async () => {
    const t = await token();
    const a = await call(t, 'POST', '/v2/checkout/orders', order, 'pp-create:1');
    const b = await call(t, 'POST', '/v2/checkout/orders', order, 'pp-create:1');
    expect(a.status).toBe(201);
    expect(b.body.id).toBe(a.body.id);
    expect(a.body.status).toBe('PAYER_ACTION_REQUIRED');
    const id = String(a.body.id);
    const early = await call(t, 'POST', `/v2/checkout/orders/${id}/capture`, {});
    expect(early.status).toBe(422);
    expect(JSON.stringify(early.body)).toContain('ORDER_NOT_APPROVED');
    const approve = await fetch(`${sb.url}/checkoutnow?token=${id}`, {
      method: 'POST',
      body: 'action=approve',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      redirect: 'manual',
    });
    expect(approve.headers.get('location')).toMatch(
      new RegExp(`^http://127.0.0.1/back\\?token=${id}&PayerID=`),
    );
    const cap = await call(t, 'POST', `/v2/checkout/orders/${id}/capture`, {}, 'pp-capture:1');
    expect(cap.status).toBe(201);
    expect(JSON.stringify(cap.body)).toContain('"status":"COMPLETED"');
    const again = await call(t, 'POST', `/v2/checkout/orders/${id}/capture`, {});
    expect(JSON.stringify(again.body)).toContain('ORDER_ALREADY_CAPTURED');
    expect(
      (
        await call(t, 'POST', '/v2/checkout/orders', {
          ...order,
          purchase_units: [{ amount: { currency_code: 'ARS', value: '1.00' } }],
        })
      ).status,
    ).toBe(422);
  });

  it('§2.6 deliveries carry the transmission headers; verify-webhook-signature says SUCCESS for the event as sent, FAILURE when altered or for another webhook id', async () => {
    const t = await token();
    const a = await call(t, 'POST', '/v2/checkout/orders', order);
    sb.model.approve(String(a.body.id));
    await sb.settled();
    const d = received[0]!;
    expect(d.headers['paypal-auth-algo']).toBe('SHA256withRSA');
    const verify = (event: unknown, webhookId = sb.webhookId) =>
      call(t, 'POST', '/v1/notifications/verify-webhook-signature', {
        auth_algo: d.headers['paypal-auth-algo'],
        cert_url: d.headers['paypal-cert-url'],
        transmission_id: d.headers['paypal-transmission-id'],
        transmission_sig: d.headers['paypal-transmission-sig'],
        transmission_time: d.headers['paypal-transmission-time'],
        webhook_id: webhookId,
        webhook_event: event,
      });
    const event = JSON.parse(d.body) as Record<string, unknown>;
    expect((await verify(event)).body).toEqual({ verification_status: 'SUCCESS' });
    expect((await verify({ ...event, summary: 'changed' })).body).toEqual({ verification_status: 'FAILURE' });
    expect((await verify(event, 'WH-OTHER')).body).toEqual({ verification_status: 'FAILURE' });
  });
});
