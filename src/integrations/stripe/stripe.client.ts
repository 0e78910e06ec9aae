import type Stripe from 'stripe';
import { ProviderError } from '../../shared/errors.js';
import type { CardProvider, CheckoutPage, CheckoutRequest } from '../../modules/billing/payment-ports.js';

/**
 * Stripe through its official SDK (reference §1): Checkout Sessions (`payment` for a pack,
 * `subscription` for a channel), the billing portal. Every create carries our key per order
 * (`Idempotency-Key`, §1.3), so a retried checkout gets the same session. `apiUrl` points the SDK
 * elsewhere (the local stand-in) through its host/port/protocol options; empty → api.stripe.com.
 */
export interface StripeSettings {
  secretKey: string;
  webhookSecret?: string | undefined;
  apiUrl?: string | undefined;
}

/** Tolerance of the signature's timestamp (seconds), Stripe's default (§1.5). */
export const SIGNATURE_TOLERANCE_SEC = 300;

/**
 * The SDK, imported at its first use (a checkout, a webhook): it is 270 files and about 3 MB of heap
 * and more of resident memory that an app process without Stripe set up, or not yet paid through, would
 * hold from start-up on.
 */
export async function stripeModule(): Promise<typeof Stripe> {
  return (await import('stripe')).default;
}

export async function stripeSdk(s: StripeSettings): Promise<Stripe> {
  const StripeSdk = await stripeModule();
  const base = s.apiUrl ? new URL(s.apiUrl) : undefined;
  return new StripeSdk(s.secretKey, {
    maxNetworkRetries: 1,
    timeout: 20_000,
    telemetry: false,
    ...(base
      ? {
          host: base.hostname,
          port: base.port ? Number(base.port) : base.protocol === 'http:' ? 80 : 443,
          protocol: base.protocol === 'http:' ? 'http' : 'https',
        }
      : {}),
  });
}

const LOCALES = { es: 'es-419', en: 'en', pt: 'pt-BR' } as const;

export class StripeCheckout implements CardProvider {
  #sdk: Promise<Stripe> | undefined;

  constructor(private readonly settings: StripeSettings) {}

  /** The SDK's client, made at the first call (a failed import is tried again at the next). */
  #stripe(): Promise<Stripe> {
    this.#sdk ??= stripeSdk(this.settings).catch((err: unknown) => {
      this.#sdk = undefined;
      throw err;
    });
    return this.#sdk;
  }

  packCheckout(r: CheckoutRequest): Promise<CheckoutPage> {
    const meta = { order_id: String(r.orderId), portal_id: String(r.portalId) };
    return this.#checkout(r, meta, { mode: 'payment', payment_intent_data: { metadata: meta } });
  }

  subscriptionCheckout(r: CheckoutRequest & { channelId: string; months: number }): Promise<CheckoutPage> {
    const meta = { order_id: String(r.orderId), portal_id: String(r.portalId), channel_id: r.channelId };
    return this.#checkout(
      r,
      meta,
      { mode: 'subscription', subscription_data: { metadata: meta } },
      { interval: 'month', interval_count: r.months },
    );
  }

  /** One Checkout Session for one order: a pack (one payment) or a channel's subscription. */
  async #checkout(
    r: CheckoutRequest,
    meta: Record<string, string>,
    mode: Pick<Stripe.Checkout.SessionCreateParams, 'mode' | 'payment_intent_data' | 'subscription_data'>,
    recurring?: Stripe.Checkout.SessionCreateParams.LineItem.PriceData.Recurring,
  ): Promise<CheckoutPage> {
    const stripe = await this.#stripe();
    const session = await call('checkout.sessions.create', () =>
      stripe.checkout.sessions.create(
        {
          ...mode,
          line_items: [
            {
              quantity: 1,
              price_data: {
                currency: r.currency.toLowerCase(),
                unit_amount: r.amountMinor,
                ...(recurring ? { recurring } : {}),
                product_data: { name: r.description.slice(0, 250) },
              },
            },
          ],
          client_reference_id: String(r.orderId),
          metadata: meta,
          success_url: r.successUrl,
          cancel_url: r.cancelUrl,
          locale: LOCALES[r.locale],
        },
        { idempotencyKey: r.idempotencyKey },
      ),
    );
    return page(session);
  }

  async customerPortal(customerId: string, returnUrl: string, locale: 'es' | 'en' | 'pt'): Promise<string> {
    const stripe = await this.#stripe();
    const s = await call('billingPortal.sessions.create', () =>
      stripe.billingPortal.sessions.create({
        customer: customerId,
        return_url: returnUrl,
        locale: locale === 'pt' ? 'pt-BR' : locale === 'es' ? 'es-419' : 'en',
      }),
    );
    return s.url;
  }
}

function page(s: Stripe.Checkout.Session): CheckoutPage {
  if (!s.url) throw new ProviderError('stripe', 'checkout.sessions.create', 'no url', { retryable: false });
  const customer = typeof s.customer === 'string' ? s.customer : (s.customer?.id ?? null);
  return { providerOrderId: s.id, redirectUrl: s.url, customerId: customer };
}

/** The SDK's errors as ours: connection problems and 5xx/429 may be retried, a 4xx may not. */
async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    // Loaded already: the call that failed came from the SDK.
    const { errors } = await stripeModule();
    if (err instanceof errors.StripeError) {
      const status = err.statusCode;
      const retryable =
        err instanceof errors.StripeConnectionError ||
        status === undefined ||
        status >= 500 ||
        status === 429;
      throw new ProviderError('stripe', operation, err.message, {
        status,
        providerCode: err.code ?? err.type,
        retryable,
      });
    }
    throw err;
  }
}
