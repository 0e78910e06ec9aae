-- Billing on the send path (issue 12 items 4 and 5, docs/billing.md "The send path"): each outbound
-- WhatsApp message reserves one unit before it is sent; a message the balance cannot pay is held;
-- a billing admin's low-balance threshold warns the admins once per crossing.

-- The message ref of the reservation that pays for this message's send (`out:<id>`, or the replay's
-- own ref), set in the transaction of the reserve: settle and release find the reservation by it.
-- `held_at`: when the message was first held for lack of units (NULL: not held).
ALTER TABLE messages ADD COLUMN billing_ref text, ADD COLUMN held_at timestamptz;
CREATE INDEX messages_billing_ref ON messages (portal_id, billing_ref) WHERE billing_ref IS NOT NULL;
CREATE INDEX messages_held ON messages (portal_id, held_at) WHERE held_at IS NOT NULL;

-- A portal's billing settings: the low-balance threshold (NULL: no warning) and whether the warning
-- of the current crossing was given (re-armed when `available` is back at or above the threshold).
CREATE TABLE billing_settings (
  portal_id             bigint PRIMARY KEY REFERENCES portals (id) ON DELETE CASCADE,
  low_balance_threshold integer CHECK (low_balance_threshold BETWEEN 0 AND 100000000),
  low_balance_warned    boolean NOT NULL DEFAULT false,
  updated_by_user_id    bigint,
  updated_at            timestamptz NOT NULL DEFAULT now()
);

-- Whether a portal's `available` is below its threshold for the first time since it was last at or
-- above it: marks the crossing and queues the admins' notification (`billing.low_balance`), once.
-- Called by the trigger below on every change of `available`, and by the settings route after a
-- change of threshold (a threshold set above the balance warns at once).
CREATE FUNCTION billing_check_low_balance(p_portal_id bigint) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE v_available bigint; v_threshold integer;
BEGIN
  SELECT available INTO v_available FROM billing_balances WHERE portal_id = p_portal_id;
  v_available := coalesce(v_available, 0);
  UPDATE billing_settings SET low_balance_warned = false
   WHERE portal_id = p_portal_id AND low_balance_warned
     AND (low_balance_threshold IS NULL OR v_available >= low_balance_threshold);
  UPDATE billing_settings SET low_balance_warned = true
   WHERE portal_id = p_portal_id AND NOT low_balance_warned
     AND low_balance_threshold IS NOT NULL AND v_available < low_balance_threshold
  RETURNING low_balance_threshold INTO v_threshold;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  INSERT INTO jobs (topic, portal_id, payload)
  VALUES ('billing.low_balance', p_portal_id,
          jsonb_build_object('available', v_available, 'threshold', v_threshold));
  RETURN true;
END $$;

-- On every change of a portal's `available` (reserve, release, credit, expiry, refund):
-- - units came in: the portal's held messages are due now, oldest hold first (their jobs' run_at
--   becomes the moment they were held, and the claim takes the earliest run_at first);
-- - the low-balance warning (billing_check_low_balance).
-- Any path that credits (a payment webhook, an operator at psql) wakes the held messages this way.
CREATE FUNCTION _billing_balance_changed() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
  IF NEW.available > OLD.available THEN
    UPDATE jobs j SET run_at = least(j.run_at, m.held_at), updated_at = now()
      FROM messages m
     WHERE m.portal_id = NEW.portal_id AND m.held_at IS NOT NULL
       AND j.topic = 'outbound.send' AND j.status = 'pending' AND j.portal_id = NEW.portal_id
       AND j.payload->>'messageId' = m.id::text;
  END IF;
  IF EXISTS (SELECT 1 FROM billing_settings WHERE portal_id = NEW.portal_id) THEN
    PERFORM billing_check_low_balance(NEW.portal_id);
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER billing_balances_changed AFTER UPDATE OF available ON billing_balances
  FOR EACH ROW WHEN (NEW.available IS DISTINCT FROM OLD.available)
  EXECUTE FUNCTION _billing_balance_changed();

REVOKE EXECUTE ON FUNCTION billing_check_low_balance(bigint), _billing_balance_changed() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION billing_check_low_balance(bigint) TO whatsappb24_app;
