-- Scheduled notifications (issue 13): the digests. A digest tells one group about the events of one
-- report recorded since the group's previous digest of that report; it is created in one transaction
-- with its sends (one per enabled recipient) and their jobs. The group's cursor of a report is the
-- highest `last_event_id` of its scheduled digests, so creating the digest is the cursor's advance.
-- Forward-only.
CREATE TABLE notification_digests (
  id             bigserial PRIMARY KEY,
  portal_id      bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
  group_id       bigint NOT NULL REFERENCES notification_groups (id) ON DELETE CASCADE,
  report_id      bigint NOT NULL REFERENCES notification_reports (id) ON DELETE CASCADE,
  -- 'scheduled' moves the cursor and counts for the interval; 'test' (the "send a test digest now"
  -- button) does neither.
  kind           text NOT NULL CHECK (kind IN ('scheduled', 'test')),
  -- The events covered: ids in (after_event_id, last_event_id], those of the group's companies.
  -- A test digest without events (a sample) has neither.
  after_event_id bigint NOT NULL DEFAULT 0 CHECK (after_event_id >= 0),
  last_event_id  bigint CHECK (last_event_id > after_event_id),
  events         integer NOT NULL CHECK (events >= 0),
  -- What every recipient gets, fixed at creation, so a retried send is the same send.
  template_id    uuid REFERENCES templates (id) ON DELETE SET NULL,
  params         jsonb NOT NULL DEFAULT '[]',
  -- Where the sends stand: 'sending' until each one is handed to the templates send service or
  -- refused; then 'sent', 'partial' (some refused) or 'failed' (all refused).
  status         text NOT NULL DEFAULT 'sending' CHECK (status IN ('sending', 'sent', 'partial', 'failed')),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notification_digests_group ON notification_digests (group_id, id DESC);
CREATE INDEX notification_digests_cursor ON notification_digests (group_id, report_id, last_event_id DESC)
  WHERE kind = 'scheduled';

-- One send per digest and recipient. `client_key` is the idempotency key of the template message
-- (messages.client_key): a retried or restarted send finds the message the first run stored, so each
-- recipient gets the digest once, and its one message reserves one billing unit. Name and number are
-- kept as they were, so the history stays readable when a recipient is changed or deleted.
CREATE TABLE notification_digest_sends (
  id           bigserial PRIMARY KEY,
  digest_id    bigint NOT NULL REFERENCES notification_digests (id) ON DELETE CASCADE,
  recipient_id bigint REFERENCES notification_recipients (id) ON DELETE SET NULL,
  name         text NOT NULL CHECK (length(name) <= 161),
  phone_e164   text NOT NULL CHECK (phone_e164 ~ '^\+[1-9][0-9]{6,14}$'),
  client_key   text NOT NULL UNIQUE CHECK (length(client_key) <= 100),
  -- 'pending' until the templates send service took it ('queued', with its message) or refused it.
  status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'queued', 'failed')),
  message_id   bigint REFERENCES messages (id) ON DELETE SET NULL,
  error_code   text CHECK (length(error_code) <= 100),
  error_detail text CHECK (length(error_detail) <= 500),
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (digest_id, recipient_id)
);
CREATE INDEX notification_digest_sends_message ON notification_digest_sends (message_id);
