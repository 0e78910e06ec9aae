import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

/** Billing (0010): the offer, orders, payments and the prepaid ledger (docs/billing.md). */
export type Currency = string;

export interface BillingPacksTable {
  id: Generated<number>;
  name: string;
  messages: number;
  price_minor: number;
  currency: Currency;
  validity_days: number;
  active: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface BillingSubscriptionPricesTable {
  currency: Currency;
  months: 1 | 3 | 6 | 12;
  price_minor: number;
  updated_at: UpdatedAt;
}

export type OrderStatus =
  'pending' | 'paid' | 'failed' | 'cancelled' | 'expired' | 'refunded' | 'partially_refunded' | 'disputed';
export type PaymentProvider = 'stripe' | 'paypal' | 'operator';

export interface BillingOrdersTable {
  id: Generated<number>;
  portal_id: number;
  kind: 'pack' | 'subscription';
  pack_id: number | null;
  units: number | null;
  validity_days: number | null;
  channel_id: string | null;
  months: number | null;
  amount_minor: number;
  currency: Currency;
  provider: PaymentProvider;
  provider_order_id: string | null;
  status: Generated<OrderStatus>;
  created_by: number | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  paid_at: Timestamp | null;
  /** 0014: checkout (the provider's page, the caller's key, the return page). */
  checkout_url: string | null;
  client_key: string | null;
  return_token: string | null;
  return_path: string | null;
  provider_customer_id: string | null;
  provider_subscription_id: string | null;
  description: string | null;
  /** The provider's `created` of the latest subscription event applied (0021). */
  subscription_event_at: Date | null;
}

export interface BillingPaymentsTable {
  id: Generated<number>;
  order_id: number;
  portal_id: number;
  provider: PaymentProvider;
  provider_payment_id: string;
  amount_minor: number;
  refunded_minor: Generated<number>;
  currency: Currency;
  status: 'pending' | 'succeeded' | 'failed' | 'refunded' | 'partially_refunded' | 'disputed';
  receipt_url: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** Written only by the billing_* SQL functions (the app role may read it). */
export interface BillingProviderEventsTable {
  id: Generated<number>;
  provider: string;
  event_id: string;
  event_type: string | null;
  portal_id: number | null;
  order_id: number | null;
  received_at: CreatedAt;
  applied_at: Timestamp | null;
}

/** Written only by the billing_* SQL functions. */
export interface BillingBalancesTable {
  portal_id: number;
  available: number;
  reserved: number;
  debt: number;
  updated_at: Date;
  /** A copy of billing_settings.low_balance_threshold, for the balance trigger's WHEN (0021). */
  low_balance_threshold: number | null;
}

/** Written only by the billing_* SQL functions. */
export interface BillingLotsTable {
  id: Generated<number>;
  portal_id: number;
  units: number;
  remaining: number;
  expired_units: number;
  refunded_units: number;
  expires_at: Date;
  order_id: number | null;
  event_id: number | null;
  created_at: CreatedAt;
}

export type ReservationState = 'reserved' | 'settled' | 'released';
/** Which lots a reservation's units came from. */
export interface LotAllocation {
  lot: number;
  units: number;
}

/** Written only by the billing_* SQL functions. */
export interface BillingReservationsTable {
  id: Generated<number>;
  portal_id: number;
  message_ref: string;
  channel_id: string | null;
  units: number;
  state: ReservationState;
  allocations: ColumnType<LotAllocation[], never, never>;
  created_at: CreatedAt;
  resolved_at: Date | null;
}

export type LedgerKind = 'credit' | 'reserve' | 'settle' | 'release' | 'refund' | 'expiry';

/** Append-only, written only by the billing_* SQL functions. */
export interface BillingLedgerTable {
  id: Generated<number>;
  portal_id: number;
  kind: LedgerKind;
  units: number;
  delta_available: number;
  delta_reserved: number;
  delta_debt: number;
  lot_id: number | null;
  reservation_id: number | null;
  order_id: number | null;
  event_id: number | null;
  channel_id: string | null;
  note: string | null;
  created_at: CreatedAt;
}

/** 0013: a portal's billing settings (the low-balance threshold and its warning's state). */
export interface BillingSettingsTable {
  portal_id: number;
  low_balance_threshold: number | null;
  low_balance_warned: Generated<boolean>;
  updated_by_user_id: number | null;
  updated_at: UpdatedAt;
}

/** Webhook deliveries, stored before they are answered (0014). */
export interface PaymentWebhooksTable {
  id: Generated<number>;
  provider: 'stripe' | 'paypal';
  event_id: string;
  event_type: string;
  body_sha256: string;
  body: string;
  headers: ColumnType<Record<string, string>, string, string>;
  state: Generated<'received' | 'applied' | 'ignored' | 'rejected'>;
  note: string | null;
  received_at: CreatedAt;
  done_at: Timestamp | null;
}

/** Each refund a provider reported on its own (PayPal), summed into the payment's total. */
export interface BillingPaymentRefundsTable {
  provider: 'stripe' | 'paypal';
  refund_id: string;
  payment_id: number;
  amount_minor: number;
  created_at: CreatedAt;
}
