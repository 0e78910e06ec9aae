-- Scheduled WhatsApp notifications (issue 13, C9, seed 000): per portal, groups of recipients who
-- hear about chosen CRM companies in the hours each group chose. Recipients belong to the portal and
-- are enabled per group (the seed's "Habilitar" column), so one number can be in several groups and
-- the "used / allowed" counter counts numbers once. Forward-only.

-- The portal's notification service: where and when it is (country for holidays and numbers, IANA
-- zone), its limits (the seed's 10 numbers and 3 groups) and the trial. Without full service a
-- portal is in its 15-day trial: one number, one group hearing about all companies. The operator
-- raises limits and switches full service on (operator API).
CREATE TABLE notification_settings (
  portal_id               bigint PRIMARY KEY REFERENCES portals (id) ON DELETE CASCADE,
  country                 text NOT NULL DEFAULT 'AR' CHECK (country ~ '^[A-Z]{2}$'),
  time_zone               text NOT NULL DEFAULT 'America/Argentina/Buenos_Aires',
  allowed_calling_codes   text[] NOT NULL DEFAULT '{54}',
  max_recipients          integer NOT NULL DEFAULT 10 CHECK (max_recipients BETWEEN 0 AND 100000),
  max_groups              integer NOT NULL DEFAULT 3 CHECK (max_groups BETWEEN 1 AND 10000),
  digest_interval_minutes integer NOT NULL DEFAULT 120 CHECK (digest_interval_minutes BETWEEN 15 AND 1440),
  full_service            boolean NOT NULL DEFAULT false,
  trial_started_at        timestamptz NOT NULL DEFAULT now(),
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notification_groups (
  id            bigserial PRIMARY KEY,
  portal_id     bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  -- The seed's "Empresas: Todas"; false means only the companies in notification_group_companies.
  all_companies boolean NOT NULL DEFAULT true,
  -- "Principal", created on first use; it cannot be deleted.
  is_default    boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX notification_groups_name ON notification_groups (portal_id, lower(name));
CREATE UNIQUE INDEX notification_groups_default ON notification_groups (portal_id) WHERE is_default;

CREATE TABLE notification_recipients (
  id          bigserial PRIMARY KEY,
  portal_id   bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
  first_name  text NOT NULL CHECK (length(first_name) BETWEEN 1 AND 80),
  last_name   text NOT NULL CHECK (length(last_name) BETWEEN 1 AND 80),
  phone_e164  text NOT NULL CHECK (phone_e164 ~ '^\+[1-9][0-9]{6,14}$'),
  reference   text NOT NULL DEFAULT '' CHECK (length(reference) <= 120),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (portal_id, phone_e164)
);

CREATE TABLE notification_group_recipients (
  group_id     bigint NOT NULL REFERENCES notification_groups (id) ON DELETE CASCADE,
  recipient_id bigint NOT NULL REFERENCES notification_recipients (id) ON DELETE CASCADE,
  enabled      boolean NOT NULL DEFAULT true,
  PRIMARY KEY (group_id, recipient_id)
);
CREATE INDEX notification_group_recipients_recipient ON notification_group_recipients (recipient_id);

-- The CRM companies a group may hear about when it does not hear about all of them. The title is
-- kept as shown when chosen, so the page lists them without a call to the portal.
CREATE TABLE notification_group_companies (
  group_id   bigint NOT NULL REFERENCES notification_groups (id) ON DELETE CASCADE,
  company_id bigint NOT NULL CHECK (company_id > 0),
  title      text NOT NULL DEFAULT '' CHECK (length(title) <= 255),
  PRIMARY KEY (group_id, company_id)
);
