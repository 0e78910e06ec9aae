/**
 * What payments need from the providers (src/integrations/stripe, src/integrations/paypal), in the
 * module's own words: a checkout page to send the payer to, and what a provider's event means for an
 * order. Provider payload shapes never get past these types.
 */
export type PaymentProviderName = 'stripe' | 'paypal';

export interface CheckoutRequest {
  orderId: number;
  portalId: number;
  description: string;
  amountMinor: number;
  currency: string;
  successUrl: string;
  cancelUrl: string;
  locale: 'es' | 'en' | 'pt';
  /** Our key for this order's provider call (Stripe Idempotency-Key, PayPal-Request-Id). */
  idempotencyKey: string;
}

export interface CheckoutPage {
  providerOrderId: string;
  redirectUrl: string;
  customerId?: string | null;
}

export interface CardProvider {
  packCheckout(r: CheckoutRequest): Promise<CheckoutPage>;
  subscriptionCheckout(r: CheckoutRequest & { channelId: string; months: number }): Promise<CheckoutPage>;
  /** The provider's page where a customer changes cards or cancels (short-lived; one per click). */
  customerPortal(customerId: string, returnUrl: string, locale: 'es' | 'en' | 'pt'): Promise<string>;
}

export interface WalletProvider {
  createOrder(r: CheckoutRequest): Promise<CheckoutPage>;
  /** Captures an approved order: its capture when completed, null when the payer has not approved yet. */
  capture(providerOrderId: string, idempotencyKey: string): Promise<CaptureResult>;
  /** PayPal's verify-webhook-signature answer for a stored delivery. */
  verifyWebhook(headers: Record<string, string>, body: string): Promise<boolean>;
}

export type CaptureResult =
  | {
      state: 'completed';
      captureId: string;
      amountMinor: number;
      currency: string;
      receiptUrl: string | null;
    }
  | { state: 'pending'; captureId: string }
  | { state: 'declined'; reason: string }
  | { state: 'not_approved' };

/**
 * What an event of a provider means. `orderId` is ours (echoed by the provider from metadata,
 * custom_id); `paymentId` the provider's id of the money (payment intent, capture).
 */
export type PaymentEvent =
  | {
      kind: 'paid';
      orderId: number;
      paymentId: string | null;
      amountMinor: number;
      currency: string;
      customerId?: string | null;
      subscriptionId?: string | null;
      receiptUrl?: string | null;
    }
  | { kind: 'failed'; orderId: number; reason: string }
  | { kind: 'cancelled'; orderId: number }
  | { kind: 'receipt'; paymentId: string; receiptUrl: string }
  /** Cumulative (Stripe's `amount_refunded`) or one refund among others (PayPal: `refundId` + amount). */
  | {
      kind: 'refunded';
      paymentId: string;
      orderId?: number | null;
      totalRefundedMinor?: number;
      refund?: { id: string; amountMinor: number };
    }
  | { kind: 'disputed'; paymentId: string; orderId?: number | null }
  | { kind: 'dispute_closed'; paymentId: string; won: boolean }
  | { kind: 'approved'; providerOrderId: string; orderId?: number | null }
  | {
      kind: 'subscription_paid';
      subscriptionId: string;
      orderId?: number | null;
      periodEnd: Date;
      /** When the provider made the event (Stripe's `created`): events arrive in any order. */
      createdAt?: Date | null;
    }
  | { kind: 'subscription_unpaid'; subscriptionId: string; orderId?: number | null; createdAt?: Date | null }
  | {
      kind: 'subscription_cancelled';
      subscriptionId: string;
      orderId?: number | null;
      createdAt?: Date | null;
    }
  | { kind: 'ignored'; why: string };

/** A delivery as the webhook route stores it. */
export interface WebhookEnvelope {
  eventId: string;
  eventType: string;
}
