import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { escapeHtml, header, readBody, redirect as redirectTo, sendAs } from '../payment-http.js';
import { PayPalError, PayPalModel, publicOrder } from './model.js';

const send = sendAs(() => ({ 'paypal-debug-id': randomBytes(6).toString('hex') }));
const redirect = (res: ServerResponse, to: string): void => redirectTo(res, to, 302);

/**
 * Sandbox PayPal — a local stand-in for PayPal's REST API, written from the reference (§2):
 *
 *  - POST /v1/oauth2/token (Basic client id:secret, `grant_type=client_credentials`) → Bearer token.
 *  - POST /v2/checkout/orders, GET /v2/checkout/orders/:id, POST …/:id/capture (`PayPal-Request-Id`:
 *    the same key answers the same result, §2.5), POST /v2/payments/captures/:id/refund.
 *  - The payer's page: GET /checkoutnow?token=<order> shows it; POST approves (→ `return_url` with
 *    `token` and `PayerID`, §2.4) or cancels (→ `cancel_url`).
 *  - Webhooks to `webhookUrl` with the transmission headers, signed (model.ts); a non-2xx answer is
 *    retried (PayPal: up to 25 times over 3 days; here a few times quickly — sandbox choice).
 *  - POST /v1/notifications/verify-webhook-signature → `{ verification_status }`.
 */
export interface SandboxPayPalOptions {
  clientId?: string;
  clientSecret?: string;
  webhookId?: string;
  duplicateEvents?: boolean;
}

export interface PayPalDelivery {
  eventId: string;
  type: string;
  status: number | null;
}

export interface SandboxPayPal {
  url: string;
  clientId: string;
  clientSecret: string;
  webhookId: string;
  model: PayPalModel;
  setWebhookUrl(url: string): void;
  events(): Array<{ id: string; event_type: string; body: string }>;
  deliveries(): PayPalDelivery[];
  requests(): Array<{ method: string; path: string; requestId: string | null; status: number }>;
  /** Sends a stored event again, as PayPal retries. */
  redeliver(eventId: string): Promise<void>;
  /** Posts any body with headers signed for it (forgeries and tampering in tests). */
  deliverRaw(body: string, headers?: Record<string, string>): Promise<number>;
  settled(): Promise<void>;
  close(): Promise<void>;
}

export async function startSandboxPayPal(o: SandboxPayPalOptions = {}): Promise<SandboxPayPal> {
  const clientId = o.clientId ?? 'sandbox-paypal-client-id';
  const clientSecret = o.clientSecret ?? 'sandbox-paypal-client-secret-0123456789';
  const webhookId = o.webhookId ?? 'WH-SANDBOX-0123456789';
  const tokens = new Map<string, number>();
  const idem = new Map<string, { status: number; body: unknown }>();
  const log: Array<{ method: string; path: string; requestId: string | null; status: number }> = [];
  const events: Array<{ id: string; event_type: string; body: string }> = [];
  const deliveries: PayPalDelivery[] = [];
  const pending = new Set<Promise<void>>();
  let endpoint: string | undefined;
  let base = '';

  const deliver = async (
    ev: { id: string; event_type: string; body: string },
    attempt = 1,
  ): Promise<void> => {
    if (!endpoint) return;
    let status: number | null = null;
    try {
      const r = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...model.sign(ev.body, webhookId) },
        body: ev.body,
      });
      status = r.status;
      await r.arrayBuffer();
    } catch {
      status = null;
    }
    deliveries.push({ eventId: ev.id, type: ev.event_type, status });
    if ((status === null || status >= 300) && attempt < 5) {
      await new Promise((r) => setTimeout(r, 200 * attempt));
      await deliver(ev, attempt + 1);
    }
  };
  const track = (p: Promise<void>) => {
    pending.add(p);
    void p.finally(() => pending.delete(p));
  };
  const model = new PayPalModel(
    () => base,
    (type, resource) => {
      const id = `WH-${randomBytes(10).toString('hex').toUpperCase()}`;
      const event = {
        id,
        event_version: '1.0',
        create_time: new Date().toISOString(),
        resource_type: type.startsWith('CHECKOUT.ORDER')
          ? 'checkout-order'
          : type.endsWith('REFUNDED')
            ? 'refund'
            : 'capture',
        resource_version: '2.0',
        event_type: type,
        summary: type,
        resource,
      };
      const ev = { id, event_type: type, body: JSON.stringify(event) };
      events.push(ev);
      for (let i = 0; i < (o.duplicateEvents ? 2 : 1); i++) track(deliver(ev));
    },
  );

  const server = createServer((req, res) => {
    void handle(req, res).catch(() =>
      send(res, 500, { name: 'INTERNAL_SERVER_ERROR', message: 'sandbox fault' }),
    );
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const raw = await readBody(req);
    if (url.pathname === '/checkoutnow') {
      return payerPage(res, method, url.searchParams.get('token') ?? '', raw);
    }
    if (url.pathname.startsWith('/v1/notifications/certs/')) {
      return send(res, 200, model.certPem, 'application/x-pem-file');
    }
    const requestId = header(req, 'paypal-request-id');
    const done = (status: number, body: unknown) => {
      log.push({ method, path: url.pathname, requestId, status });
      send(res, status, body);
    };
    if (method === 'POST' && url.pathname === '/v1/oauth2/token') {
      const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
      if (header(req, 'authorization') !== basic) {
        return done(401, { error: 'invalid_client', error_description: 'Client Authentication failed' });
      }
      if (new URLSearchParams(raw).get('grant_type') !== 'client_credentials') {
        return done(400, { error: 'unsupported_grant_type' });
      }
      const token = `A21AA${randomBytes(24).toString('hex')}`;
      tokens.set(token, Date.now() + 32_400_000);
      return done(200, {
        scope: 'https://uri.paypal.com/services/payments/payment',
        access_token: token,
        token_type: 'Bearer',
        app_id: 'APP-SANDBOX',
        expires_in: 32_400,
        nonce: randomBytes(8).toString('hex'),
      });
    }
    const bearer = /^Bearer (.+)$/.exec(header(req, 'authorization') ?? '')?.[1];
    if (!bearer || !((tokens.get(bearer) ?? 0) > Date.now())) {
      return done(401, {
        name: 'AUTHENTICATION_FAILURE',
        message:
          'Authentication failed due to invalid authentication credentials or a missing Authorization header.',
      });
    }
    const key = requestId ? `${method} ${url.pathname} ${requestId}` : null;
    const seen = key ? idem.get(key) : undefined;
    if (seen) return done(seen.status, seen.body);
    let status = 200;
    let out: unknown;
    try {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      out = route(method, url.pathname, body);
      if (method === 'POST' && url.pathname === '/v2/checkout/orders') status = 201;
      if (url.pathname.endsWith('/capture') || url.pathname.endsWith('/refund')) status = 201;
    } catch (err) {
      if (err instanceof SyntaxError) {
        status = 400;
        out = { name: 'INVALID_REQUEST', message: 'MALFORMED_REQUEST_JSON' };
      } else if (err instanceof PayPalError) {
        status = err.status;
        out = err.body();
      } else throw err;
    }
    if (key && status < 500) idem.set(key, { status, body: out });
    done(status, out);
  }

  function route(method: string, path: string, body: Record<string, unknown>): unknown {
    if (method === 'POST' && path === '/v2/checkout/orders') return model.createOrder(body);
    if (method === 'POST' && path === '/v1/notifications/verify-webhook-signature') {
      return { verification_status: model.verify(body, webhookId) };
    }
    let m = /^\/v2\/checkout\/orders\/([^/]+)$/.exec(path);
    if (method === 'GET' && m) return publicOrder(model.order(decodeURIComponent(m[1] as string)));
    m = /^\/v2\/checkout\/orders\/([^/]+)\/capture$/.exec(path);
    if (method === 'POST' && m) return model.capture(decodeURIComponent(m[1] as string));
    m = /^\/v2\/payments\/captures\/([^/]+)\/refund$/.exec(path);
    if (method === 'POST' && m) return model.refund(decodeURIComponent(m[1] as string), body);
    throw new PayPalError(404, 'RESOURCE_NOT_FOUND', 'INVALID_RESOURCE_ID', `No route ${method} ${path}`);
  }

  function payerPage(res: ServerResponse, method: string, token: string, raw: string): void {
    const order = model.orders.get(token);
    if (!order) return send(res, 404, '<!doctype html><p>No such order</p>', 'text/html');
    if (method === 'POST') {
      if (new URLSearchParams(raw).get('action') === 'cancel') {
        const c = order._cancel as string | null;
        return c ? redirect(res, c) : send(res, 200, '<p>Cancelled</p>', 'text/html');
      }
      const back = model.approve(token);
      return back ? redirect(res, back) : send(res, 200, '<p>Approved</p>', 'text/html');
    }
    const a = ((order.purchase_units as Array<Record<string, unknown>>)[0]?.amount ?? {}) as Record<
      string,
      string
    >;
    send(
      res,
      200,
      `<!doctype html><html><head><meta charset="utf-8"><title>Sandbox PayPal</title></head><body>
<h1>Sandbox PayPal</h1><p id="amount">${escapeHtml(`${a.value ?? ''} ${a.currency_code ?? ''}`)}</p>
<form method="post"><button name="action" value="approve" id="approve">Pay Now</button>
<button name="action" value="cancel" id="cancel">Cancel and return</button></form></body></html>`,
      'text/html',
    );
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const settled = async () => {
    while (pending.size) await Promise.all([...pending]);
  };
  return {
    url: base,
    clientId,
    clientSecret,
    webhookId,
    model,
    setWebhookUrl: (u) => {
      endpoint = u;
    },
    events: () => events,
    deliveries: () => deliveries,
    requests: () => log,
    redeliver: async (eventId) => {
      const ev = events.find((e) => e.id === eventId);
      if (!ev) throw new Error(`no event ${eventId}`);
      await deliver(ev);
    },
    deliverRaw: async (body, headers) => {
      const r = await fetch(endpoint ?? '', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(headers ?? model.sign(body, webhookId)) },
        body,
      });
      await r.arrayBuffer();
      return r.status;
    },
    settled,
    close: async () => {
      await settled();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
