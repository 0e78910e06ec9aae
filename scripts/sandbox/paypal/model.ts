import { createSign, generateKeyPairSync, randomBytes, createVerify, type KeyObject } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * Sandbox PayPal's state and rules (reference §2): orders (CREATED / PAYER_ACTION_REQUIRED →
 * APPROVED → COMPLETED), captures (COMPLETED, refunds, reversals), webhook events signed as PayPal
 * signs them (§2.6 offline form: RSA-SHA256 over `<transmission_id>|<time>|<webhook_id>|<crc32 of the
 * body>`, with the certificate served at PAYPAL-CERT-URL) and checked again by
 * verify-webhook-signature.
 */
export class PayPalError extends Error {
  constructor(
    readonly status: number,
    readonly name_: string,
    readonly issue: string,
    message: string,
  ) {
    super(message);
  }
  body() {
    return {
      name: this.name_,
      message: this.message,
      details: [{ issue: this.issue, description: this.message }],
      debug_id: randomBytes(6).toString('hex'),
    };
  }
}

type Obj = Record<string, unknown>;
const id = (n = 17) => randomBytes(n).toString('hex').toUpperCase().slice(0, n);

export interface Transmission {
  id: string;
  time: string;
  sig: string;
  webhookId: string;
  crc: number;
}

export class PayPalModel {
  readonly orders = new Map<string, Obj>();
  readonly captures = new Map<string, Obj & { _order: string; _refunded: number }>();
  readonly transmissions = new Map<string, Transmission>();
  readonly keys: { privateKey: KeyObject; publicKey: KeyObject };
  readonly certPem: string;

  constructor(
    readonly base: () => string,
    readonly emit: (type: string, resource: Obj) => void,
  ) {
    this.keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    // Sandbox choice: the "certificate" is the public key in PEM (no CA chain is needed to check it).
    this.certPem = this.keys.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  }

  /** POST /v2/checkout/orders (§2.2). */
  createOrder(b: Obj): Obj {
    if (b.intent !== 'CAPTURE' && b.intent !== 'AUTHORIZE') {
      throw new PayPalError(
        400,
        'INVALID_REQUEST',
        'INVALID_PARAMETER_VALUE',
        'intent must be CAPTURE or AUTHORIZE',
      );
    }
    const units = Array.isArray(b.purchase_units) ? (b.purchase_units as Obj[]) : [];
    if (units.length < 1 || units.length > 10) {
      throw new PayPalError(400, 'INVALID_REQUEST', 'MISSING_REQUIRED_PARAMETER', 'purchase_units: 1 to 10');
    }
    for (const u of units) {
      const a = u.amount as Obj | undefined;
      if (
        !a ||
        typeof a.currency_code !== 'string' ||
        typeof a.value !== 'string' ||
        !/^\d+(\.\d{1,2})?$/.test(a.value)
      ) {
        throw new PayPalError(
          422,
          'UNPROCESSABLE_ENTITY',
          'INVALID_PARAMETER_VALUE',
          'purchase_units[].amount',
        );
      }
      if (a.currency_code === 'ARS') {
        throw new PayPalError(422, 'UNPROCESSABLE_ENTITY', 'CURRENCY_NOT_SUPPORTED', 'ARS is not supported');
      }
      if (typeof u.custom_id === 'string' && u.custom_id.length > 127) {
        throw new PayPalError(400, 'INVALID_REQUEST', 'INVALID_STRING_MAX_LENGTH', 'custom_id');
      }
    }
    const ctx = ((b.payment_source as Obj | undefined)?.paypal as Obj | undefined)?.experience_context as
      Obj | undefined;
    const legacy = b.application_context as Obj | undefined;
    const oid = id();
    const approve = `${this.base()}/checkoutnow?token=${oid}`;
    const order: Obj = {
      id: oid,
      intent: b.intent,
      status: ctx ? 'PAYER_ACTION_REQUIRED' : 'CREATED',
      purchase_units: units.map((u) => ({ ...u })),
      create_time: new Date().toISOString(),
      links: [
        { href: `${this.base()}/v2/checkout/orders/${oid}`, rel: 'self', method: 'GET' },
        { href: approve, rel: ctx ? 'payer-action' : 'approve', method: 'GET' },
        { href: `${this.base()}/v2/checkout/orders/${oid}/capture`, rel: 'capture', method: 'POST' },
      ],
      _return: ctx?.return_url ?? legacy?.return_url ?? null,
      _cancel: ctx?.cancel_url ?? legacy?.cancel_url ?? null,
    };
    this.orders.set(oid, order);
    return publicOrder(order);
  }

  order(oid: string): Obj {
    const o = this.orders.get(oid);
    if (!o) {
      throw new PayPalError(
        404,
        'RESOURCE_NOT_FOUND',
        'INVALID_RESOURCE_ID',
        'Specified resource ID does not exist.',
      );
    }
    return o;
  }

  /** The payer approved on PayPal's page: the order is APPROVED, CHECKOUT.ORDER.APPROVED is sent. */
  approve(oid: string): string | null {
    const o = this.order(oid);
    if (o.status === 'CREATED' || o.status === 'PAYER_ACTION_REQUIRED') {
      o.status = 'APPROVED';
      this.emit('CHECKOUT.ORDER.APPROVED', publicOrder(o));
    }
    const r = o._return as string | null;
    return r ? `${r}${r.includes('?') ? '&' : '?'}token=${oid}&PayerID=${id(13)}` : null;
  }

  /** POST /v2/checkout/orders/{id}/capture (§2.4). */
  capture(oid: string): Obj {
    const o = this.order(oid);
    if (o.status === 'COMPLETED') {
      throw new PayPalError(422, 'UNPROCESSABLE_ENTITY', 'ORDER_ALREADY_CAPTURED', 'Order already captured.');
    }
    if (o.status !== 'APPROVED') {
      throw new PayPalError(
        422,
        'UNPROCESSABLE_ENTITY',
        'ORDER_NOT_APPROVED',
        'Payer has not yet approved the Order for payment.',
      );
    }
    o.status = 'COMPLETED';
    const u = (o.purchase_units as Obj[])[0] as Obj;
    const cid = id();
    const capture = {
      id: cid,
      status: 'COMPLETED',
      amount: u.amount,
      final_capture: true,
      custom_id: u.custom_id,
      invoice_id: u.invoice_id,
      supplementary_data: { related_ids: { order_id: oid } },
      create_time: new Date().toISOString(),
      links: [
        { href: `${this.base()}/v2/payments/captures/${cid}`, rel: 'self', method: 'GET' },
        { href: `${this.base()}/v2/payments/captures/${cid}/refund`, rel: 'refund', method: 'POST' },
        { href: `${this.base()}/v2/checkout/orders/${oid}`, rel: 'up', method: 'GET' },
      ],
    };
    this.captures.set(cid, { ...capture, _order: oid, _refunded: 0 });
    u.payments = { captures: [capture] };
    this.emit('PAYMENT.CAPTURE.COMPLETED', capture);
    return publicOrder(o);
  }

  /** POST /v2/payments/captures/{id}/refund: empty body = the rest (§2.4). */
  refund(cid: string, b: Obj): Obj {
    const c = this.captures.get(cid);
    if (!c) {
      throw new PayPalError(
        404,
        'RESOURCE_NOT_FOUND',
        'INVALID_RESOURCE_ID',
        'Specified resource ID does not exist.',
      );
    }
    const amount = c.amount as { currency_code: string; value: string };
    const total = Math.round(Number(amount.value) * 100);
    const left = total - c._refunded;
    const ask = b.amount ? Math.round(Number((b.amount as Obj).value) * 100) : left;
    if (!(ask > 0) || ask > left) {
      throw new PayPalError(
        422,
        'UNPROCESSABLE_ENTITY',
        'REFUND_AMOUNT_EXCEEDED',
        'The refund amount must be less than or equal to the capture amount that has not yet been refunded.',
      );
    }
    c._refunded += ask;
    c.status = c._refunded === total ? 'REFUNDED' : 'PARTIALLY_REFUNDED';
    const rid = id();
    const refund = {
      id: rid,
      status: 'COMPLETED',
      amount: { currency_code: amount.currency_code, value: (ask / 100).toFixed(2) },
      custom_id: c.custom_id,
      invoice_id: c.invoice_id,
      create_time: new Date().toISOString(),
      links: [
        { href: `${this.base()}/v2/payments/refunds/${rid}`, rel: 'self', method: 'GET' },
        { href: `${this.base()}/v2/payments/captures/${cid}`, rel: 'up', method: 'GET' },
      ],
    };
    this.emit('PAYMENT.CAPTURE.REFUNDED', refund);
    return refund;
  }

  /** A chargeback: PAYMENT.CAPTURE.REVERSED (sandbox choice: a refund-like resource linking up to the capture). */
  reverse(cid: string): void {
    const c = this.captures.get(cid);
    if (!c) throw new Error(`no capture ${cid}`);
    c.status = 'REVERSED';
    this.emit('PAYMENT.CAPTURE.REVERSED', {
      id: id(),
      status: 'COMPLETED',
      amount: c.amount,
      custom_id: c.custom_id,
      links: [{ href: `${this.base()}/v2/payments/captures/${cid}`, rel: 'up', method: 'GET' }],
    });
  }

  /** Signs a delivery: the headers PayPal sends with it (§2.6). */
  sign(body: string, webhookId: string): Record<string, string> {
    const t: Transmission = {
      id: randomBytes(16).toString('hex'),
      time: new Date().toISOString(),
      sig: '',
      webhookId,
      crc: crc32(body),
    };
    const signer = createSign('RSA-SHA256');
    signer.update(`${t.id}|${t.time}|${webhookId}|${t.crc}`);
    t.sig = signer.sign(this.keys.privateKey, 'base64');
    this.transmissions.set(t.id, t);
    return {
      'paypal-transmission-id': t.id,
      'paypal-transmission-time': t.time,
      'paypal-transmission-sig': t.sig,
      'paypal-cert-url': `${this.base()}/v1/notifications/certs/CERT-sandbox`,
      'paypal-auth-algo': 'SHA256withRSA',
    };
  }

  /**
   * POST /v1/notifications/verify-webhook-signature: the signature must check out against the
   * event as it is sent here (re-serialised by us the way we serialised it for delivery) and the
   * webhook id must be the subscription's.
   */
  verify(b: Obj, webhookId: string): 'SUCCESS' | 'FAILURE' {
    const need = [
      'auth_algo',
      'cert_url',
      'transmission_id',
      'transmission_sig',
      'transmission_time',
      'webhook_id',
    ];
    for (const k of need) {
      if (typeof b[k] !== 'string') {
        throw new PayPalError(400, 'VALIDATION_ERROR', 'MISSING_REQUIRED_PARAMETER', k);
      }
    }
    if (!b.webhook_event || typeof b.webhook_event !== 'object') {
      throw new PayPalError(400, 'VALIDATION_ERROR', 'MISSING_REQUIRED_PARAMETER', 'webhook_event');
    }
    if (b.webhook_id !== webhookId || b.auth_algo !== 'SHA256withRSA') return 'FAILURE';
    const crc = crc32(JSON.stringify(b.webhook_event));
    const v = createVerify('RSA-SHA256');
    v.update(`${String(b.transmission_id)}|${String(b.transmission_time)}|${webhookId}|${crc}`);
    try {
      return v.verify(this.keys.publicKey, String(b.transmission_sig), 'base64') ? 'SUCCESS' : 'FAILURE';
    } catch {
      return 'FAILURE';
    }
  }
}

export function publicOrder(o: Obj): Obj {
  return Object.fromEntries(Object.entries(o).filter(([k]) => !k.startsWith('_')));
}
