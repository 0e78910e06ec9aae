-- Campaigns (issue 14, C10): a template sent to a list of customers, throttled to the number's
-- limits, inside a working-hours window. One row per list line; a row is handed to the templates send
-- service once (its `client_key` is the message's idempotency key), so a crash or restart resumes
-- where it was and never sends a row twice. Delivered / read come from the row's message; replied is
-- set by the inbound path. Forward-only.
CREATE TABLE campaigns (
  id              bigserial PRIMARY KEY,
  portal_id       bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
  channel_id      uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  template_id     uuid REFERENCES templates (id) ON DELETE SET NULL,
  name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  status          text NOT NULL DEFAULT 'draft'
                  CHECK (status IN ('draft', 'scheduled', 'running', 'paused', 'finished', 'cancelled')),
  -- Why the campaign stopped or waits, a code the pages translate (gupshup_4001, template_paused,
  -- tier_limit, outside_window, no_message_units…); null when nothing to say.
  status_reason   text CHECK (length(status_reason) <= 100),
  -- Who gets the replies (the seed's "Members"): the open line (default: the channel's) and, when
  -- chosen, the agents a reply's chat is handed to.
  reply_line_id   integer,
  reply_user_ids  integer[] NOT NULL DEFAULT '{}',
  -- Working-hours window in `time_zone`: ISO weekdays (1 = Monday … 7 = Sunday) and minutes of the day
  -- [window_from, window_to).
  window_days     smallint[] NOT NULL DEFAULT '{1,2,3,4,5}'
                  CHECK (window_days <@ '{1,2,3,4,5,6,7}'::smallint[] AND cardinality(window_days) >= 1),
  window_from     smallint NOT NULL DEFAULT 540 CHECK (window_from BETWEEN 0 AND 1439),
  window_to       smallint NOT NULL DEFAULT 1080 CHECK (window_to BETWEEN 1 AND 1440 AND window_to > window_from),
  time_zone       text NOT NULL DEFAULT 'UTC' CHECK (length(time_zone) <= 64),
  start_at        timestamptz,
  -- The campaign's own cap, messages per minute; the channel's Gupshup budget and tier still apply.
  rate_per_minute integer NOT NULL DEFAULT 60 CHECK (rate_per_minute BETWEEN 1 AND 6000),
  -- The list: where it came from ('csv' or 'crm'), what was read (file name, shape, delimiter,
  -- encoding; or the CRM filter), and whether it is ready ('empty', 'loading', 'ready', 'failed').
  list_source     text CHECK (list_source IN ('csv', 'crm')),
  list_info       jsonb NOT NULL DEFAULT '{}',
  list_status     text NOT NULL DEFAULT 'empty' CHECK (list_status IN ('empty', 'loading', 'ready', 'failed')),
  rows_total      integer NOT NULL DEFAULT 0 CHECK (rows_total >= 0),
  rows_rejected   integer NOT NULL DEFAULT 0 CHECK (rows_rejected >= 0),
  created_by      integer,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now(),
  started_at      timestamptz,
  finished_at     timestamptz
);
CREATE INDEX campaigns_portal ON campaigns (portal_id, id DESC);
CREATE INDEX campaigns_active ON campaigns (status) WHERE status IN ('scheduled', 'running');

-- One row per line of the list (CSV line or CRM record). Rejected rows are kept with their reason so
-- the admin can download them; the rest are 'ready' until the sender hands them to the templates send
-- service ('queued', with their message) or gives up on them ('failed': refused by the send service,
-- opted out since the upload; 'cancelled': the campaign was cancelled first).
CREATE TABLE campaign_rows (
  id           bigserial PRIMARY KEY,
  campaign_id  bigint NOT NULL REFERENCES campaigns (id) ON DELETE CASCADE,
  line_no      integer NOT NULL CHECK (line_no >= 1),
  raw_phone    text NOT NULL DEFAULT '' CHECK (length(raw_phone) <= 100),
  phone_e164   text CHECK (phone_e164 ~ '^\+[1-9][0-9]{6,14}$'),
  name         text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
  params       jsonb NOT NULL DEFAULT '[]',
  -- The row's own template when a dialer row (`hsm:code:…`) names one other than the campaign's.
  template_id  uuid REFERENCES templates (id) ON DELETE SET NULL,
  status       text NOT NULL CHECK (status IN ('rejected', 'ready', 'queued', 'failed', 'cancelled')),
  error_code   text CHECK (length(error_code) <= 100),
  error_detail text CHECK (length(error_detail) <= 500),
  client_key   text UNIQUE CHECK (length(client_key) <= 100),
  message_id   bigint REFERENCES messages (id) ON DELETE SET NULL,
  queued_at    timestamptz,
  replied_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (campaign_id, line_no)
);
-- A number is sent to once per campaign: a second line with it is rejected as 'duplicate'.
CREATE UNIQUE INDEX campaign_rows_phone ON campaign_rows (campaign_id, phone_e164)
  WHERE status <> 'rejected' AND phone_e164 IS NOT NULL;
CREATE INDEX campaign_rows_ready ON campaign_rows (campaign_id, id) WHERE status = 'ready';
CREATE INDEX campaign_rows_message ON campaign_rows (message_id) WHERE message_id IS NOT NULL;

-- Customers who asked not to get campaigns (wrote STOP / BAJA…, or marked by an admin), per portal.
CREATE TABLE opt_outs (
  portal_id  bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
  phone_e164 text NOT NULL CHECK (phone_e164 ~ '^\+[1-9][0-9]{6,14}$'),
  source     text NOT NULL CHECK (source IN ('keyword', 'manual')),
  channel_id uuid REFERENCES channels (id) ON DELETE SET NULL,
  created_by integer,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (portal_id, phone_e164)
);
