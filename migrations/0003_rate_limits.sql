-- Leaky buckets shared by every app instance: one row per budget ('b24:<portal id>' for a portal's
-- REST calls, 'gs:<channel id>' for a channel's sends to Gupshup). `level` is how full the bucket was
-- at `at`; it drains at the budget's rate. Kept apart from `portals` so that a token refresh, which
-- holds the portal's row lock, never stalls the rate check of other calls.
CREATE TABLE rate_buckets (
  key   text PRIMARY KEY,
  level double precision NOT NULL DEFAULT 0,
  at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
