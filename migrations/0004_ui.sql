-- Admin pages (issue 4): channel details the admin sees, number requests awaiting the operator,
-- chat roles per channel and what a new customer becomes in the CRM. Forward-only.

-- Company name shown in the WhatsApp profile (fixed once set), WABA id, the channel's own
-- subscription (paid until), and the last check of its Gupshup credentials (health strip).
ALTER TABLE channels
  ADD COLUMN company_name        text,
  ADD COLUMN waba_id             text,
  ADD COLUMN paid_until          timestamptz DEFAULT (now() + interval '14 days'),
  ADD COLUMN gupshup_checked_at  timestamptz,
  ADD COLUMN gupshup_check_error text;

-- A new number asked of the vendor: Pending until an operator confirms it with the assigned number.
CREATE TABLE number_requests (
  id                   bigserial PRIMARY KEY,
  portal_id            bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
  company_name         text NOT NULL,
  contact_name         text NOT NULL,
  contact_email        text,
  contact_phone        text,
  line_id              integer,
  status               text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'confirmed', 'cancelled')),
  channel_id           uuid REFERENCES channels (id) ON DELETE SET NULL,
  requested_by_user_id integer,
  created_at           timestamptz NOT NULL DEFAULT now(),
  confirmed_at         timestamptz
);
CREATE INDEX number_requests_portal ON number_requests (portal_id, status);

-- Chat roles of portal users, per channel (C7). "Receives new clients" only for sales representatives.
CREATE TABLE channel_roles (
  portal_id       bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
  channel_id      uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  user_id         integer NOT NULL,
  user_name       text NOT NULL DEFAULT '',
  quality_control boolean NOT NULL DEFAULT false,
  sales_rep       boolean NOT NULL DEFAULT false,
  receives_new    boolean NOT NULL DEFAULT false,
  boss            boolean NOT NULL DEFAULT false,
  updated_at      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (channel_id, user_id),
  CHECK (sales_rep OR NOT receives_new)
);
CREATE INDEX channel_roles_portal_user ON channel_roles (portal_id, user_id);

-- What a new customer of a channel becomes in the CRM, and the round-robin position for new chats.
CREATE TABLE channel_crm_settings (
  channel_id      uuid PRIMARY KEY REFERENCES channels (id) ON DELETE CASCADE,
  portal_id       bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
  entity          text NOT NULL DEFAULT 'lead' CHECK (entity IN ('lead', 'deal')),
  category_id     integer,
  stage_id        text,
  rr_last_user_id integer,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
