-- Scheduled notifications (issue 13): the CRM events that reports count. One row per change a report
-- matched (a deal reaching the report's stage, a deal's watched date field changing, a new lead from
-- the report's source), written by the CRM event handler and by the periodic reconciliation through
-- the same code, so a change seen by both is recorded once (`dedupe_key` is unique per report).
-- Digests read the rows recorded since their group's previous digest. Forward-only.
CREATE TABLE notification_events (
  id           bigserial PRIMARY KEY,
  portal_id    bigint NOT NULL REFERENCES portals (id) ON DELETE CASCADE,
  report_id    bigint NOT NULL REFERENCES notification_reports (id) ON DELETE CASCADE,
  entity_type  text NOT NULL CHECK (entity_type IN ('deal', 'lead')),
  entity_id    bigint NOT NULL CHECK (entity_id > 0),
  -- The deal's or lead's company when it has one: groups that hear about chosen companies only get
  -- events of those companies.
  company_id   bigint CHECK (company_id > 0),
  title        text NOT NULL DEFAULT '' CHECK (length(title) <= 255),
  -- What makes this change itself: e.g. 'stage:C1:WON@2026-11-30T10:00:00+03:00' (the state reached and
  -- the CRM's modification time of that state). The same change seen twice maps to the same key.
  dedupe_key   text NOT NULL CHECK (length(dedupe_key) BETWEEN 1 AND 300),
  -- When it happened in the CRM (DATE_MODIFY / DATE_CREATE), and when we recorded it.
  occurred_at  timestamptz NOT NULL,
  recorded_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (report_id, dedupe_key)
);
CREATE INDEX notification_events_report ON notification_events (report_id, id);
CREATE INDEX notification_events_portal ON notification_events (portal_id, id);
