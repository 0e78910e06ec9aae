import { startSandboxPayPal, type SandboxPayPal } from './paypal/index.js';
import { startSandboxStripe, type SandboxStripe } from './stripe/index.js';

/** Both payment sandboxes, the app's environment for them, and their webhooks pointed at the app. */
export interface PaymentSandboxes {
  stripe: SandboxStripe;
  paypal: SandboxPayPal;
  env: Record<string, string>;
  setAppUrl(url: string): void;
  close(): Promise<void>;
}

export async function startPaymentSandboxes(): Promise<PaymentSandboxes> {
  const stripe = await startSandboxStripe();
  const paypal = await startSandboxPayPal();
  return {
    stripe,
    paypal,
    env: {
      STRIPE_SECRET_KEY: stripe.secretKey,
      STRIPE_WEBHOOK_SECRET: stripe.webhookSecret,
      STRIPE_API_URL: stripe.url,
      PAYPAL_CLIENT_ID: paypal.clientId,
      PAYPAL_CLIENT_SECRET: paypal.clientSecret,
      PAYPAL_API_URL: paypal.url,
      PAYPAL_WEBHOOK_ID: paypal.webhookId,
    },
    setAppUrl: (url) => {
      stripe.setWebhookUrl(`${url}/webhooks/stripe`);
      paypal.setWebhookUrl(`${url}/webhooks/paypal`);
    },
    close: async () => {
      await stripe.close();
      await paypal.close();
    },
  };
}
