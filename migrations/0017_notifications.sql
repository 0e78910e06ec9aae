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

-- Reports: a CRM condition and the approved template that tells it (the seed's "SIRAS
-- Aprobaciones"). `kind` picks the condition: a deal reaching stage `stage_id` (of pipeline
-- `category_id`), a deal's field `field` changing, a new lead from source `source_id`. `params` maps
-- the template's {{1}}, {{2}}… to what the digest fills in: count, titles, company, link.
CREATE TABLE notification_reports (
  id          bigserial PRIMARY KEY,
  portal_id   bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  kind        text NOT NULL CHECK (kind IN ('deal_stage', 'deal_field_changed', 'new_lead')),
  category_id integer CHECK (category_id >= 0),
  stage_id    text CHECK (length(stage_id) <= 100),
  field       text CHECK (length(field) <= 100),
  source_id   text CHECK (length(source_id) <= 100),
  template_id uuid REFERENCES templates (id) ON DELETE SET NULL,
  params      jsonb NOT NULL DEFAULT '[]',
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CHECK (kind <> 'deal_stage' OR stage_id IS NOT NULL),
  CHECK (kind <> 'deal_field_changed' OR field IS NOT NULL),
  CHECK (kind <> 'new_lead' OR source_id IS NOT NULL)
);
CREATE UNIQUE INDEX notification_reports_name ON notification_reports (portal_id, lower(name));

-- Which reports a group receives, and when: a preset or custom weekdays and hours (the seed's
-- "LU,MA,MI,JU,VI,SA 7-23"), evaluated in the portal's time zone (schedule.ts).
CREATE TABLE notification_group_reports (
  group_id    bigint NOT NULL REFERENCES notification_groups (id) ON DELETE CASCADE,
  report_id   bigint NOT NULL REFERENCES notification_reports (id) ON DELETE CASCADE,
  enabled     boolean NOT NULL DEFAULT true,
  preset      text NOT NULL DEFAULT 'working' CHECK (preset IN ('working', 'extended', 'full_time', 'custom')),
  days        smallint[] NOT NULL DEFAULT '{1,2,3,4,5}',
  from_minute smallint NOT NULL DEFAULT 540 CHECK (from_minute BETWEEN 0 AND 1439),
  to_minute   smallint NOT NULL DEFAULT 1080 CHECK (to_minute BETWEEN 1 AND 1440),
  holidays    text NOT NULL DEFAULT 'skip' CHECK (holidays IN ('skip', 'allow')),
  PRIMARY KEY (group_id, report_id)
);
CREATE INDEX notification_group_reports_report ON notification_group_reports (report_id);
