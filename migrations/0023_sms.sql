-- SMS through SMSAPI (issue 15, C11): the app is the portal's SMS provider in Bitrix24
-- (messageservice), sends through the portal's own SMSAPI account, and falls back to SMS when a
-- WhatsApp template cannot reach a number. Forward-only.

-- One row per portal that set SMS up. The SMSAPI token is sealed with a key derived from APP_SECRET
-- and the portal's member id (docs/sms.md, "moved database"): copied to another server, app secret or
-- portal it no longer opens, and sending stops until an admin enters it again.
CREATE TABLE sms_settings (
  portal_id            bigint PRIMARY KEY REFERENCES portals (id) ON DELETE CASCADE,
  token_enc            text CHECK (length(token_enc) <= 2000),
  -- The sender name as SMSAPI shows it (alphanumeric ≤ 11 or 8–16 digits), and its status there
  -- when last checked ('ACTIVE', 'INACTIVE'…); null until chosen.
  sender_name          text CHECK (length(sender_name) BETWEEN 1 AND 16),
  sender_status        text CHECK (length(sender_status) <= 40),
  timeout_ms           integer NOT NULL DEFAULT 10000 CHECK (timeout_ms BETWEEN 1000 AND 60000),
  test_mode            boolean NOT NULL DEFAULT false,
  -- The CRM contact field (e.g. a checkbox UF_CRM_…) that says the customer agreed to SMS; null: no
  -- consent check (the admin's choice, shown on the page).
  consent_field        text CHECK (consent_field ~ '^[A-Za-z0-9_]{1,100}$'),
  -- ISO 3166 countries numbers may belong to; empty: only default_country, which also reads national
  -- numbers (no leading + or country code).
  allowed_countries    text[] NOT NULL DEFAULT '{}',
  default_country      text NOT NULL DEFAULT 'AR' CHECK (default_country ~ '^[A-Z]{2}$'),
  -- SMSAPI refuses more than 6 parts (max_parts, error 12).
  max_parts            smallint NOT NULL DEFAULT 6 CHECK (max_parts BETWEEN 1 AND 6),
  no_accents           boolean NOT NULL DEFAULT false,
  -- Channels whose templates fall back to SMS when the number is not on WhatsApp.
  fallback_channel_ids uuid[] NOT NULL DEFAULT '{}',
  -- When messageservice.sender.add last succeeded (or said ERROR_SENDER_ALREADY_INSTALLED).
  provider_registered_at timestamptz,
  -- The path secret of the delivery-report callback (/webhooks/smsapi/<secret>), like a channel's
  -- callback nonce: it only names the portal, reports are matched to our own rows.
  dlr_secret           text NOT NULL UNIQUE CHECK (length(dlr_secret) BETWEEN 20 AND 100),
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now()
);

-- One row per SMS: from Bitrix24 (CRM card, automation rule: source 'b24' with Bitrix24's
-- message_id), from our API ('api'), or a WhatsApp template that fell back ('fallback', with the
-- relay message). Status: 'queued' (stored, not yet accepted), 'accepted' (SMSAPI took it: id and
-- points), then 'delivered' or 'undelivered' from the delivery reports; 'failed' when it never
-- left (refused by us — no consent, bad number, too long — or by SMSAPI).
CREATE TABLE sms_messages (
  id                bigserial PRIMARY KEY,
  portal_id         bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
  source            text NOT NULL CHECK (source IN ('b24', 'api', 'fallback')),
  bitrix_message_id text CHECK (length(bitrix_message_id) BETWEEN 1 AND 100),
  relay_message_id  bigint REFERENCES messages (id) ON DELETE SET NULL,
  -- What Bitrix24 said about the sender: module_id and the CRM bindings (for the consent check).
  origin            jsonb NOT NULL DEFAULT '{}',
  created_by        integer,
  to_raw            text NOT NULL CHECK (length(to_raw) <= 100),
  to_e164           text CHECK (to_e164 ~ '^\+[1-9][0-9]{6,14}$'),
  -- The text, as the relay stores a message's content ({"text": …}).
  content           jsonb NOT NULL,
  no_accents        boolean NOT NULL DEFAULT false,
  encoding          text CHECK (encoding IN ('GSM-7', 'UCS-2')),
  parts             smallint CHECK (parts >= 0),
  -- Sent to SMSAPI as idx with check_idx=1: a retried send is refused (error 53), never sent twice.
  idx               text NOT NULL UNIQUE DEFAULT replace(gen_random_uuid()::text, '-', ''),
  smsapi_id         text CHECK (length(smsapi_id) <= 100),
  points            double precision,
  status            text NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'accepted', 'delivered', 'undelivered', 'failed')),
  -- SMSAPI's last report (status number and name) and when it was done.
  report_status     integer,
  report_name       text CHECK (length(report_name) <= 40),
  error_code        text CHECK (length(error_code) <= 100),
  error_detail      text CHECK (length(error_detail) <= 500),
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  accepted_at       timestamptz,
  done_at           timestamptz
);
CREATE UNIQUE INDEX sms_messages_bitrix ON sms_messages (portal_id, bitrix_message_id)
  WHERE bitrix_message_id IS NOT NULL;
CREATE UNIQUE INDEX sms_messages_relay ON sms_messages (relay_message_id) WHERE relay_message_id IS NOT NULL;
CREATE INDEX sms_messages_portal ON sms_messages (portal_id, id DESC);
CREATE INDEX sms_messages_smsapi ON sms_messages (smsapi_id) WHERE smsapi_id IS NOT NULL;
