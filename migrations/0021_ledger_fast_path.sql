-- The ledger's hot path, leaner (issue 12, docs/billing.md "Benchmark"): the same rules, less work per
-- call. A profile of the database's backends under the benchmark showed their time going to the fixed
-- cost of each statement the functions run (executor start-up, plan lookup, and for every INSERT or
-- UPDATE the re-reading and planning of the table's CHECK constraints), not to the rows written. So:
-- - billing_reserve: the balance row's lock, then ONE statement that takes the units from the lot that
--   expires first and writes the reservation, the entry, the lot and the balance row; anything else (a
--   retry of a message ref, an expired or short first lot, no units) goes the old, careful way.
-- - billing_settle: three plain statements (the reservation, its entry, the balance row, which is
--   locked last) instead of a nested function and a set-returning call; its UPDATE no longer names
--   `available`, so the balance trigger is not even looked at.
-- - the balance trigger (0013) fires only when it has something to do: units came in (held messages
--   are due, the warning re-armed) or the balance is below the portal's low-balance threshold, which
--   is copied onto the balance row for the trigger's WHEN (a trigger on billing_settings keeps it).
-- - the ledger's CHECK on each entry's effect calls a function instead of spelling out a CASE that
--   PostgreSQL re-read and re-planned for every statement writing an entry.
-- Forward-only. The functions keep their signatures, outcomes, errors, lock order and grants.
-- At the end, apart: the column that lets channel subscriptions apply Stripe's events in the order
-- Stripe made them.

-- ── The low-balance threshold, where the balance trigger's WHEN can see it ────────────────────────

ALTER TABLE billing_balances ADD COLUMN low_balance_threshold integer;

CREATE FUNCTION _billing_settings_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    UPDATE billing_balances SET low_balance_threshold = NULL WHERE portal_id = OLD.portal_id;
    RETURN NULL;
  END IF;
  -- A portal never credited has no balance row yet: make it (zeros, like _billing_lock_balance does).
  INSERT INTO billing_balances (portal_id, low_balance_threshold)
  VALUES (NEW.portal_id, NEW.low_balance_threshold)
  ON CONFLICT (portal_id) DO UPDATE SET low_balance_threshold = excluded.low_balance_threshold
  WHERE billing_balances.low_balance_threshold IS DISTINCT FROM excluded.low_balance_threshold;
  RETURN NULL;
END $$;

CREATE TRIGGER billing_settings_threshold AFTER INSERT OR DELETE OR UPDATE OF low_balance_threshold
  ON billing_settings FOR EACH ROW EXECUTE FUNCTION _billing_settings_changed();

INSERT INTO billing_balances (portal_id, low_balance_threshold)
SELECT s.portal_id, s.low_balance_threshold FROM billing_settings s WHERE s.low_balance_threshold IS NOT NULL
ON CONFLICT (portal_id) DO UPDATE SET low_balance_threshold = excluded.low_balance_threshold;

DROP TRIGGER billing_balances_changed ON billing_balances;
CREATE TRIGGER billing_balances_changed AFTER UPDATE OF available ON billing_balances
  FOR EACH ROW WHEN (NEW.available > OLD.available OR NEW.available < NEW.low_balance_threshold)
  EXECUTE FUNCTION _billing_balance_changed();

REVOKE EXECUTE ON FUNCTION _billing_settings_changed() FROM PUBLIC;

-- ── The ledger's CHECK on each entry's effect, as a function ──────────────────────────────────────

-- 0010's CHECK ties each kind of entry to its effect with a CASE over six kinds. PostgreSQL reads a
-- table's CHECK constraints from their stored node trees and plans them again for every statement
-- that writes the table; that CASE is a 12 kB tree, read and planned twice per reserve + settle
-- (without it a reserve or settle cost the backend about a fifth less CPU). The same rule, word for
-- word, in a function: the constraint's tree is one call, and the function's plan is kept per session.
CREATE FUNCTION billing_entry_effect_ok(p_kind text, p_units integer, p_available integer, p_reserved integer,
                                        p_debt integer) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN -- built-in operators on built-in types only: pg_catalog comes first whatever the search_path
  RETURN CASE p_kind
    WHEN 'credit'  THEN p_available = p_units AND p_reserved = 0 AND p_debt = 0
    WHEN 'reserve' THEN p_available = -p_units AND p_reserved = p_units AND p_debt = 0
    WHEN 'settle'  THEN p_available = 0 AND p_reserved = -p_units AND p_debt = 0
    WHEN 'release' THEN p_available = p_units AND p_reserved = -p_units AND p_debt = 0
    WHEN 'expiry'  THEN p_available = -p_units AND p_reserved = 0 AND p_debt = 0
    -- taken back from a lot (and paying debt), already expired (no effect), or recorded as debt
    WHEN 'refund'  THEN p_reserved = 0 AND (
                          (p_available = -p_units AND p_debt IN (0, -p_units))
                       OR (p_available = 0 AND p_debt IN (0, p_units)))
  END;
END $$;

REVOKE EXECUTE ON FUNCTION billing_entry_effect_ok(text, integer, integer, integer, integer) FROM PUBLIC;

ALTER TABLE billing_ledger DROP CONSTRAINT billing_ledger_check,
  ADD CONSTRAINT billing_ledger_effect
    CHECK (billing_entry_effect_ok(kind, units, delta_available, delta_reserved, delta_debt));

-- ── Reserve ───────────────────────────────────────────────────────────────────────────────────────

-- Same contract as 0010's (docs/billing.md). Lock order unchanged: the balance row, then the lots.
CREATE OR REPLACE FUNCTION billing_reserve(p_portal_id bigint, p_message_ref text, p_units integer DEFAULT 1,
                                           p_channel_id uuid DEFAULT NULL)
RETURNS TABLE (outcome text, reservation_id bigint, state text, available bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE v_res billing_reservations; v_avail bigint; v_left bigint; v_need integer; v_take integer;
        v_alloc jsonb := '[]'; v_id bigint; r record;
BEGIN
  IF p_units IS NULL OR p_units NOT BETWEEN 1 AND 10000 THEN
    RAISE EXCEPTION 'units must be a whole number from 1 to 10000 (got %)', p_units USING ERRCODE = '22023';
  END IF;
  IF p_message_ref IS NULL OR length(p_message_ref) NOT BETWEEN 1 AND 200 THEN
    RAISE EXCEPTION 'message ref must be 1 to 200 characters' USING ERRCODE = '22023';
  END IF;
  SELECT b.available INTO v_avail FROM billing_balances b WHERE b.portal_id = p_portal_id FOR UPDATE;
  IF NOT FOUND THEN -- never credited: no reservation can exist either
    outcome := 'insufficient'; available := 0;
    RETURN NEXT;
    RETURN;
  END IF;
  -- The usual case, in one statement under the lock (its snapshot is taken after the lock, so it sees
  -- every change made to the portal's lots by whoever held the lock before): the lot that expires
  -- first is still valid and covers it all (then no lot is expired either, and `available`, the sum of
  -- the lots, covers it too), and the message ref has no reservation yet. Not ON CONFLICT: that
  -- would wait, holding the balance row, for a settle or release of that reservation, which waits for
  -- the balance row (a deadlock). A plain read cannot miss one: reservations are made under this lock.
  WITH lot AS (
    SELECT f.id FROM (SELECT l.id, l.remaining, l.expires_at FROM billing_lots l
                      WHERE l.portal_id = p_portal_id AND l.remaining > 0
                      ORDER BY l.expires_at, l.id LIMIT 1) f
    WHERE f.expires_at > now() AND f.remaining >= p_units
      AND NOT EXISTS (SELECT 1 FROM billing_reservations r
                      WHERE r.portal_id = p_portal_id AND r.message_ref = p_message_ref)
  ), res AS (
    INSERT INTO billing_reservations AS x (portal_id, message_ref, channel_id, units, allocations)
    SELECT p_portal_id, p_message_ref, p_channel_id, p_units,
           jsonb_build_array(jsonb_build_object('lot', lot.id, 'units', p_units))
    FROM lot
    RETURNING x.id
  ), taken AS (
    UPDATE billing_lots l SET remaining = l.remaining - p_units FROM lot, res WHERE l.id = lot.id
  ), entry AS (
    INSERT INTO billing_ledger (portal_id, kind, units, delta_available, delta_reserved, lot_id, reservation_id,
                                channel_id)
    SELECT p_portal_id, 'reserve', p_units, -p_units, p_units, lot.id, res.id, p_channel_id FROM lot, res
  )
  UPDATE billing_balances b SET available = b.available - p_units, reserved = b.reserved + p_units,
                                updated_at = now()
  FROM res WHERE b.portal_id = p_portal_id
  RETURNING res.id, b.available INTO v_id, v_left; -- both NULL when it wrote nothing
  IF v_id IS NOT NULL THEN
    outcome := 'reserved'; reservation_id := v_id; state := 'reserved'; available := v_left;
    RETURN NEXT;
    RETURN;
  END IF;
  -- A retry of a message that has its reservation: its id and state, nothing changes.
  SELECT * INTO v_res FROM billing_reservations r WHERE r.portal_id = p_portal_id AND r.message_ref = p_message_ref;
  IF FOUND THEN
    outcome := 'exists'; reservation_id := v_res.id; state := v_res.state; available := v_avail;
    RETURN NEXT;
    RETURN;
  END IF;
  -- The careful way: expire what is past its validity, then take from as many lots as it needs.
  v_avail := v_avail - _billing_expire_portal(p_portal_id, now());
  IF v_avail < p_units THEN
    outcome := 'insufficient'; available := v_avail;
    RETURN NEXT;
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
  outcome := 'reserved'; reservation_id := v_id; state := 'reserved'; available := v_avail;
  RETURN NEXT;
END $$;

-- ── Settle ────────────────────────────────────────────────────────────────────────────────────────

-- Same contract as 0010's: spends the reservation's units once; a repeated or late call answers
-- 'already_settled' / 'already_released'. Locks the reservation row, then the balance row, last, so
-- that a portal's other calls wait for it as briefly as they can. Three plain statements, no nested
-- function; a reservation from one lot (every one the fast path makes) writes its entry without
-- reading its allocations as a set.
CREATE OR REPLACE FUNCTION billing_settle(p_reservation_id bigint)
RETURNS TABLE (outcome text, reservation_id bigint, state text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
#variable_conflict use_column
DECLARE v billing_reservations; v_state text;
BEGIN
  IF p_reservation_id IS NULL THEN
    RAISE EXCEPTION 'reservation id is required' USING ERRCODE = '22023';
  END IF;
  UPDATE billing_reservations r SET state = 'settled', resolved_at = now()
  WHERE r.id = p_reservation_id AND r.state = 'reserved' RETURNING * INTO v;
  IF FOUND THEN
    IF jsonb_array_length(v.allocations) = 1 THEN
      INSERT INTO billing_ledger (portal_id, kind, units, delta_available, delta_reserved, lot_id, reservation_id,
                                  channel_id)
      VALUES (v.portal_id, 'settle', v.units, 0, -v.units, (v.allocations -> 0 ->> 'lot')::bigint, v.id,
              v.channel_id);
    ELSE
      INSERT INTO billing_ledger (portal_id, kind, units, delta_available, delta_reserved, lot_id, reservation_id,
                                  channel_id)
      SELECT v.portal_id, 'settle', a.units, 0, -a.units, a.lot, v.id, v.channel_id
      FROM jsonb_to_recordset(v.allocations) AS a(lot bigint, units integer);
    END IF;
    UPDATE billing_balances b SET reserved = b.reserved - v.units, updated_at = now()
    WHERE b.portal_id = v.portal_id;
    outcome := 'settled'; reservation_id := v.id; state := 'settled';
    RETURN NEXT;
    RETURN;
  END IF;
  SELECT r.state INTO v_state FROM billing_reservations r WHERE r.id = p_reservation_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'reservation % does not exist', p_reservation_id USING ERRCODE = 'P0002';
  END IF;
  outcome := 'already_' || v_state; reservation_id := p_reservation_id; state := v_state;
  RETURN NEXT;
END $$;

-- ── Channel subscriptions: events applied in the order Stripe made them ───────────────────────────

-- Not the ledger, but the one migration number this change has. Stripe does not deliver events in
-- order: a `invoice.payment_failed` (or a `past_due` / `unpaid` / cancel update) made BEFORE an
-- `invoice.paid` we applied can arrive after it, and must not move the paid channel back to
-- Interrupted. `subscription_event_at`: the `created` of the latest subscription event applied to
-- this order (payment-events.service.ts); an event made before it changes no status.
ALTER TABLE billing_orders ADD COLUMN subscription_event_at timestamptz;
