import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { escapeHtml, header, readBody, redirect as redirectTo, sendAs } from '../payment-http.js';
import { parseStripeForm } from './form.js';
import { StripeError, StripeModel } from './model.js';
import { WebhookSender, type Delivery, type StripeEvent } from './webhooks.js';

const send = sendAs(() => ({ 'request-id': `req_${Date.now()}` }));
const redirect = (res: ServerResponse, to: string): void => redirectTo(res, to, 303);

/**
 * Sandbox Stripe — a local stand-in for the Stripe API calls the app makes with the official SDK
 * (reference §1; the SDK is pointed here with its `host`, `port` and `protocol` options):
 *
 *  - `Authorization: Bearer <secret key>` on every `/v1` call (401 otherwise); form-encoded bodies.
 *  - `Idempotency-Key` (§1.3): the first answer of a key is replayed; the same key with other
 *    parameters is a 400 `idempotency_error`.
 *  - POST /v1/checkout/sessions, GET /v1/checkout/sessions/:id, POST /v1/checkout/sessions/:id/expire,
 *    POST /v1/refunds, POST /v1/billing_portal/sessions, GET /v1/events (model.ts).
 *  - The hosted page: GET /pay/:session shows it, POST /pay/:session pays (or `action=cancel`
 *    leaves) and redirects (303) to `success_url` (with `{CHECKOUT_SESSION_ID}` filled in) or
 *    `cancel_url`, as Stripe's page does.
 *  - Webhooks signed with the real algorithm (webhooks.ts), to `webhookUrl`.
 *
 * Not a Stripe: no cards, no taxes, no API versions but the SDK's. Choices where the reference is
 * silent are marked "sandbox choice".
 */
export interface SandboxStripeOptions {
  secretKey?: string;
  webhookSecret?: string;
  /** Deliver every event twice (duplicate webhooks). */
  duplicateEvents?: boolean;
}

export interface SandboxStripe {
  url: string;
  host: string;
  port: number;
  secretKey: string;
  webhookSecret: string;
  model: StripeModel;
  /** Where events go (the app's /webhooks/stripe). */
  setWebhookUrl(url: string): void;
  events(): StripeEvent[];
  deliveries(): Delivery[];
  /** Requests received: path, idempotency key, status (for tests). */
  requests(): Array<{ method: string; path: string; idempotencyKey: string | null; status: number }>;
  /** Delivers an event again (a provider's retry, or a replay). */
  redeliver(eventId: string): Promise<void>;
  /** Waits until every delivery started so far has ended. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

const SESSION = /^\/v1\/checkout\/sessions\/([^/]+)$/;
const EXPIRE = /^\/v1\/checkout\/sessions\/([^/]+)\/expire$/;
const PAY = /^\/pay\/([^/]+)$/;

export async function startSandboxStripe(o: SandboxStripeOptions = {}): Promise<SandboxStripe> {
  const secretKey = o.secretKey ?? 'sk_test_sandbox_0123456789abcdef';
  const webhookSecret = o.webhookSecret ?? 'whsec_sandbox_0123456789abcdef0123456789';
  const hooks = new WebhookSender(webhookSecret, { duplicate: o.duplicateEvents ?? false });
  let base = '';
  const model = new StripeModel(() => base, hooks);
  const idem = new Map<string, { hash: string; status: number; body: unknown }>();
  const log: Array<{ method: string; path: string; idempotencyKey: string | null; status: number }> = [];

  const server = createServer((req, res) => {
    void handle(req, res).catch(() =>
      send(res, 500, { error: { type: 'api_error', message: 'sandbox fault' } }),
    );
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const body = await readBody(req);
    const method = req.method ?? 'GET';
    if (url.pathname.startsWith('/v1/')) return api(req, res, method, url, body);
    const pay = PAY.exec(url.pathname);
    if (pay) return payPage(res, method, decodeURIComponent(pay[1] as string), body);
    if (
      url.pathname.startsWith('/receipts/') ||
      url.pathname.startsWith('/portal/') ||
      url.pathname.startsWith('/invoices/')
    ) {
      return send(
        res,
        200,
        `<!doctype html><title>Sandbox Stripe</title><p>Sandbox Stripe: ${escapeHtml(url.pathname)}</p>`,
        'text/html',
      );
    }
    return send(res, 404, { error: { type: 'invalid_request_error', message: 'Unrecognized request URL' } });
  }

  async function api(req: IncomingMessage, res: ServerResponse, method: string, url: URL, body: string) {
    const key = header(req, 'idempotency-key');
    const done = (status: number, out: unknown) => {
      log.push({ method, path: url.pathname, idempotencyKey: key, status });
      send(res, status, out);
    };
    if (header(req, 'authorization') !== `Bearer ${secretKey}`) {
      return done(401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
    }
    const hash = createHash('sha256').update(`${method} ${url.pathname} ${body}`).digest('hex');
    if (method === 'POST' && key) {
      const seen = idem.get(key);
      if (seen && seen.hash !== hash) {
        return done(400, {
          error: {
            type: 'idempotency_error',
            message:
              'Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than ' +
              key +
              ' if you meant to execute a different request.',
          },
        });
      }
      if (seen) return done(seen.status, seen.body);
    }
    let status = 200;
    let out: unknown;
    try {
      out = route(method, url, body);
    } catch (err) {
      if (!(err instanceof StripeError)) throw err;
      status = err.status;
      out = { error: { type: err.type, message: err.message, ...(err.param ? { param: err.param } : {}) } };
    }
    // §1.3: the first result of a key is replayed, errors included.
    if (method === 'POST' && key) idem.set(key, { hash, status, body: out });
    done(status, out);
  }

  function route(method: string, url: URL, body: string): unknown {
    const p = parseStripeForm(body);
    const path = url.pathname;
    if (method === 'POST' && path === '/v1/checkout/sessions') return model.createSession(p);
    if (method === 'POST' && path === '/v1/refunds') return model.refund(p);
    if (method === 'POST' && path === '/v1/billing_portal/sessions') return model.portalSession(p);
    if (method === 'GET' && path === '/v1/events') {
      return { object: 'list', data: [...hooks.events].reverse(), has_more: false, url: '/v1/events' };
    }
    const ex = EXPIRE.exec(path);
    if (method === 'POST' && ex) return model.expire(decodeURIComponent(ex[1] as string));
    const one = SESSION.exec(path);
    if (method === 'GET' && one) {
      const s = model.session(decodeURIComponent(one[1] as string));
      return Object.fromEntries(Object.entries(s).filter(([k]) => !k.startsWith('_')));
    }
    throw new StripeError(404, 'invalid_request_error', `Unrecognized request URL (${method}: ${path}).`);
  }

  /** The hosted checkout page (sandbox choice: one button to pay, one to go back). */
  function payPage(res: ServerResponse, method: string, id: string, body: string): void {
    const s = model.sessions.get(id);
    if (!s) return send(res, 404, '<!doctype html><p>No such checkout session</p>', 'text/html');
    if (method === 'POST') {
      const action = new URLSearchParams(body).get('action');
      if (action === 'cancel') {
        return redirect(res, (s.cancel_url as string | null) ?? (s.success_url as string));
      }
      if (s.status === 'open') model.pay(id);
      return redirect(res, String(s.success_url).replace('{CHECKOUT_SESSION_ID}', id));
    }
    const amount = `${((s.amount_total as number) / 100).toFixed(2)} ${String(s.currency).toUpperCase()}`;
    send(
      res,
      200,
      `<!doctype html><html><head><meta charset="utf-8"><title>Sandbox Stripe Checkout</title></head><body>
<h1>Sandbox Stripe Checkout</h1><p id="amount">${escapeHtml(amount)}</p><p id="status">${escapeHtml(String(s.status))}</p>
<form method="post"><button name="action" value="pay" id="pay">Pay</button>
<button name="action" value="cancel" id="cancel">Back</button></form></body></html>`,
      'text/html',
    );
  }

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  base = `http://127.0.0.1:${port}`;
  return {
    url: base,
    host: '127.0.0.1',
    port,
    secretKey,
    webhookSecret,
    model,
    setWebhookUrl: (u) => {
      hooks.endpoint = u;
    },
    events: () => hooks.events,
    deliveries: () => hooks.deliveries,
    requests: () => log,
    redeliver: async (eventId) => {
      const e = hooks.events.find((x) => x.id === eventId);
      if (!e) throw new Error(`no event ${eventId}`);
      await hooks.deliver(e);
    },
    settled: () => hooks.settled(),
    close: async () => {
      await hooks.settled();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
