import { z } from 'zod';
import { ProviderError } from '../../shared/errors.js';
import {
  parseJson,
  TransportError,
  transportFailure,
  type HttpClient,
} from '../../shared/http/http-client.js';
import type {
  CaptureResult,
  CheckoutPage,
  CheckoutRequest,
  WalletProvider,
} from '../../modules/billing/payment-ports.js';

/**
 * PayPal Orders v2 over plain HTTP (reference §2; §2.7 says why not its SDK: base URL hard-wired to
 * PayPal's two hosts, no webhook verification, axios and six more packages). OAuth client
 * credentials (§2.1, token cached until shortly before it expires), create (§2.2, `PayPal-Request-Id`
 * = our key per order), capture (§2.4: `ORDER_ALREADY_CAPTURED` is read back as success), and the
 * documented verify-webhook-signature call (§2.6).
 */
export interface PayPalSettings {
  clientId: string;
  clientSecret: string;
  apiUrl: string;
  webhookId?: string | undefined;
}

const LOCALES = { es: 'es-AR', en: 'en-US', pt: 'pt-BR' } as const;

const link = z.object({ href: z.string(), rel: z.string() });
const money = z.object({ currency_code: z.string(), value: z.string() });
const capture = z.object({
  id: z.string(),
  status: z.string(),
  amount: money.optional(),
  status_details: z.object({ reason: z.string().optional() }).optional(),
  links: z.array(link).optional(),
});
const order = z.object({
  id: z.string(),
  status: z.string(),
  links: z.array(link).default([]),
  purchase_units: z
    .array(z.object({ payments: z.object({ captures: z.array(capture).optional() }).optional() }))
    .optional(),
});
const token = z.object({ access_token: z.string(), expires_in: z.number() });

/** `15.00` ↔ 1500 (two decimals; JPY, HUF and TWD have none at PayPal). */
const NO_DECIMALS = new Set(['JPY', 'HUF', 'TWD']);
export function toPayPalValue(minor: number, currency: string): string {
  return NO_DECIMALS.has(currency) ? String(minor) : (minor / 100).toFixed(2);
}
export function fromPayPalValue(value: string, currency: string): number {
  const n = Number(value);
  return NO_DECIMALS.has(currency) ? Math.round(n) : Math.round(n * 100);
}

export class PayPalClient implements WalletProvider {
  #token: { value: string; until: number } | undefined;

  constructor(
    private readonly http: HttpClient,
    private readonly s: PayPalSettings,
  ) {}

  async createOrder(r: CheckoutRequest): Promise<CheckoutPage> {
    const res = await this.#call('orders.create', 'POST', '/v2/checkout/orders', {
      idempotencyKey: `pp-create:${r.orderId}`,
      body: {
        intent: 'CAPTURE',
        purchase_units: [
          {
            reference_id: String(r.orderId),
            custom_id: String(r.orderId),
            description: r.description.slice(0, 127),
            amount: { currency_code: r.currency, value: toPayPalValue(r.amountMinor, r.currency) },
          },
        ],
        payment_source: {
          paypal: {
            experience_context: {
              return_url: r.successUrl,
              cancel_url: r.cancelUrl,
              locale: LOCALES[r.locale],
              shipping_preference: 'NO_SHIPPING',
              user_action: 'PAY_NOW',
            },
          },
        },
      },
    });
    const o = order.parse(res);
    // §2.2: `payer-action` with payment_source, `approve` with the older application_context.
    const approve = o.links.find((l) => l.rel === 'payer-action') ?? o.links.find((l) => l.rel === 'approve');
    if (!approve) throw new ProviderError('paypal', 'orders.create', 'no approve link', { retryable: false });
    return { providerOrderId: o.id, redirectUrl: approve.href };
  }

  async capture(providerOrderId: string, idempotencyKey: string): Promise<CaptureResult> {
    const path = `/v2/checkout/orders/${encodeURIComponent(providerOrderId)}`;
    let res: unknown;
    try {
      res = await this.#call('orders.capture', 'POST', `${path}/capture`, { idempotencyKey, body: {} });
    } catch (err) {
      if (!(err instanceof ProviderError)) throw err;
      if (err.providerCode === 'ORDER_NOT_APPROVED') return { state: 'not_approved' };
      if (err.providerCode !== 'ORDER_ALREADY_CAPTURED') throw err;
      res = await this.#call('orders.get', 'GET', path, {});
    }
    const c = order.parse(res).purchase_units?.[0]?.payments?.captures?.[0];
    if (!c) return { state: 'not_approved' };
    if (c.status === 'COMPLETED' && c.amount) {
      return {
        state: 'completed',
        captureId: c.id,
        amountMinor: fromPayPalValue(c.amount.value, c.amount.currency_code),
        currency: c.amount.currency_code,
        receiptUrl: null,
      };
    }
    if (c.status === 'PENDING') return { state: 'pending', captureId: c.id };
    return { state: 'declined', reason: c.status_details?.reason ?? c.status };
  }

  async verifyWebhook(headers: Record<string, string>, body: string): Promise<boolean> {
    if (!this.s.webhookId) return false;
    const res = await this.#call('webhooks.verify', 'POST', '/v1/notifications/verify-webhook-signature', {
      body: {
        auth_algo: headers['paypal-auth-algo'],
        cert_url: headers['paypal-cert-url'],
        transmission_id: headers['paypal-transmission-id'],
        transmission_sig: headers['paypal-transmission-sig'],
        transmission_time: headers['paypal-transmission-time'],
        webhook_id: this.s.webhookId,
        // Sent as received (§2.6: a re-serialised event is a known cause of FAILURE).
        webhook_event: JSON.parse(body) as unknown,
      },
    });
    return z.object({ verification_status: z.string() }).parse(res).verification_status === 'SUCCESS';
  }

  async #accessToken(): Promise<string> {
    if (this.#token && this.#token.until > Date.now()) return this.#token.value;
    const basic = Buffer.from(`${this.s.clientId}:${this.s.clientSecret}`).toString('base64');
    const res = await this.#send('oauth2.token', {
      method: 'POST',
      url: `${this.s.apiUrl}/v1/oauth2/token`,
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const t = token.parse(res);
    // Refreshed early: a token that expires during a call would fail it.
    this.#token = { value: t.access_token, until: Date.now() + Math.max(0, t.expires_in - 300) * 1000 };
    return t.access_token;
  }

  async #call(
    operation: string,
    method: 'GET' | 'POST',
    path: string,
    o: { idempotencyKey?: string; body?: unknown },
  ): Promise<unknown> {
    const auth = await this.#accessToken();
    return this.#send(operation, {
      method,
      url: `${this.s.apiUrl}${path}`,
      headers: {
        authorization: `Bearer ${auth}`,
        'content-type': 'application/json',
        prefer: 'return=representation',
        ...(o.idempotencyKey ? { 'paypal-request-id': o.idempotencyKey.slice(0, 108) } : {}),
      },
      ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
    });
  }

  async #send(
    operation: string,
    req: { method: 'GET' | 'POST'; url: string; headers: Record<string, string>; body?: string },
  ): Promise<unknown> {
    let res;
    try {
      res = await this.http.send({ ...req, timeoutMs: 20_000 });
    } catch (err) {
      if (err instanceof TransportError) {
        throw new ProviderError('paypal', operation, err.message, transportFailure(err));
      }
      throw err;
    }
    const body = parseJson(res.text);
    if (res.status >= 200 && res.status < 300) return body;
    if (res.status === 401) this.#token = undefined;
    const e = z
      .object({
        name: z.string().optional(),
        details: z.array(z.object({ issue: z.string() })).optional(),
        error: z.string().optional(),
      })
      .safeParse(body);
    const code = e.data?.details?.[0]?.issue ?? e.data?.name ?? e.data?.error;
    throw new ProviderError('paypal', operation, `HTTP ${res.status}${code ? ` ${code}` : ''}`, {
      status: res.status,
      providerCode: code,
      retryable: res.status >= 500 || res.status === 429 || res.status === 401,
    });
  }
}
