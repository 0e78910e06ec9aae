import type { Config } from '../../config.js';
import { PayPalClient } from '../../integrations/paypal/paypal.client.js';
import { paypalEvent, readPayPalDelivery } from '../../integrations/paypal/paypal.events.js';
import { StripeCheckout } from '../../integrations/stripe/stripe.client.js';
import {
  SignatureError,
  stripeEvent,
  verifyStripeDelivery,
} from '../../integrations/stripe/stripe.events.js';
import type { JobHandler } from '../../jobs/worker.js';
import type { Database } from '../../shared/db/database.js';
import { ValidationError } from '../../shared/errors.js';
import type { HttpClient } from '../../shared/http/http-client.js';
import { CheckoutService } from './checkout.service.js';
import { OfferRepository } from './offer.repository.js';
import { PaymentEventsService } from './payment-events.service.js';
import type { PaymentProviderName } from './payment-ports.js';
import { CAPTURE_TOPIC, PaymentsRepository, WEBHOOK_TOPIC } from './payments.repository.js';
import type { WebhookReader } from './payments.routes.js';

export interface Payments {
  repo: PaymentsRepository;
  checkout: CheckoutService;
  events: PaymentEventsService;
  /** How each set-up provider's webhook deliveries are read (and, for Stripe, verified). */
  readers: Partial<Record<PaymentProviderName, WebhookReader>>;
  jobs: Record<string, JobHandler>;
}

/**
 * Payments' wiring (the composition root calls this): Stripe through its SDK and PayPal over our
 * HttpClient when their keys are set (config.payments), the checkout, the event service and its jobs,
 * the webhook readers. Secrets stay inside the SDK and the client; nothing here logs them.
 */
export function buildPayments(config: Config, db: Database, http: HttpClient, nudge: () => void): Payments {
  const repo = new PaymentsRepository(db);
  const s = config.payments.stripe;
  const p = config.payments.paypal;
  const stripe = s ? new StripeCheckout(s) : undefined;
  const paypal = p ? new PayPalClient(http, p) : undefined;
  const checkout = new CheckoutService({
    repo,
    offer: new OfferRepository(db),
    publicUrl: config.publicUrl,
    stripe,
    paypal,
  });
  const events = new PaymentEventsService({
    repo,
    parse: { stripe: stripeEvent, paypal: paypalEvent },
    paypal,
    nudge,
  });
  const readers: Payments['readers'] = {};
  const secret = s?.webhookSecret;
  if (secret) {
    readers.stripe = async (raw, headers) => {
      const h = headers['stripe-signature'];
      try {
        return { envelope: await verifyStripeDelivery(raw, Array.isArray(h) ? h[0] : h, secret), keep: {} };
      } catch (err) {
        if (err instanceof SignatureError) {
          throw new ValidationError(`Invalid Stripe signature: ${err.message}`);
        }
        throw err;
      }
    };
  }
  if (p?.webhookId) {
    readers.paypal = (raw, headers) => {
      try {
        return readPayPalDelivery(raw, headers);
      } catch (err) {
        throw new ValidationError(`Not a PayPal webhook: ${(err as Error).message}`);
      }
    };
  }
  return {
    repo,
    checkout,
    events,
    readers,
    jobs: { [WEBHOOK_TOPIC]: events.webhookJob(), [CAPTURE_TOPIC]: events.captureJob() },
  };
}
