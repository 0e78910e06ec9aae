-- Scheduled notifications (issue 13): what the CRM event handler and the periodic reconciliation
-- need to turn CRM changes into notification_events rows exactly once. Forward-only.

-- The last state of a deal we compared against: its stage (and when it entered it, MOVED_TIME), and
-- the values of the fields reports watch. A change is found by comparing a fresh read with this row,
-- under its row lock, and the row moves in the same transaction as the events it caused. A state
-- older than the stored one (a list page read before an event's read-back) changes nothing.
CREATE TABLE notification_crm_snapshots (
  portal_id    bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
  entity_type  text NOT NULL CHECK (entity_type IN ('deal', 'lead')),
  entity_id    bigint NOT NULL CHECK (entity_id > 0),
  category_id  integer,
  stage_id     text CHECK (length(stage_id) <= 100),
  moved_at     timestamptz,
  -- { "UF_CRM_…": "value", "CLOSEDATE": "…" }: only the fields some report watched when it was seen.
  fields       jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- The CRM's DATE_MODIFY of the state stored here.
  modified_at  timestamptz NOT NULL,
  updated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (portal_id, entity_type, entity_id)
);

-- Per portal: how far the reconciliation has read each list (the CRM's DATE_MODIFY, read again with
-- an overlap), and which version of the app's event bindings the portal has.
CREATE TABLE notification_crm_sync (
  portal_id       bigint PRIMARY KEY REFERENCES portals (id) ON DELETE CASCADE,
  deals_after     timestamptz,
  leads_after     timestamptz,
  reconciled_at   timestamptz,
  events_version  integer NOT NULL DEFAULT 0,
  updated_at      timestamptz NOT NULL DEFAULT now()
);
