-- Billing (issue 12, C8): the vendor's offer (message packs, per-channel subscription prices), orders
-- and their payments, and the prepaid ledger of message units. docs/billing.md has the ERD, every
-- function below with its inputs, outputs and errors, the refund policy and the reconciliation query.
--
-- The ledger's rules live here, as SQL functions, so every instance and any integrator goes through
-- the same code. The app's role (whatsappb24_app) reads the ledger tables and changes them only by
-- calling these functions (SECURITY DEFINER: they run with the rights of the migration's owner).
-- Lock order, everywhere: reservation row, then the portal's balance row, then its lots. Every change
-- to a portal's lots happens under its balance row's lock, so two calls never interleave on a portal.
-- Forward-only.

-- ── The offer ──────────────────────────────────────────────────────────────────────────────────────

-- A message pack the vendor sells: `messages` units, valid `validity_days` days after the purchase.
-- Prices are in minor units (cents) of `currency` (ISO 4217). Packs are never deleted, only made
-- inactive: orders point at them.
CREATE TABLE billing_packs (
  id            bigserial PRIMARY KEY,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
  messages      integer NOT NULL CHECK (messages BETWEEN 1 AND 100000000),
  price_minor   bigint NOT NULL CHECK (price_minor BETWEEN 1 AND 100000000000),
  currency      text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  validity_days integer NOT NULL CHECK (validity_days BETWEEN 1 AND 3650),
  active        boolean NOT NULL DEFAULT true,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- What one channel's subscription costs for 1, 3, 6 or 12 months, per currency.
CREATE TABLE billing_subscription_prices (
  currency    text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  months      integer NOT NULL CHECK (months IN (1, 3, 6, 12)),
  price_minor bigint NOT NULL CHECK (price_minor BETWEEN 1 AND 100000000000),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (currency, months)
);

-- ── Orders and payments (filled by the Stripe / PayPal work) ───────────────────────────────────────

-- One purchase: a pack (its units and validity copied when ordered, so a later change of the pack
-- does not change what was bought) or a channel's subscription for `months`.
CREATE TABLE billing_orders (
  id                bigserial PRIMARY KEY,
  portal_id         bigint NOT NULL REFERENCES portals (id),
  kind              text NOT NULL CHECK (kind IN ('pack', 'subscription')),
  pack_id           bigint REFERENCES billing_packs (id),
  units             integer CHECK (units > 0),
  validity_days     integer CHECK (validity_days > 0),
  channel_id        uuid REFERENCES channels (id),
  months            integer CHECK (months IN (1, 3, 6, 12)),
  amount_minor      bigint NOT NULL CHECK (amount_minor >= 0),
  currency          text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  provider          text NOT NULL CHECK (provider IN ('stripe', 'paypal', 'operator')),
  -- Checkout Session, PayPal order or Stripe subscription id, once the provider gave one.
  provider_order_id text,
  status            text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'paid', 'failed', 'cancelled', 'expired', 'refunded',
                                      'partially_refunded', 'disputed')),
  created_by        integer,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  paid_at           timestamptz,
  CHECK (kind <> 'pack' OR (units IS NOT NULL AND validity_days IS NOT NULL)),
  CHECK (kind <> 'subscription' OR (channel_id IS NOT NULL AND months IS NOT NULL))
);
CREATE UNIQUE INDEX billing_orders_provider_once ON billing_orders (provider, provider_order_id)
  WHERE provider_order_id IS NOT NULL;
CREATE INDEX billing_orders_portal ON billing_orders (portal_id, id);

-- Money that moved for an order (a captured PayPal payment, a Stripe payment intent or invoice), with
-- the provider's receipt. `refunded_minor` is cumulative, as the providers report it.
CREATE TABLE billing_payments (
  id                  bigserial PRIMARY KEY,
  order_id            bigint NOT NULL REFERENCES billing_orders (id),
  portal_id           bigint NOT NULL REFERENCES portals (id),
  provider            text NOT NULL CHECK (provider IN ('stripe', 'paypal', 'operator')),
  provider_payment_id text NOT NULL,
  amount_minor        bigint NOT NULL CHECK (amount_minor >= 0),
  refunded_minor      bigint NOT NULL DEFAULT 0 CHECK (refunded_minor BETWEEN 0 AND amount_minor),
  currency            text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  status              text NOT NULL
                      CHECK (status IN ('pending', 'succeeded', 'failed', 'refunded', 'partially_refunded',
                                        'disputed')),
  receipt_url         text,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (provider, provider_payment_id)
);
CREATE INDEX billing_payments_order ON billing_payments (order_id);

-- Every provider event (webhook) we acted on, once: `applied_at` is set by the one call that applied
-- it (billing_credit / billing_refund), whatever the number and order of deliveries.
CREATE TABLE billing_provider_events (
  id          bigserial PRIMARY KEY,
  provider    text NOT NULL CHECK (provider ~ '^[a-z][a-z0-9_]{0,31}$'),
  event_id    text NOT NULL CHECK (length(event_id) BETWEEN 1 AND 255),
  event_type  text,
  portal_id   bigint REFERENCES portals (id),
  order_id    bigint REFERENCES billing_orders (id),
  received_at timestamptz NOT NULL DEFAULT now(),
  applied_at  timestamptz,
  UNIQUE (provider, event_id)
);

-- ── The ledger ─────────────────────────────────────────────────────────────────────────────────────

-- One row per portal, for speed: always equal to the sums of its ledger entries (billing_reconcile).
-- `debt` is what a refund could not take back because it was already spent (docs/billing.md).
CREATE TABLE billing_balances (
  portal_id  bigint PRIMARY KEY REFERENCES portals (id),
  available  bigint NOT NULL DEFAULT 0 CHECK (available >= 0),
  reserved   bigint NOT NULL DEFAULT 0 CHECK (reserved >= 0),
  debt       bigint NOT NULL DEFAULT 0 CHECK (debt >= 0),
  updated_at timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 50); -- room on the page: every send updates the row in place (HOT)

-- A credited pack ("lot"): its units, what is left of them (neither reserved, spent, expired nor
-- taken back), and when it expires. Sends take units from the lot that expires first.
CREATE TABLE billing_lots (
  id             bigserial PRIMARY KEY,
  portal_id      bigint NOT NULL REFERENCES portals (id),
  units          integer NOT NULL CHECK (units > 0),
  remaining      integer NOT NULL CHECK (remaining BETWEEN 0 AND units),
  expired_units  integer NOT NULL DEFAULT 0 CHECK (expired_units BETWEEN 0 AND units),
  refunded_units integer NOT NULL DEFAULT 0 CHECK (refunded_units BETWEEN 0 AND units),
  expires_at     timestamptz NOT NULL,
  order_id       bigint UNIQUE REFERENCES billing_orders (id),
  event_id       bigint REFERENCES billing_provider_events (id),
  created_at     timestamptz NOT NULL DEFAULT now()
) WITH (fillfactor = 50);
-- No index on `remaining` (nor a predicate on it): a send's update of a lot stays in place (HOT).
CREATE INDEX billing_lots_portal ON billing_lots (portal_id, expires_at, id);
CREATE INDEX billing_lots_due ON billing_lots (expires_at);

-- One per outbound message (`message_ref`, unique per portal, so a retried reserve is a no-op):
-- units taken from the lots in `allocations` ([{"lot": id, "units": n}]) until settled (spent) or
-- released (given back).
-- The ledger's hot tables (reservations, entries) have no foreign keys on portal, channel, lot or
-- reservation: only the functions write them, from rows they have just read, and each key check
-- would lock the referenced row (a portal's row by every send at once).
CREATE TABLE billing_reservations (
  id          bigserial PRIMARY KEY,
  portal_id   bigint NOT NULL,
  message_ref text NOT NULL CHECK (length(message_ref) BETWEEN 1 AND 200),
  channel_id  uuid,
  units       integer NOT NULL CHECK (units > 0),
  state       text NOT NULL DEFAULT 'reserved' CHECK (state IN ('reserved', 'settled', 'released')),
  allocations jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  UNIQUE (portal_id, message_ref)
);
CREATE INDEX billing_reservations_open ON billing_reservations (created_at) WHERE state = 'reserved';

-- Append-only: every change of a balance is one row here, with its effect on `available`,
-- `reserved` and `debt`; a lot's entries sum to its `remaining`. A CHECK ties each kind to its effect.
CREATE TABLE billing_ledger (
  id              bigserial PRIMARY KEY,
  portal_id       bigint NOT NULL,
  kind            text NOT NULL CHECK (kind IN ('credit', 'reserve', 'settle', 'release', 'refund', 'expiry')),
  units           integer NOT NULL CHECK (units > 0),
  delta_available integer NOT NULL,
  delta_reserved  integer NOT NULL,
  delta_debt      integer NOT NULL DEFAULT 0,
  lot_id          bigint,
  reservation_id  bigint,
  order_id        bigint REFERENCES billing_orders (id),
  event_id        bigint REFERENCES billing_provider_events (id),
  channel_id      uuid,
  note            text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  CHECK (CASE kind
    WHEN 'credit'  THEN delta_available = units AND delta_reserved = 0 AND delta_debt = 0
    WHEN 'reserve' THEN delta_available = -units AND delta_reserved = units AND delta_debt = 0
    WHEN 'settle'  THEN delta_available = 0 AND delta_reserved = -units AND delta_debt = 0
    WHEN 'release' THEN delta_available = units AND delta_reserved = -units AND delta_debt = 0
    WHEN 'expiry'  THEN delta_available = -units AND delta_reserved = 0 AND delta_debt = 0
    -- taken back from a lot (and paying debt), already expired (no effect), or recorded as debt
    WHEN 'refund'  THEN delta_reserved = 0 AND (
                          (delta_available = -units AND delta_debt IN (0, -units))
                       OR (delta_available = 0 AND delta_debt IN (0, units)))
  END)
);
-- Few indexes: every send writes two entries. The ledger page and the chart have theirs; a refund
-- finds its lot's refund entries; the reconciliation reads everything anyway.
CREATE INDEX billing_ledger_portal ON billing_ledger (portal_id, id);
CREATE INDEX billing_ledger_usage ON billing_ledger (portal_id, created_at) WHERE kind = 'settle';
CREATE INDEX billing_ledger_refunds ON billing_ledger (lot_id) WHERE kind = 'refund';

CREATE FUNCTION billing_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'billing_ledger is append-only: % is not allowed (a correction is a new entry)', TG_OP
    USING ERRCODE = 'WB001';
END $$;
CREATE TRIGGER billing_ledger_no_update BEFORE UPDATE OR DELETE ON billing_ledger
  FOR EACH ROW EXECUTE FUNCTION billing_ledger_append_only();
CREATE TRIGGER billing_ledger_no_truncate BEFORE TRUNCATE ON billing_ledger
  FOR EACH STATEMENT EXECUTE FUNCTION billing_ledger_append_only();

-- ── Internal steps (not callable by the app role; they expect the balance row to be locked) ───────

-- Records a provider event as applied; NULL when an earlier call already applied it.
CREATE FUNCTION _billing_claim_event(p_provider text, p_event_id text, p_type text, p_portal_id bigint,
                                     p_order_id bigint)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_id bigint;
BEGIN
  IF p_provider IS NULL OR p_provider !~ '^[a-z][a-z0-9_]{0,31}$' THEN
    RAISE EXCEPTION 'provider must be a lower-case name such as stripe or paypal (got %)', p_provider
      USING ERRCODE = '22023';
  END IF;
  IF p_event_id IS NULL OR length(p_event_id) NOT BETWEEN 1 AND 255 THEN
    RAISE EXCEPTION 'event id must be 1 to 255 characters' USING ERRCODE = '22023';
  END IF;
  INSERT INTO billing_provider_events AS e (provider, event_id, event_type, portal_id, order_id, applied_at)
  VALUES (p_provider, p_event_id, p_type, p_portal_id, p_order_id, now())
  ON CONFLICT (provider, event_id) DO UPDATE
    SET applied_at = now(), event_type = coalesce(e.event_type, excluded.event_type),
        portal_id = coalesce(e.portal_id, excluded.portal_id), order_id = coalesce(e.order_id, excluded.order_id)
    WHERE e.applied_at IS NULL
  RETURNING e.id INTO v_id;
  RETURN v_id;
END $$;

-- Expires the portal's lots past validity at `p_now`: their remaining units leave `available`.
-- Returns the units expired.
CREATE FUNCTION _billing_expire_portal(p_portal_id bigint, p_now timestamptz)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_total bigint := 0; r record;
BEGIN
  FOR r IN SELECT l.id, l.remaining FROM billing_lots l
           WHERE l.portal_id = p_portal_id AND l.remaining > 0 AND l.expires_at <= p_now
           ORDER BY l.expires_at, l.id LOOP
    UPDATE billing_lots SET remaining = 0, expired_units = expired_units + r.remaining WHERE id = r.id;
    INSERT INTO billing_ledger (portal_id, kind, units, delta_available, delta_reserved, lot_id)
    VALUES (p_portal_id, 'expiry', r.remaining, -r.remaining, 0, r.id);
    v_total := v_total + r.remaining;
  END LOOP;
  IF v_total > 0 THEN
    UPDATE billing_balances SET available = available - v_total, updated_at = now()
    WHERE portal_id = p_portal_id;
  END IF;
  RETURN v_total;
END $$;

-- Takes up to `p_units` from the portal's unexpired lots, the one expiring first first, writing one
-- `refund` entry per lot (`p_debt` = the entries also pay off debt). Returns the units taken; the
-- caller updates the balance row.
CREATE FUNCTION _billing_take(p_portal_id bigint, p_units bigint, p_order_id bigint, p_debt boolean,
                              p_note text, p_skip_lot bigint DEFAULT NULL)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_left bigint := p_units; v_take integer; r record;
BEGIN
  FOR r IN SELECT l.id, l.remaining FROM billing_lots l
           WHERE l.portal_id = p_portal_id AND l.remaining > 0 AND l.id IS DISTINCT FROM p_skip_lot
           ORDER BY l.expires_at, l.id LOOP
    EXIT WHEN v_left <= 0;
    v_take := least(r.remaining, v_left);
    UPDATE billing_lots SET remaining = remaining - v_take WHERE id = r.id;
    INSERT INTO billing_ledger (portal_id, kind, units, delta_available, delta_reserved, delta_debt, lot_id,
                                order_id, note)
    VALUES (p_portal_id, 'refund', v_take, -v_take, 0, CASE WHEN p_debt THEN -v_take ELSE 0 END, r.id,
            p_order_id, p_note);
    v_left := v_left - v_take;
  END LOOP;
  RETURN p_units - v_left;
END $$;

-- While a portal owes units (debt), units that come in (a credit, a release) pay it off first.
CREATE FUNCTION _billing_pay_debt(p_portal_id bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_debt bigint; v_avail bigint; v_paid bigint;
BEGIN
  SELECT debt, available INTO v_debt, v_avail FROM billing_balances WHERE portal_id = p_portal_id;
  IF v_debt = 0 OR v_avail = 0 THEN RETURN 0; END IF;
  v_paid := _billing_take(p_portal_id, least(v_debt, v_avail), NULL, true, 'pays debt');
  UPDATE billing_balances SET available = available - v_paid, debt = debt - v_paid, updated_at = now()
  WHERE portal_id = p_portal_id;
  RETURN v_paid;
END $$;

-- ── The ledger's functions (docs/billing.md: inputs, outputs, errors) ─────────────────────────────

-- Locks the portal's balance row (creating it when missing) and returns it.
CREATE FUNCTION _billing_lock_balance(p_portal_id bigint) RETURNS billing_balances LANGUAGE plpgsql AS $$
DECLARE v billing_balances;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM portals WHERE id = p_portal_id) THEN
    RAISE EXCEPTION 'portal % does not exist', p_portal_id USING ERRCODE = 'P0002';
  END IF;
  INSERT INTO billing_balances (portal_id) VALUES (p_portal_id) ON CONFLICT (portal_id) DO NOTHING;
  SELECT * INTO v FROM billing_balances WHERE portal_id = p_portal_id FOR UPDATE;
  RETURN v;
END $$;

-- Credits a pack: a new lot of `p_units` valid `p_validity_days` days. Applied once per order and
-- once per provider event: a repeated call answers 'duplicate_order' / 'duplicate_event'.
CREATE FUNCTION billing_credit(p_portal_id bigint, p_units integer, p_validity_days integer,
                               p_order_id bigint DEFAULT NULL, p_provider text DEFAULT NULL,
                               p_event_id text DEFAULT NULL)
RETURNS TABLE (outcome text, lot_id bigint, expires_at timestamptz, available bigint, debt bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE v_event bigint; v_lot bigint; v_bal billing_balances;
BEGIN
  IF p_units IS NULL OR p_units NOT BETWEEN 1 AND 100000000 THEN
    RAISE EXCEPTION 'units must be a whole number from 1 to 100000000 (got %)', p_units USING ERRCODE = '22023';
  END IF;
  IF p_validity_days IS NULL OR p_validity_days NOT BETWEEN 1 AND 3650 THEN
    RAISE EXCEPTION 'validity must be 1 to 3650 days (got %)', p_validity_days USING ERRCODE = '22023';
  END IF;
  IF p_order_id IS NULL AND p_event_id IS NULL THEN
    RAISE EXCEPTION 'a credit needs an order or a provider event: that is what makes a repeated call harmless'
      USING ERRCODE = '22023';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM portals WHERE id = p_portal_id) THEN
    RAISE EXCEPTION 'portal % does not exist', p_portal_id USING ERRCODE = 'P0002';
  END IF;
  IF p_order_id IS NOT NULL AND NOT EXISTS (
       SELECT 1 FROM billing_orders o WHERE o.id = p_order_id AND o.portal_id = p_portal_id) THEN
    RAISE EXCEPTION 'order % is not an order of portal %', p_order_id, p_portal_id USING ERRCODE = 'P0002';
  END IF;
  IF EXISTS (SELECT 1 FROM billing_orders o WHERE o.id = p_order_id AND o.kind <> 'pack') THEN
    RAISE EXCEPTION 'order % is a subscription: it credits no message units', p_order_id USING ERRCODE = '22023';
  END IF;
  IF p_event_id IS NOT NULL OR p_provider IS NOT NULL THEN
    v_event := _billing_claim_event(p_provider, p_event_id, 'credit', p_portal_id, p_order_id);
    IF v_event IS NULL THEN
      RETURN QUERY
        SELECT 'duplicate_event', l.id, l.expires_at, coalesce(b.available, 0), coalesce(b.debt, 0)
        FROM (SELECT 1) one
        LEFT JOIN billing_balances b ON b.portal_id = p_portal_id
        LEFT JOIN billing_provider_events e ON e.provider = p_provider AND e.event_id = p_event_id
        LEFT JOIN billing_lots l ON l.event_id = e.id;
      RETURN;
    END IF;
  END IF;
  v_bal := _billing_lock_balance(p_portal_id);
  SELECT l.id INTO v_lot FROM billing_lots l WHERE l.order_id = p_order_id;
  IF FOUND THEN
    RETURN QUERY SELECT 'duplicate_order', l.id, l.expires_at, v_bal.available, v_bal.debt
                 FROM billing_lots l WHERE l.id = v_lot;
    RETURN;
  END IF;
  INSERT INTO billing_lots (portal_id, units, remaining, expires_at, order_id, event_id)
  VALUES (p_portal_id, p_units, p_units, now() + make_interval(days => p_validity_days), p_order_id, v_event)
  RETURNING id INTO v_lot;
  INSERT INTO billing_ledger (portal_id, kind, units, delta_available, delta_reserved, lot_id, order_id, event_id)
  VALUES (p_portal_id, 'credit', p_units, p_units, 0, v_lot, p_order_id, v_event);
  UPDATE billing_balances SET available = available + p_units, updated_at = now() WHERE portal_id = p_portal_id;
  PERFORM _billing_pay_debt(p_portal_id);
  RETURN QUERY SELECT 'credited', l.id, l.expires_at, b.available, b.debt
               FROM billing_lots l JOIN billing_balances b ON b.portal_id = l.portal_id WHERE l.id = v_lot;
END $$;

-- Reserves `p_units` for one outbound message before it is sent. Never takes the balance below zero:
-- the portal's balance row is locked and `available` checked under the lock. Outcomes: 'reserved';
-- 'exists' (this message already has a reservation: its id and state are returned, nothing changes);
-- 'insufficient' (not enough units: nothing changes). Units come from the lot expiring first.
CREATE FUNCTION billing_reserve(p_portal_id bigint, p_message_ref text, p_units integer DEFAULT 1,
                                p_channel_id uuid DEFAULT NULL)
RETURNS TABLE (outcome text, reservation_id bigint, state text, available bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE v_res billing_reservations; v_avail bigint; v_need integer; v_take integer; v_alloc jsonb := '[]';
        v_id bigint; r record;
BEGIN
  IF p_units IS NULL OR p_units NOT BETWEEN 1 AND 10000 THEN
    RAISE EXCEPTION 'units must be a whole number from 1 to 10000 (got %)', p_units USING ERRCODE = '22023';
  END IF;
  IF p_message_ref IS NULL OR length(p_message_ref) NOT BETWEEN 1 AND 200 THEN
    RAISE EXCEPTION 'message ref must be 1 to 200 characters' USING ERRCODE = '22023';
  END IF;
  -- A retry finds its reservation without taking the lock.
  SELECT * INTO v_res FROM billing_reservations r WHERE r.portal_id = p_portal_id AND r.message_ref = p_message_ref;
  IF NOT FOUND THEN
    SELECT b.available INTO v_avail FROM billing_balances b WHERE b.portal_id = p_portal_id FOR UPDATE;
    IF NOT FOUND THEN
      RETURN QUERY SELECT 'insufficient', NULL::bigint, NULL::text, 0::bigint;
      RETURN;
    END IF;
    -- Under the lock: a concurrent reserve of the same message may have committed while we waited.
    SELECT * INTO v_res FROM billing_reservations r WHERE r.portal_id = p_portal_id AND r.message_ref = p_message_ref;
  END IF;
  IF FOUND THEN
    RETURN QUERY SELECT 'exists', v_res.id, v_res.state, b.available
                 FROM billing_balances b WHERE b.portal_id = p_portal_id;
    RETURN;
  END IF;
  -- The usual case: the lot that expires first is still valid and covers it all (then no lot is
  -- expired either, and `available`, the sum of the lots, covers it too).
  SELECT l.id, l.remaining, l.expires_at INTO r FROM billing_lots l
  WHERE l.portal_id = p_portal_id AND l.remaining > 0 ORDER BY l.expires_at, l.id LIMIT 1;
  IF FOUND AND r.expires_at > now() AND r.remaining >= p_units THEN
    INSERT INTO billing_reservations (portal_id, message_ref, channel_id, units, allocations)
    VALUES (p_portal_id, p_message_ref, p_channel_id, p_units,
            jsonb_build_array(jsonb_build_object('lot', r.id, 'units', p_units)))
    RETURNING id INTO v_id;
    UPDATE billing_lots SET remaining = remaining - p_units WHERE id = r.id;
    INSERT INTO billing_ledger (portal_id, kind, units, delta_available, delta_reserved, lot_id, reservation_id,
                                channel_id)
    VALUES (p_portal_id, 'reserve', p_units, -p_units, p_units, r.id, v_id, p_channel_id);
    UPDATE billing_balances b SET available = b.available - p_units, reserved = b.reserved + p_units,
                                  updated_at = now()
    WHERE b.portal_id = p_portal_id RETURNING b.available INTO v_avail;
    RETURN QUERY SELECT 'reserved', v_id, 'reserved'::text, v_avail;
    RETURN;
  END IF;
  v_avail := v_avail - _billing_expire_portal(p_portal_id, now());
  IF v_avail < p_units THEN
    RETURN QUERY SELECT 'insufficient', NULL::bigint, NULL::text, v_avail;
    RETURN;
  END IF;
  v_need := p_units;
  FOR r IN SELECT l.id, l.remaining FROM billing_lots l WHERE l.portal_id = p_portal_id AND l.remaining > 0
           ORDER BY l.expires_at, l.id LOOP
    v_take := least(r.remaining, v_need);
    v_alloc := v_alloc || jsonb_build_object('lot', r.id, 'units', v_take);
    v_need := v_need - v_take;
    EXIT WHEN v_need = 0;
  END LOOP;
  IF v_need > 0 THEN
    RAISE EXCEPTION 'the balance of portal % does not match its lots: run billing_reconcile()', p_portal_id
      USING ERRCODE = 'WB002';
  END IF;
  INSERT INTO billing_reservations (portal_id, message_ref, channel_id, units, allocations)
  VALUES (p_portal_id, p_message_ref, p_channel_id, p_units, v_alloc) RETURNING id INTO v_id;
  UPDATE billing_lots l SET remaining = l.remaining - a.units
  FROM jsonb_to_recordset(v_alloc) AS a(lot bigint, units integer) WHERE l.id = a.lot;
  INSERT INTO billing_ledger (portal_id, kind, units, delta_available, delta_reserved, lot_id, reservation_id,
                              channel_id)
  SELECT p_portal_id, 'reserve', a.units, -a.units, a.units, a.lot, v_id, p_channel_id
  FROM jsonb_to_recordset(v_alloc) AS a(lot bigint, units integer);
  UPDATE billing_balances b SET available = b.available - p_units, reserved = b.reserved + p_units,
                                updated_at = now()
  WHERE b.portal_id = p_portal_id RETURNING b.available INTO v_avail;
  RETURN QUERY SELECT 'reserved', v_id, 'reserved'::text, v_avail;
END $$;

-- Ends a reservation: 'settle' spends its units (the message was billed), 'release' gives them back to
-- their lots (the message failed). Once per reservation: a repeated or conflicting call changes
-- nothing and answers 'already_settled' / 'already_released'.
CREATE FUNCTION _billing_resolve(p_reservation_id bigint, p_to text)
RETURNS TABLE (outcome text, reservation_id bigint, state text, portal_id bigint)
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE v_res billing_reservations;
BEGIN
  IF p_reservation_id IS NULL THEN
    RAISE EXCEPTION 'reservation id is required' USING ERRCODE = '22023';
  END IF;
  UPDATE billing_reservations r SET state = p_to, resolved_at = now()
  WHERE r.id = p_reservation_id AND r.state = 'reserved' RETURNING * INTO v_res;
  IF NOT FOUND THEN
    SELECT * INTO v_res FROM billing_reservations r WHERE r.id = p_reservation_id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'reservation % does not exist', p_reservation_id USING ERRCODE = 'P0002';
    END IF;
    RETURN QUERY SELECT 'already_' || v_res.state, v_res.id, v_res.state, v_res.portal_id;
    RETURN;
  END IF;
  IF p_to = 'released' THEN
    -- The balance row before the lots, as everywhere (a settle changes no lot: its UPDATE below locks it).
    PERFORM 1 FROM billing_balances b WHERE b.portal_id = v_res.portal_id FOR UPDATE;
    UPDATE billing_lots l SET remaining = l.remaining + a.units
    FROM jsonb_to_recordset(v_res.allocations) AS a(lot bigint, units integer) WHERE l.id = a.lot;
  END IF;
  INSERT INTO billing_ledger (portal_id, kind, units, delta_available, delta_reserved, lot_id, reservation_id,
                              channel_id)
  SELECT v_res.portal_id, CASE p_to WHEN 'settled' THEN 'settle' ELSE 'release' END, a.units,
         CASE p_to WHEN 'settled' THEN 0 ELSE a.units END, -a.units, a.lot, v_res.id, v_res.channel_id
  FROM jsonb_to_recordset(v_res.allocations) AS a(lot bigint, units integer);
  UPDATE billing_balances b
  SET reserved = b.reserved - v_res.units,
      available = b.available + CASE p_to WHEN 'released' THEN v_res.units ELSE 0 END, updated_at = now()
  WHERE b.portal_id = v_res.portal_id;
  IF p_to = 'released' THEN
    -- Units given back to a lot that expired meanwhile expire now; then they pay debt first.
    PERFORM _billing_expire_portal(v_res.portal_id, now());
    PERFORM _billing_pay_debt(v_res.portal_id);
  END IF;
  RETURN QUERY SELECT p_to, v_res.id, p_to, v_res.portal_id;
END $$;

CREATE FUNCTION billing_settle(p_reservation_id bigint)
RETURNS TABLE (outcome text, reservation_id bigint, state text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN -- PL/pgSQL, not SQL: its plan is kept for the session, a SQL function's is made on every call
  RETURN QUERY SELECT r.outcome, r.reservation_id, r.state FROM _billing_resolve(p_reservation_id, 'settled') r;
END $$;

CREATE FUNCTION billing_release(p_reservation_id bigint)
RETURNS TABLE (outcome text, reservation_id bigint, state text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN -- PL/pgSQL, not SQL: its plan is kept for the session, a SQL function's is made on every call
  RETURN QUERY SELECT r.outcome, r.reservation_id, r.state FROM _billing_resolve(p_reservation_id, 'released') r;
END $$;

-- Expires every lot past its validity at `p_now` (not later than now): one row per portal whose
-- balance went down, with the units expired. At most `p_limit` portals per call (call again while
-- it returns that many). Reserve also expires a portal's lots on the way, so a send never uses an
-- expired unit even when this has not run yet.
CREATE FUNCTION billing_expire(p_now timestamptz DEFAULT now(), p_limit integer DEFAULT 1000)
RETURNS TABLE (portal_id bigint, units bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE v_units bigint; r record;
BEGIN
  IF p_now IS NULL OR p_now > now() THEN
    RAISE EXCEPTION 'the moment to expire at must not be in the future (got %)', p_now USING ERRCODE = '22023';
  END IF;
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 100000 THEN
    RAISE EXCEPTION 'limit must be 1 to 100000 portals (got %)', p_limit USING ERRCODE = '22023';
  END IF;
  FOR r IN SELECT DISTINCT l.portal_id FROM billing_lots l WHERE l.remaining > 0 AND l.expires_at <= p_now
           ORDER BY l.portal_id LIMIT p_limit LOOP
    PERFORM 1 FROM billing_balances b WHERE b.portal_id = r.portal_id FOR UPDATE;
    v_units := _billing_expire_portal(r.portal_id, p_now);
    IF v_units > 0 THEN
      portal_id := r.portal_id;
      units := v_units;
      RETURN NEXT;
    END IF;
  END LOOP;
END $$;

-- Takes back the units of an order's pack after a refund or a dispute. `p_units` is the total the
-- order should have lost so far (cumulative, as the providers report refunds; NULL = the whole pack),
-- so a repeated or late event changes nothing. Policy (docs/billing.md): first what is left of the
-- pack, then its units that expired unused (gone already: recorded, no effect), then the portal's
-- other packs (the one expiring first first); what is still missing was spent and becomes debt, paid
-- off by the next units that come in. The balance never goes below zero.
CREATE FUNCTION billing_refund(p_order_id bigint, p_units integer DEFAULT NULL, p_provider text DEFAULT NULL,
                               p_event_id text DEFAULT NULL)
RETURNS TABLE (outcome text, reversed bigint, from_pack bigint, from_expired bigint, from_other_packs bigint,
               debt_added bigint, reversed_total integer)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE v_lot billing_lots; v_target integer; v_delta bigint; v_pack bigint; v_expired bigint := 0;
        v_other bigint; v_debt bigint; v_absorbed bigint; v_note text;
BEGIN
  SELECT * INTO v_lot FROM billing_lots l WHERE l.order_id = p_order_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'order % credited no pack', p_order_id USING ERRCODE = 'P0002';
  END IF;
  v_target := coalesce(p_units, v_lot.units);
  IF v_target NOT BETWEEN 0 AND v_lot.units THEN
    RAISE EXCEPTION 'units to take back must be 0 to % (the pack''s units), got %', v_lot.units, v_target
      USING ERRCODE = '22023';
  END IF;
  IF (p_event_id IS NOT NULL OR p_provider IS NOT NULL)
     AND _billing_claim_event(p_provider, p_event_id, 'refund', v_lot.portal_id, p_order_id) IS NULL THEN
    RETURN QUERY SELECT 'duplicate_event', 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, v_lot.refunded_units;
    RETURN;
  END IF;
  PERFORM _billing_lock_balance(v_lot.portal_id);
  PERFORM _billing_expire_portal(v_lot.portal_id, now());
  SELECT * INTO v_lot FROM billing_lots l WHERE l.id = v_lot.id; -- as it is under the lock
  v_delta := v_target - v_lot.refunded_units;
  IF v_delta <= 0 THEN
    RETURN QUERY SELECT 'nothing_to_reverse', 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint,
                        v_lot.refunded_units;
    RETURN;
  END IF;
  v_note := 'refund of order ' || p_order_id;
  v_pack := least(v_delta, v_lot.remaining);
  IF v_pack > 0 THEN
    UPDATE billing_lots SET remaining = remaining - v_pack WHERE id = v_lot.id;
    INSERT INTO billing_ledger (portal_id, kind, units, delta_available, delta_reserved, lot_id, order_id, note)
    VALUES (v_lot.portal_id, 'refund', v_pack, -v_pack, 0, v_lot.id, p_order_id, v_note);
  END IF;
  SELECT coalesce(sum(e.units), 0) INTO v_absorbed FROM billing_ledger e
  WHERE e.lot_id = v_lot.id AND e.kind = 'refund' AND e.delta_available = 0 AND e.delta_debt = 0;
  v_expired := greatest(0, least(v_delta - v_pack, v_lot.expired_units - v_absorbed));
  IF v_expired > 0 THEN
    INSERT INTO billing_ledger (portal_id, kind, units, delta_available, delta_reserved, lot_id, order_id, note)
    VALUES (v_lot.portal_id, 'refund', v_expired, 0, 0, v_lot.id, p_order_id, v_note || ': already expired');
  END IF;
  v_other := _billing_take(v_lot.portal_id, v_delta - v_pack - v_expired, p_order_id, false, v_note, v_lot.id);
  v_debt := v_delta - v_pack - v_expired - v_other;
  IF v_debt > 0 THEN
    INSERT INTO billing_ledger (portal_id, kind, units, delta_available, delta_reserved, delta_debt, lot_id,
                                order_id, note)
    VALUES (v_lot.portal_id, 'refund', v_debt, 0, 0, v_debt, v_lot.id, p_order_id, v_note || ': already spent, owed');
  END IF;
  UPDATE billing_lots SET refunded_units = v_target WHERE id = v_lot.id;
  UPDATE billing_balances b
  SET available = b.available - v_pack - v_other, debt = b.debt + v_debt, updated_at = now()
  WHERE b.portal_id = v_lot.portal_id;
  RETURN QUERY SELECT 'reversed', v_delta, v_pack, v_expired, v_other, v_debt, v_target;
END $$;

-- Notes a provider event when it arrives, before anything acts on it: 'new' the first time, 'seen'
-- when it was noted before and not applied yet, 'applied' when a call already applied it.
CREATE FUNCTION billing_record_event(p_provider text, p_event_id text, p_event_type text DEFAULT NULL,
                                     p_portal_id bigint DEFAULT NULL, p_order_id bigint DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v_applied timestamptz;
BEGIN
  IF p_provider IS NULL OR p_provider !~ '^[a-z][a-z0-9_]{0,31}$' THEN
    RAISE EXCEPTION 'provider must be a lower-case name such as stripe or paypal (got %)', p_provider
      USING ERRCODE = '22023';
  END IF;
  IF p_event_id IS NULL OR length(p_event_id) NOT BETWEEN 1 AND 255 THEN
    RAISE EXCEPTION 'event id must be 1 to 255 characters' USING ERRCODE = '22023';
  END IF;
  IF p_portal_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM portals WHERE id = p_portal_id) THEN
    RAISE EXCEPTION 'portal % does not exist', p_portal_id USING ERRCODE = 'P0002';
  END IF;
  IF p_order_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM billing_orders WHERE id = p_order_id) THEN
    RAISE EXCEPTION 'order % does not exist', p_order_id USING ERRCODE = 'P0002';
  END IF;
  INSERT INTO billing_provider_events (provider, event_id, event_type, portal_id, order_id)
  VALUES (p_provider, p_event_id, p_event_type, p_portal_id, p_order_id)
  ON CONFLICT (provider, event_id) DO NOTHING;
  IF FOUND THEN
    RETURN 'new';
  END IF;
  SELECT e.applied_at INTO v_applied FROM billing_provider_events e
  WHERE e.provider = p_provider AND e.event_id = p_event_id;
  RETURN CASE WHEN v_applied IS NULL THEN 'seen' ELSE 'applied' END;
END $$;

-- Marks a provider event applied whose effect is not in the ledger (an order expired, a subscription
-- renewed), in the same transaction as that effect: true for the one call that applied it.
CREATE FUNCTION billing_claim_event(p_provider text, p_event_id text, p_event_type text DEFAULT NULL,
                                    p_portal_id bigint DEFAULT NULL, p_order_id bigint DEFAULT NULL)
RETURNS boolean
LANGUAGE sql SECURITY DEFINER SET search_path = public, pg_temp AS $$
  SELECT _billing_claim_event(p_provider, p_event_id, p_event_type, p_portal_id, p_order_id) IS NOT NULL;
$$;

-- Every place where the ledger disagrees with itself; no rows = consistent (docs/billing.md). Reads
-- only: the app role and an operator can run it at any time.
CREATE FUNCTION billing_reconcile()
RETURNS TABLE (portal_id bigint, subject text, subject_id bigint, expected bigint, actual bigint)
LANGUAGE sql STABLE SET search_path = public, pg_temp AS $$
  WITH sums AS (
    SELECT e.portal_id, sum(e.delta_available) AS available, sum(e.delta_reserved) AS reserved,
           sum(e.delta_debt) AS debt
    FROM billing_ledger e GROUP BY e.portal_id
  ), bal AS (
    SELECT coalesce(b.portal_id, s.portal_id) AS portal_id,
           coalesce(s.available, 0) AS s_available, coalesce(b.available, 0) AS b_available,
           coalesce(s.reserved, 0) AS s_reserved, coalesce(b.reserved, 0) AS b_reserved,
           coalesce(s.debt, 0) AS s_debt, coalesce(b.debt, 0) AS b_debt,
           (SELECT coalesce(sum(l.remaining), 0) FROM billing_lots l
            WHERE l.portal_id = coalesce(b.portal_id, s.portal_id)) AS lots_remaining,
           (SELECT coalesce(sum(r.units), 0) FROM billing_reservations r
            WHERE r.portal_id = coalesce(b.portal_id, s.portal_id) AND r.state = 'reserved') AS open_reserved
    FROM billing_balances b FULL JOIN sums s ON s.portal_id = b.portal_id
  ), lot_entries AS (
    SELECT l.id, l.portal_id, l.remaining, l.expired_units,
           coalesce(sum(e.delta_available), 0) AS s_available,
           coalesce(sum(e.delta_reserved), 0) AS s_reserved,
           coalesce(sum(e.units) FILTER (WHERE e.kind = 'expiry'), 0) AS s_expired
    FROM billing_lots l LEFT JOIN billing_ledger e ON e.lot_id = l.id
    GROUP BY l.id
  ), lot_open AS (
    SELECT (a ->> 'lot')::bigint AS lot_id, sum((a ->> 'units')::bigint) AS units
    FROM billing_reservations r, jsonb_array_elements(r.allocations) a
    WHERE r.state = 'reserved' GROUP BY 1
  ), res_entries AS (
    SELECT r.id, r.portal_id, CASE r.state WHEN 'reserved' THEN r.units ELSE 0 END AS open_units,
           coalesce(sum(e.delta_reserved), 0) AS s_reserved
    FROM billing_reservations r LEFT JOIN billing_ledger e ON e.reservation_id = r.id
    GROUP BY r.id
  )
  SELECT portal_id, 'balance.available = sum of entries', NULL::bigint, s_available, b_available
    FROM bal WHERE s_available <> b_available
  UNION ALL SELECT portal_id, 'balance.reserved = sum of entries', NULL, s_reserved, b_reserved
    FROM bal WHERE s_reserved <> b_reserved
  UNION ALL SELECT portal_id, 'balance.debt = sum of entries', NULL, s_debt, b_debt
    FROM bal WHERE s_debt <> b_debt
  UNION ALL SELECT portal_id, 'balance.available = lots remaining', NULL, lots_remaining, b_available
    FROM bal WHERE lots_remaining <> b_available
  UNION ALL SELECT portal_id, 'balance.reserved = open reservations', NULL, open_reserved, b_reserved
    FROM bal WHERE open_reserved <> b_reserved
  UNION ALL SELECT portal_id, 'lot.remaining = sum of entries', id, s_available, remaining
    FROM lot_entries WHERE s_available <> remaining
  UNION ALL SELECT portal_id, 'lot.expired_units = expiry entries', id, s_expired, expired_units
    FROM lot_entries WHERE s_expired <> expired_units
  UNION ALL SELECT le.portal_id, 'lot.reserved = open allocations', le.id, coalesce(lo.units, 0), le.s_reserved
    FROM lot_entries le LEFT JOIN lot_open lo ON lo.lot_id = le.id WHERE coalesce(lo.units, 0) <> le.s_reserved
  UNION ALL SELECT portal_id, 'reservation.reserved = sum of entries', id, open_units, s_reserved
    FROM res_entries WHERE open_units <> s_reserved
$$;

-- ── The app's role ─────────────────────────────────────────────────────────────────────────────────
-- The app connects as a login role that is a member of whatsappb24_app (docs/billing.md): it may read
-- and write the relay's tables, read the ledger's, and change the ledger only through the functions
-- above. Tables added by later migrations get the same rights (default privileges of the owner);
-- a later table the app must not write needs its own REVOKE.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'whatsappb24_app') THEN
    BEGIN
      CREATE ROLE whatsappb24_app NOLOGIN;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN NULL; -- created meanwhile by another database's migration
      WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'role whatsappb24_app is missing and % may not create it', current_user
          USING HINT = 'Create it once as a superuser: CREATE ROLE whatsappb24_app NOLOGIN; (docs/billing.md)';
    END;
  END IF;
END $$;

GRANT USAGE ON SCHEMA public TO whatsappb24_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO whatsappb24_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO whatsappb24_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO whatsappb24_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO whatsappb24_app;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE
  ON billing_balances, billing_lots, billing_reservations, billing_ledger, billing_provider_events,
     schema_migrations
  FROM whatsappb24_app;

REVOKE EXECUTE ON FUNCTION
  _billing_claim_event(text, text, text, bigint, bigint), _billing_expire_portal(bigint, timestamptz),
  _billing_take(bigint, bigint, bigint, boolean, text, bigint), _billing_pay_debt(bigint),
  _billing_lock_balance(bigint), _billing_resolve(bigint, text),
  billing_credit(bigint, integer, integer, bigint, text, text), billing_reserve(bigint, text, integer, uuid),
  billing_settle(bigint), billing_release(bigint), billing_expire(timestamptz, integer),
  billing_refund(bigint, integer, text, text), billing_record_event(text, text, text, bigint, bigint),
  billing_claim_event(text, text, text, bigint, bigint), billing_reconcile()
  FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  billing_credit(bigint, integer, integer, bigint, text, text), billing_reserve(bigint, text, integer, uuid),
  billing_settle(bigint), billing_release(bigint), billing_expire(timestamptz, integer),
  billing_refund(bigint, integer, text, text), billing_record_event(text, text, text, bigint, bigint),
  billing_claim_event(text, text, text, bigint, bigint), billing_reconcile()
  TO whatsappb24_app;
