-- Payments (issue 12 items 2, 3, 7): checkout with Stripe and PayPal, their webhooks, channel
-- subscriptions. The ledger (0010) is unchanged: a paid pack is credited with billing_credit, a
-- refund or dispute taken back with billing_refund, other events claimed with billing_claim_event.

-- What checkout adds to an order: the provider's page to send the payer to (a repeated checkout
-- answers the same one), the caller's own idempotency key, the unguessable token of the return page
-- (it may poll the order's status without a session), where that page links back to on the portal,
-- the provider's customer and subscription (subscriptions), and the words the order list shows.
ALTER TABLE billing_orders
  ADD COLUMN checkout_url             text,
  ADD COLUMN client_key               text CHECK (length(client_key) BETWEEN 1 AND 200),
  ADD COLUMN return_token             text,
  ADD COLUMN return_path              text CHECK (length(return_path) BETWEEN 1 AND 500),
  ADD COLUMN provider_customer_id     text,
  ADD COLUMN provider_subscription_id text,
  ADD COLUMN description              text;
CREATE UNIQUE INDEX billing_orders_client_key ON billing_orders (portal_id, client_key)
  WHERE client_key IS NOT NULL;
CREATE UNIQUE INDEX billing_orders_return_token ON billing_orders (return_token)
  WHERE return_token IS NOT NULL;
CREATE INDEX billing_orders_subscription ON billing_orders (provider, provider_subscription_id)
  WHERE provider_subscription_id IS NOT NULL;

-- Every webhook delivery we accepted, stored before it is answered (raw body and the headers a later
-- verification needs); a job verifies (PayPal) and applies it. A repeated delivery (same event id and
-- same body) is the same row. Keyed with the body's hash too: a forged body under a real event id
-- must not stop the real one from being stored (it fails verification, the real one applies).
CREATE TABLE payment_webhooks (
  id          bigserial PRIMARY KEY,
  provider    text NOT NULL CHECK (provider IN ('stripe', 'paypal')),
  event_id    text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 255),
  event_type  text NOT NULL CHECK (length(event_type) BETWEEN 1 AND 255),
  body_sha256 text NOT NULL,
  body        text NOT NULL,
  headers     jsonb NOT NULL DEFAULT '{}',
  state       text NOT NULL DEFAULT 'received' CHECK (state IN ('received', 'applied', 'ignored', 'rejected')),
  note        text,
  received_at timestamptz NOT NULL DEFAULT now(),
  done_at     timestamptz,
  UNIQUE (provider, event_id, body_sha256)
);

-- PayPal reports each refund on its own (not a running total): their sum is the total refunded.
CREATE TABLE billing_payment_refunds (
  provider     text NOT NULL CHECK (provider IN ('stripe', 'paypal')),
  refund_id    text NOT NULL CHECK (length(refund_id) BETWEEN 1 AND 255),
  payment_id   bigint NOT NULL REFERENCES billing_payments (id),
  amount_minor bigint NOT NULL CHECK (amount_minor >= 0),
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (provider, refund_id)
);
