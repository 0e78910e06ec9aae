import { arr, obj, str, type FormObject } from './form.js';
import { newId, type WebhookSender } from './webhooks.js';

/**
 * What the sandbox keeps and how payments move (reference §1.2, §1.4, §1.7): Checkout Sessions in
 * `payment` and `subscription` mode, their payment (the "pay" page), payment intents and charges with
 * receipts, refunds (cumulative `amount_refunded` on the charge), disputes, customers, subscriptions
 * with invoices, billing portal sessions. Every change emits the event Stripe would.
 */
export class StripeError extends Error {
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
    readonly param?: string,
  ) {
    super(message);
  }
}

type Obj = Record<string, unknown>;
const now = (): number => Math.floor(Date.now() / 1000);
const bad = (message: string, param?: string) =>
  new StripeError(400, 'invalid_request_error', message, param);

export class StripeModel {
  readonly sessions = new Map<string, Obj>();
  readonly intents = new Map<string, Obj>();
  readonly charges = new Map<string, Obj>();
  readonly subscriptions = new Map<string, Obj>();
  readonly customers = new Map<string, Obj>();
  readonly refunds = new Map<string, Obj>();

  constructor(
    readonly base: () => string,
    readonly hooks: WebhookSender,
  ) {}

  /** POST /v1/checkout/sessions (§1.2). */
  createSession(p: FormObject): Obj {
    const mode = str(p.mode);
    if (mode !== 'payment' && mode !== 'subscription') {
      throw bad('Invalid mode: must be one of payment, setup, or subscription', 'mode');
    }
    const successUrl = str(p.success_url);
    if (!successUrl || !/^https?:\/\//.test(successUrl)) {
      throw bad('Missing required param: success_url.', 'success_url');
    }
    const items = arr(p.line_items) ?? [];
    if (items.length === 0) throw bad('Missing required param: line_items.', 'line_items');
    let total = 0;
    let currency = '';
    for (const [i, raw] of items.entries()) {
      const it = obj(raw);
      const pd = obj(it?.price_data);
      const amount = Number(str(pd?.unit_amount));
      const qty = Number(str(it?.quantity) ?? '1');
      if (!pd || !Number.isInteger(amount) || amount < 0) {
        throw bad('Invalid integer: unit_amount', `line_items[${i}][price_data][unit_amount]`);
      }
      if (!str(obj(pd.product_data)?.name)) {
        throw bad(
          'Missing required param: product_data[name].',
          `line_items[${i}][price_data][product_data][name]`,
        );
      }
      if (mode === 'subscription' && !obj(pd.recurring)) {
        throw bad(
          'You must provide at least one recurring price in `subscription` mode when using prices.',
          'line_items',
        );
      }
      if (mode === 'payment' && obj(pd.recurring)) {
        throw bad('You specified `payment` mode but passed a recurring price.', 'line_items');
      }
      currency = (str(pd.currency) ?? '').toLowerCase();
      total += amount * qty;
    }
    const metadata = checkMetadata(obj(p.metadata), 'metadata');
    let customer = str(p.customer) ?? null;
    if (customer && !this.customers.has(customer)) throw bad(`No such customer: '${customer}'`, 'customer');
    if (!customer && mode === 'subscription') customer = this.#customer(str(p.customer_email) ?? null);
    const id = newId('cs');
    const session: Obj = {
      id,
      object: 'checkout.session',
      mode,
      status: 'open',
      payment_status: 'unpaid',
      amount_total: total,
      currency,
      client_reference_id: str(p.client_reference_id) ?? null,
      metadata,
      customer,
      payment_intent: null,
      subscription: null,
      success_url: successUrl,
      cancel_url: str(p.cancel_url) ?? null,
      url: `${this.base()}/pay/${id}`,
      created: now(),
      expires_at: Number(str(p.expires_at) ?? now() + 86_400),
      locale: str(p.locale) ?? null,
      livemode: false,
      // Kept for what payment creates (not part of Stripe's answer shape).
      _intent_metadata: checkMetadata(
        obj(obj(p.payment_intent_data)?.metadata),
        'payment_intent_data[metadata]',
      ),
      _sub_metadata: checkMetadata(obj(obj(p.subscription_data)?.metadata), 'subscription_data[metadata]'),
      _recurring: obj(obj(obj(items[0])?.price_data)?.recurring) ?? null,
    };
    this.sessions.set(id, session);
    return publicSession(session);
  }

  session(id: string): Obj {
    const s = this.sessions.get(id);
    if (!s) throw new StripeError(404, 'invalid_request_error', `No such checkout.session: '${id}'`, 'id');
    return s;
  }

  /** The payer paid on the hosted page: intent, charge (with receipt), subscription; the events. */
  pay(id: string): Obj {
    const s = this.session(id);
    if (s.status !== 'open') throw bad(`This Checkout Session is no longer active (${String(s.status)}).`);
    s.status = 'complete';
    s.payment_status = 'paid';
    if (s.mode === 'payment') {
      const pi = newId('pi');
      const ch = newId('ch');
      this.intents.set(pi, {
        id: pi,
        object: 'payment_intent',
        amount: s.amount_total,
        currency: s.currency,
        status: 'succeeded',
        latest_charge: ch,
        metadata: s._intent_metadata,
      });
      const charge = this.#charge(ch, pi, s);
      s.payment_intent = pi;
      this.hooks.emit('checkout.session.completed', publicSession(s));
      this.hooks.emit('charge.succeeded', charge);
    } else {
      const sub = this.#subscription(s);
      s.subscription = sub.id;
      this.hooks.emit('checkout.session.completed', publicSession(s));
      this.hooks.emit('customer.subscription.created', sub);
      this.#invoice(sub, 'invoice.paid');
    }
    return publicSession(s);
  }

  /** The payer left; the session ends unpaid (`checkout.session.expired`). */
  expire(id: string): Obj {
    const s = this.session(id);
    if (s.status !== 'open') throw bad('Only Checkout Sessions with a status of `open` can be expired.');
    s.status = 'expired';
    this.hooks.emit('checkout.session.expired', publicSession(s));
    return publicSession(s);
  }

  /** POST /v1/refunds: full or partial, of a payment intent or charge; `charge.refunded` carries the total. */
  refund(p: FormObject): Obj {
    const chId =
      str(p.charge) ??
      (str(p.payment_intent)
        ? (this.intents.get(str(p.payment_intent) as string)?.latest_charge as string | undefined)
        : undefined);
    const charge = chId ? this.charges.get(chId) : undefined;
    if (!charge) throw bad('No such charge or payment_intent', str(p.charge) ? 'charge' : 'payment_intent');
    const left = (charge.amount as number) - (charge.amount_refunded as number);
    const amount = str(p.amount) === undefined ? left : Number(str(p.amount));
    if (!Number.isInteger(amount) || amount <= 0) throw bad('Invalid positive integer', 'amount');
    if (amount > left) {
      throw bad(
        `Refund amount ($${amount / 100}) is greater than unrefunded amount on charge ($${left / 100})`,
        'amount',
      );
    }
    const id = newId('re');
    const refund = {
      id,
      object: 'refund',
      amount,
      charge: charge.id,
      payment_intent: charge.payment_intent,
      currency: charge.currency,
      status: 'succeeded',
      created: now(),
      metadata: checkMetadata(obj(p.metadata), 'metadata'),
    };
    this.refunds.set(id, refund);
    charge.amount_refunded = (charge.amount_refunded as number) + amount;
    charge.refunded = charge.amount_refunded === charge.amount;
    this.hooks.emit('refund.created', refund);
    this.hooks.emit('charge.refunded', charge);
    return refund;
  }

  /** A chargeback on a payment intent's charge (`charge.dispute.created`, later `.closed`). */
  dispute(paymentIntent: string, closeAs?: 'won' | 'lost'): Obj {
    const chId = this.intents.get(paymentIntent)?.latest_charge as string | undefined;
    const charge = chId ? this.charges.get(chId) : undefined;
    if (!charge) throw bad(`No such payment_intent: '${paymentIntent}'`);
    const dispute: Obj = {
      id: newId('dp'),
      object: 'dispute',
      amount: charge.amount,
      currency: charge.currency,
      charge: charge.id,
      payment_intent: paymentIntent,
      status: 'needs_response',
      reason: 'fraudulent',
      created: now(),
    };
    charge.disputed = true;
    this.hooks.emit('charge.dispute.created', dispute);
    if (closeAs) this.hooks.emit('charge.dispute.closed', { ...dispute, status: closeAs });
    return dispute;
  }

  /** A renewal: paid (`invoice.paid`, status active) or not (`invoice.payment_failed`, past_due → unpaid). */
  renew(subId: string, paid: boolean): Obj {
    const sub = this.#sub(subId);
    if (paid) {
      const end = ((sub.items as { data: Obj[] }).data[0] as Obj).current_period_end as number;
      setPeriod(sub, end, sub._interval_months as number);
      sub.status = 'active';
      this.#invoice(sub, 'invoice.paid');
    } else {
      sub.status = sub.status === 'past_due' ? 'unpaid' : 'past_due';
      this.#invoice(sub, 'invoice.payment_failed');
    }
    this.hooks.emit('customer.subscription.updated', publicSub(sub));
    return publicSub(sub);
  }

  /** Cancelled (from the customer portal, or for unpaid invoices): `customer.subscription.deleted`. */
  cancel(subId: string): Obj {
    const sub = this.#sub(subId);
    sub.status = 'canceled';
    sub.canceled_at = now();
    this.hooks.emit('customer.subscription.deleted', publicSub(sub));
    return publicSub(sub);
  }

  /** POST /v1/billing_portal/sessions (§1.7). */
  portalSession(p: FormObject): Obj {
    const customer = str(p.customer);
    if (!customer) throw bad('Missing required param: customer.', 'customer');
    if (!this.customers.has(customer)) throw bad(`No such customer: '${customer}'`, 'customer');
    const id = newId('bps');
    return {
      id,
      object: 'billing_portal.session',
      customer,
      return_url: str(p.return_url) ?? null,
      url: `${this.base()}/portal/${id}`,
      created: now(),
      livemode: false,
    };
  }

  #customer(email: string | null): string {
    const id = newId('cus');
    this.customers.set(id, { id, object: 'customer', email });
    return id;
  }

  #charge(id: string, pi: string, s: Obj): Obj {
    const charge: Obj = {
      id,
      object: 'charge',
      amount: s.amount_total,
      amount_refunded: 0,
      refunded: false,
      disputed: false,
      currency: s.currency,
      payment_intent: pi,
      paid: true,
      status: 'succeeded',
      receipt_url: `${this.base()}/receipts/${id}`,
      metadata: s._intent_metadata,
      created: now(),
    };
    this.charges.set(id, charge);
    return charge;
  }

  #subscription(s: Obj): Obj {
    const months = intervalMonths(s._recurring as Obj | null);
    const id = newId('sub');
    const sub: Obj = {
      id,
      object: 'subscription',
      customer: s.customer,
      status: 'active',
      metadata: s._sub_metadata,
      cancel_at_period_end: false,
      created: now(),
      currency: s.currency,
      _amount: s.amount_total,
      _interval_months: months,
      items: { object: 'list', data: [{ id: newId('si'), object: 'subscription_item' }] },
    };
    setPeriod(sub, now(), months);
    this.subscriptions.set(id, sub);
    return publicSub(sub);
  }

  #sub(id: string): Obj {
    const sub = this.subscriptions.get(id);
    if (!sub) throw bad(`No such subscription: '${id}'`);
    return sub;
  }

  /** An invoice of the subscription; in this API version its subscription is under `parent` (§1.1). */
  #invoice(sub: Obj, type: 'invoice.paid' | 'invoice.payment_failed'): void {
    const item = (sub.items as { data: Obj[] }).data[0] as Obj;
    const invoice = {
      id: newId('in'),
      object: 'invoice',
      customer: sub.customer,
      status: type === 'invoice.paid' ? 'paid' : 'open',
      amount_due: sub._amount,
      amount_paid: type === 'invoice.paid' ? sub._amount : 0,
      currency: sub.currency,
      hosted_invoice_url: `${this.base()}/invoices/${String(sub.id)}`,
      period_start: item.current_period_start,
      period_end: item.current_period_end,
      parent: {
        type: 'subscription_details',
        subscription_details: { subscription: sub.id, metadata: sub.metadata },
      },
      created: now(),
    };
    this.hooks.emit(type, invoice);
  }
}

function intervalMonths(r: Obj | null): number {
  const interval = r?.interval === 'year' ? 12 : 1;
  return interval * Number(r?.interval_count ?? 1);
}

function setPeriod(sub: Obj, start: number, months: number): void {
  const d = new Date(start * 1000);
  d.setUTCMonth(d.getUTCMonth() + months);
  const item = (sub.items as { data: Obj[] }).data[0] as Obj;
  item.current_period_start = start;
  item.current_period_end = Math.floor(d.getTime() / 1000);
}

/** §1.2: ≤ 50 keys, key ≤ 40 characters without brackets, value ≤ 500 characters, strings only. */
function checkMetadata(m: FormObject | undefined, param: string): Record<string, string> {
  const out: Record<string, string> = {};
  const entries = Object.entries(m ?? {});
  if (entries.length > 50) throw bad('Metadata can have at most 50 keys.', param);
  for (const [k, v] of entries) {
    if (k.length > 40) throw bad(`Metadata key ${k} exceeds the 40 character limit.`, param);
    if (typeof v !== 'string' || v.length > 500) {
      throw bad(`Metadata value for ${k} is invalid (a string of at most 500 characters).`, param);
    }
    out[k] = v;
  }
  return out;
}

const hide = (o: Obj): Obj => Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('_')));
export const publicSession = hide;
export const publicSub = hide;
