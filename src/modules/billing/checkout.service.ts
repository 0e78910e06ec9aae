import { randomBytes } from 'node:crypto';
import type { Lang } from '../../shared/i18n.js';
import { toLang } from '../../shared/i18n.js';
import {
  AppError,
  ConflictError,
  NotFoundError,
  ProviderError,
  ValidationError,
} from '../../shared/errors.js';
import type { OfferRepository } from './offer.repository.js';
import type { CardProvider, CheckoutPage, CheckoutRequest, WalletProvider } from './payment-ports.js';
import type { PaymentsRepository } from './payments.repository.js';
import type { ApiOrderStatus, CheckoutBody } from './checkout.schemas.js';
import type { OrderStatus } from '../../shared/db/billing-schema.js';

/** PayPal's REST currencies (reference §2.2: ARS is not one of them). */
const PAYPAL_CURRENCIES = new Set(
  'AUD BRL CAD CNY CZK DKK EUR HKD HUF ILS JPY MYR MXN TWD NZD NOK PHP PLN GBP SGD SEK CHF THB USD'.split(
    ' ',
  ),
);

export const RETURN_PATH = '/billing/return';
export const CANCEL_PATH = '/billing/cancel';

/**
 * Checkout (issue 12 item 2): an order row first (pending, with the caller's idempotency key and the
 * return page's token), then the provider's page with our key per order, so a repeated request —
 * ours after a crash, or the caller's with the same `Idempotency-Key` — gets the same page. The money
 * is credited by the webhook, never here.
 */
export class CheckoutService {
  constructor(
    private readonly d: {
      repo: PaymentsRepository;
      offer: OfferRepository;
      publicUrl: string;
      stripe?: CardProvider | undefined;
      paypal?: WalletProvider | undefined;
    },
  ) {}

  providers() {
    return { stripe: Boolean(this.d.stripe), paypal: Boolean(this.d.paypal) };
  }

  async checkout(
    who: { portalId: number; userId: number | null },
    body: CheckoutBody,
    clientKey: string | undefined,
  ): Promise<{ orderId: number; redirectUrl: string }> {
    if (body.provider === 'stripe' && !this.d.stripe) {
      throw new ValidationError('Card payments (Stripe) are not set up');
    }
    if (body.provider === 'paypal' && !this.d.paypal) {
      throw new ValidationError('PayPal payments are not set up');
    }
    const wanted = await this.#priced(who.portalId, body);
    const same = (o: {
      kind: string;
      pack_id: number | null;
      channel_id: string | null;
      months: number | null;
      provider: string;
    }) =>
      o.kind === body.kind &&
      o.provider === body.provider &&
      o.pack_id === wanted.pack_id &&
      o.channel_id === wanted.channel_id &&
      o.months === wanted.months;
    let order = clientKey ? await this.d.repo.orderByClientKey(who.portalId, clientKey) : undefined;
    if (order && !same(order)) throw new ConflictError('This Idempotency-Key was used for another checkout');
    order ??= await this.d.repo.createOrder({
      ...wanted,
      portal_id: who.portalId,
      provider: body.provider,
      created_by: who.userId,
      client_key: clientKey ?? null,
      return_token: randomBytes(24).toString('base64url'),
      return_path: body.returnPath ?? null,
    });
    // Two requests with one key at once: the other one inserted it.
    order ??= clientKey ? await this.d.repo.orderByClientKey(who.portalId, clientKey) : undefined;
    if (!order) throw new ConflictError('Checkout in progress; try again');
    if (order.checkout_url) return { orderId: order.id, redirectUrl: order.checkout_url };
    if (order.status !== 'pending') throw new ConflictError('This order is closed; start a new checkout');
    const full = await this.d.repo.order(order.id);
    const token = (await this.#token(order.id)) ?? '';
    const lang = toLang((await this.d.repo.portalLang(who.portalId))?.lang);
    const q = `order=${order.id}&t=${token}`;
    const req: CheckoutRequest = {
      orderId: order.id,
      portalId: who.portalId,
      description: full?.description ?? wanted.description,
      amountMinor: order.amount_minor,
      currency: order.currency,
      successUrl: `${this.d.publicUrl}${RETURN_PATH}?${q}`,
      cancelUrl: `${this.d.publicUrl}${CANCEL_PATH}?${q}`,
      locale: lang,
      idempotencyKey: `checkout:${order.id}`,
    };
    const page = await upstream(body.provider, () => this.#page(body, req, order.channel_id, order.months));
    await this.d.repo.setCheckout(order.id, {
      providerOrderId: page.providerOrderId,
      url: page.redirectUrl,
      customerId: page.customerId ?? null,
    });
    return { orderId: order.id, redirectUrl: page.redirectUrl };
  }

  #page(
    body: CheckoutBody,
    req: CheckoutRequest,
    channelId: string | null,
    months: number | null,
  ): Promise<CheckoutPage> {
    if (body.provider === 'paypal') return this.d.paypal!.createOrder(req);
    if (body.kind === 'pack') return this.d.stripe!.packCheckout(req);
    return this.d.stripe!.subscriptionCheckout({ ...req, channelId: channelId ?? '', months: months ?? 1 });
  }

  async #token(orderId: number): Promise<string | null> {
    return this.d.repo.returnToken(orderId);
  }

  /** What the order is and costs: the pack as sold now, or the channel's price for `months`. */
  async #priced(portalId: number, body: CheckoutBody) {
    if (body.kind === 'pack') {
      const pack = await this.d.offer.pack(Number(body.packId));
      if (!pack || !pack.active) throw new NotFoundError('Pack not found');
      if (body.provider === 'paypal' && !PAYPAL_CURRENCIES.has(pack.currency)) {
        throw new ValidationError(`PayPal does not take ${pack.currency}; pay by card`);
      }
      return {
        kind: 'pack' as const,
        pack_id: pack.id,
        units: pack.messages,
        validity_days: pack.validity_days,
        channel_id: null,
        months: null,
        amount_minor: pack.price_minor,
        currency: pack.currency,
        description: `${pack.name} (${pack.messages} messages)`,
      };
    }
    const channel = await this.d.repo.channelOf(portalId, body.channelId);
    if (!channel) throw new NotFoundError('Channel not found');
    const prices = (await this.d.offer.subscriptionPrices()).filter((p) => p.months === body.months);
    const price = prices.find((p) => p.currency === 'USD') ?? prices[0];
    if (!price) throw new ValidationError(`No subscription price for ${body.months} months`);
    return {
      kind: 'subscription' as const,
      pack_id: null,
      units: null,
      validity_days: null,
      channel_id: channel.id,
      months: body.months,
      amount_minor: price.price_minor,
      currency: price.currency,
      description: `Channel subscription: ${channel.name} (${body.months} months)`,
    };
  }

  /** GET /api/v1/orders. */
  async orders(portalId: number, limit: number) {
    const rows = await this.d.repo.listOrders(portalId, limit);
    return {
      orders: rows.map((o) => ({
        id: o.id,
        kind: o.kind,
        description: o.description ?? '',
        provider: o.provider,
        status: apiStatus(o.status),
        amount: o.amount_minor,
        currency: o.currency,
        units: o.units,
        createdAt: o.created_at,
        paidAt: o.paid_at,
        receiptUrl: o.receipt_url ?? null,
      })),
    };
  }

  /** The provider's customer portal for a subscription (cards, cancellation). */
  async customerPortal(
    portalId: number,
    channelId: string | null,
    returnPath: string | undefined,
    lang: Lang,
  ) {
    if (!this.d.stripe) throw new ValidationError('Card payments (Stripe) are not set up');
    const c = await this.d.repo.subscriptionCustomer(portalId, channelId);
    if (!c?.provider_customer_id) throw new NotFoundError('No paid subscription');
    const portal = await this.d.repo.portalLang(portalId);
    const back = `https://${portal?.domain ?? ''}${returnPath ?? '/'}`;
    const url = await upstream('stripe', () =>
      this.d.stripe!.customerPortal(c.provider_customer_id!, back, lang),
    );
    return { url };
  }

  /** The return page's poll: status only, and only with the order's token. */
  async returnStatus(orderId: number, token: string) {
    const o = await this.d.repo.orderForReturn(orderId, token);
    if (!o) return null;
    return {
      ...o,
      status: apiStatus(o.status),
      lang: toLang(o.lang),
      back: o.return_path ? `https://${o.domain}${o.return_path}` : null,
    };
  }

  /** PayPal sends the payer back before anything is captured: the capture job starts now. */
  async payerReturned(orderId: number, token: string): Promise<void> {
    const o = await this.d.repo.orderForReturn(orderId, token);
    if (o && o.provider === 'paypal' && o.status === 'pending') {
      await this.d.repo.queueCapture(o.portal_id, o.id, 'return');
    }
  }
}

export function apiStatus(s: OrderStatus): ApiOrderStatus {
  if (s === 'expired') return 'cancelled';
  if (s === 'partially_refunded') return 'refunded';
  return s;
}

/** A provider that failed or refused: a 502 that says who, never a 500. */
async function upstream<T>(provider: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ProviderError) {
      throw new AppError(
        'upstream_unavailable',
        `${provider === 'paypal' ? 'PayPal' : 'Stripe'} did not accept the checkout (${err.message.slice(0, 200)}); try again`,
        502,
      );
    }
    throw err;
  }
}
