import { sql, type Kysely, type Transaction } from 'kysely';
import { enqueueJob } from '../../jobs/jobs.repository.js';
import type { DB } from '../../shared/db/schema.js';
import type { OrderStatus } from '../../shared/db/billing-schema.js';
import type { PaymentProviderName } from './payment-ports.js';
import { PaymentWebhooksRepository } from './payment-webhooks.repository.js';
import { SubscriptionChannelsRepository } from './subscription-channels.repository.js';

type Executor = Kysely<DB> | Transaction<DB>;

export { WEBHOOK_TOPIC } from './payment-webhooks.repository.js';
export const CAPTURE_TOPIC = 'payments.capture';

const ORDER_COLUMNS = [
  'id',
  'portal_id',
  'kind',
  'pack_id',
  'units',
  'validity_days',
  'channel_id',
  'months',
  'amount_minor',
  'currency',
  'provider',
  'provider_order_id',
  'status',
  'created_at',
  'paid_at',
  'checkout_url',
  'client_key',
  'return_path',
  'provider_customer_id',
  'provider_subscription_id',
  'description',
] as const;

/**
 * The SQL of payments: orders as checkout makes them, webhook deliveries stored before they are
 * answered, payments and refunds, the ledger functions an event applies (billing_credit,
 * billing_refund, billing_claim_event: each applies a provider event once), and the channel a
 * subscription pays for.
 */
export class PaymentsRepository {
  constructor(readonly db: Executor) {}

  /** The subscription's channel: paid until, interrupted, resumed (subscription-channels.repository.ts). */
  get channels(): SubscriptionChannelsRepository {
    return new SubscriptionChannelsRepository(this.db);
  }

  /** Provider deliveries, stored before they are answered (payment-webhooks.repository.ts). */
  get webhooks(): PaymentWebhooksRepository {
    return new PaymentWebhooksRepository(this.db);
  }

  transaction<T>(fn: (tx: PaymentsRepository) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(new PaymentsRepository(trx)));
  }

  // ------------------------------------------------------------------ orders

  order(id: number) {
    return this.db.selectFrom('billing_orders').select(ORDER_COLUMNS).where('id', '=', id).executeTakeFirst();
  }

  /** The order, locked for the rest of the transaction. */
  lockOrder(id: number) {
    return this.db
      .selectFrom('billing_orders')
      .select(ORDER_COLUMNS)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
  }

  orderByClientKey(portalId: number, key: string) {
    return this.db
      .selectFrom('billing_orders')
      .select(ORDER_COLUMNS)
      .where('portal_id', '=', portalId)
      .where('client_key', '=', key)
      .executeTakeFirst();
  }

  orderBySubscription(provider: PaymentProviderName, subscriptionId: string) {
    return this.db
      .selectFrom('billing_orders')
      .select(ORDER_COLUMNS)
      .where('provider', '=', provider)
      .where('provider_subscription_id', '=', subscriptionId)
      .orderBy('id')
      .executeTakeFirst();
  }

  orderByProviderOrder(provider: PaymentProviderName, providerOrderId: string) {
    return this.db
      .selectFrom('billing_orders')
      .select(ORDER_COLUMNS)
      .where('provider', '=', provider)
      .where('provider_order_id', '=', providerOrderId)
      .executeTakeFirst();
  }

  async returnToken(id: number): Promise<string | null> {
    const r = await this.db
      .selectFrom('billing_orders')
      .select('return_token')
      .where('id', '=', id)
      .executeTakeFirst();
    return r?.return_token ?? null;
  }

  /** The status the return page polls: only with the order's own token. */
  async orderForReturn(id: number, token: string) {
    return this.db
      .selectFrom('billing_orders as o')
      .innerJoin('portals as p', 'p.id', 'o.portal_id')
      .select([
        'o.id',
        'o.status',
        'o.kind',
        'o.provider',
        'o.provider_order_id',
        'o.return_path',
        'o.portal_id',
        'p.domain',
        'p.lang',
      ])
      .where('o.id', '=', id)
      .where('o.return_token', '=', token)
      .executeTakeFirst();
  }

  /** A pending order; `client_key` repeats answer the existing one (null: another request won). */
  async createOrder(o: {
    portal_id: number;
    kind: 'pack' | 'subscription';
    pack_id?: number | null;
    units?: number | null;
    validity_days?: number | null;
    channel_id?: string | null;
    months?: number | null;
    amount_minor: number;
    currency: string;
    provider: PaymentProviderName;
    created_by: number | null;
    client_key: string | null;
    return_token: string;
    return_path: string | null;
    description: string;
  }) {
    return this.db
      .insertInto('billing_orders')
      .values(o)
      .onConflict((oc) =>
        oc.columns(['portal_id', 'client_key']).where('client_key', 'is not', null).doNothing(),
      )
      .returning(ORDER_COLUMNS)
      .executeTakeFirst();
  }

  async setCheckout(id: number, p: { providerOrderId: string; url: string; customerId?: string | null }) {
    await this.db
      .updateTable('billing_orders')
      .set({
        provider_order_id: p.providerOrderId,
        checkout_url: p.url,
        ...(p.customerId ? { provider_customer_id: p.customerId } : {}),
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }

  /** Moves an order's status; `from` limits which statuses it may leave. */
  async setStatus(id: number, status: OrderStatus, from: OrderStatus[], extra: { paid?: boolean } = {}) {
    const r = await this.db
      .updateTable('billing_orders')
      .set({
        status,
        updated_at: sql`now()`,
        ...(extra.paid ? { paid_at: sql`coalesce(paid_at, now())` } : {}),
      })
      .where('id', '=', id)
      .where('status', 'in', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async setSubscription(id: number, subscriptionId: string | null, customerId: string | null) {
    await this.db
      .updateTable('billing_orders')
      .set({
        ...(subscriptionId ? { provider_subscription_id: subscriptionId } : {}),
        ...(customerId ? { provider_customer_id: customerId } : {}),
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }

  /** GET /api/v1/orders: newest first, with the receipt of the order's payment. */
  listOrders(portalId: number, limit: number) {
    return this.db
      .selectFrom('billing_orders as o')
      .leftJoin('billing_payments as p', (j) => j.onRef('p.order_id', '=', 'o.id'))
      .select([
        'o.id',
        'o.kind',
        'o.description',
        'o.provider',
        'o.status',
        'o.amount_minor',
        'o.currency',
        'o.units',
        'o.months',
        'o.created_at',
        'o.paid_at',
        'p.receipt_url',
      ])
      .where('o.portal_id', '=', portalId)
      .where('o.provider', '<>', 'operator')
      .orderBy('o.id', 'desc')
      .limit(limit)
      .execute();
  }

  /** The portal's newest subscription order of a channel with a provider customer (portal link). */
  subscriptionCustomer(portalId: number, channelId: string | null) {
    return this.db
      .selectFrom('billing_orders')
      .select(['provider_customer_id'])
      .where('portal_id', '=', portalId)
      .where('kind', '=', 'subscription')
      .where('provider_customer_id', 'is not', null)
      .$if(channelId !== null, (q) => q.where('channel_id', '=', channelId))
      .orderBy('id', 'desc')
      .executeTakeFirst();
  }

  channelOf(portalId: number, channelId: string) {
    return this.db
      .selectFrom('channels')
      .select(['id', 'name', 'status'])
      .where('portal_id', '=', portalId)
      .where('id', '=', channelId)
      .where('status', '<>', 'deleted')
      .executeTakeFirst();
  }

  portalLang(portalId: number) {
    return this.db
      .selectFrom('portals')
      .select(['lang', 'domain'])
      .where('id', '=', portalId)
      .executeTakeFirst();
  }

  // ------------------------------------------------------------------ webhook deliveries

  /** A capture of a PayPal order, once per cause (the payer's return, an approval event). */
  async queueCapture(portalId: number, orderId: number, cause: string) {
    await enqueueJob(this.db, {
      topic: CAPTURE_TOPIC,
      portalId,
      payload: { orderId },
      dedupeKey: `${CAPTURE_TOPIC}:${orderId}:${cause.slice(0, 120)}`,
    });
  }

  // ------------------------------------------------------------------ the ledger's functions

  /** billing_claim_event: true for the one call that applies this event. */
  async claimEvent(
    provider: PaymentProviderName,
    eventId: string,
    type: string,
    portalId: number | null,
    orderId: number | null,
  ) {
    const r = await sql<{ claimed: boolean }>`SELECT billing_claim_event(${provider}::text, ${eventId}::text,
      ${type}::text, ${portalId}::bigint, ${orderId}::bigint) AS claimed`.execute(this.db);
    return r.rows[0]?.claimed === true;
  }

  // ------------------------------------------------------------------ payments and refunds

  async upsertPayment(p: {
    orderId: number;
    portalId: number;
    provider: PaymentProviderName;
    paymentId: string;
    amountMinor: number;
    currency: string;
    receiptUrl?: string | null;
  }) {
    await this.db
      .insertInto('billing_payments')
      .values({
        order_id: p.orderId,
        portal_id: p.portalId,
        provider: p.provider,
        provider_payment_id: p.paymentId,
        amount_minor: p.amountMinor,
        currency: p.currency,
        status: 'succeeded',
        receipt_url: p.receiptUrl ?? null,
      })
      .onConflict((oc) =>
        oc.columns(['provider', 'provider_payment_id']).doUpdateSet({
          receipt_url: sql`coalesce(excluded.receipt_url, billing_payments.receipt_url)`,
        }),
      )
      .execute();
  }

  /** The payment and its order, locked (refunds of one payment apply one at a time). */
  payment(provider: PaymentProviderName, paymentId: string) {
    return this.db
      .selectFrom('billing_payments')
      .select(['id', 'order_id', 'portal_id', 'amount_minor', 'refunded_minor', 'status'])
      .where('provider', '=', provider)
      .where('provider_payment_id', '=', paymentId)
      .forUpdate()
      .executeTakeFirst();
  }

  async setReceipt(provider: PaymentProviderName, paymentId: string, url: string) {
    await this.db
      .updateTable('billing_payments')
      .set({ receipt_url: url, updated_at: sql`now()` })
      .where('provider', '=', provider)
      .where('provider_payment_id', '=', paymentId)
      .execute();
  }

  /** One refund among others (PayPal); the sum of them all. */
  async addRefund(provider: PaymentProviderName, refundId: string, paymentId: number, amountMinor: number) {
    await this.db
      .insertInto('billing_payment_refunds')
      .values({ provider, refund_id: refundId, payment_id: paymentId, amount_minor: amountMinor })
      .onConflict((oc) => oc.columns(['provider', 'refund_id']).doNothing())
      .execute();
    const r = await this.db
      .selectFrom('billing_payment_refunds')
      .select((eb) => eb.fn.sum<string>('amount_minor').as('total'))
      .where('payment_id', '=', paymentId)
      .executeTakeFirst();
    return Number(r?.total ?? 0);
  }

  async setRefunded(
    paymentId: number,
    totalMinor: number,
    status: 'refunded' | 'partially_refunded' | 'disputed',
  ) {
    await this.db
      .updateTable('billing_payments')
      .set({
        refunded_minor: sql`least(amount_minor, greatest(refunded_minor, ${totalMinor}))`,
        status,
        updated_at: sql`now()`,
      })
      .where('id', '=', paymentId)
      .execute();
  }
}
