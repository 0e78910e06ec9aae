-- Campaign sending (issue 14): the dispatcher's state per campaign, kept in the database so that a
-- restart resumes at the same pace and exactly one dispatch chain runs per campaign
-- (src/modules/campaigns/dispatch*.ts, docs/campaigns.md "Sending"). Forward-only.
ALTER TABLE campaigns
  -- Bumped at each start and resume: the dispatch job of an earlier run finds itself outdated and ends.
  ADD COLUMN run_seq integer NOT NULL DEFAULT 0 CHECK (run_seq >= 0),
  -- The campaign's own token bucket: `pace_credit` messages may be handed out as of `pace_at`.
  ADD COLUMN pace_credit double precision NOT NULL DEFAULT 0,
  ADD COLUMN pace_at timestamptz,
  -- AIMD on the allowed rate: halved at each Gupshup 429 on the channel, recovered step by step.
  ADD COLUMN pace_factor double precision NOT NULL DEFAULT 1 CHECK (pace_factor > 0 AND pace_factor <= 1),
  ADD COLUMN pace_changed_at timestamptz,
  -- The last trace row already read for the channel's 429 / 4001 / template-paused signals.
  ADD COLUMN trace_cursor bigint NOT NULL DEFAULT 0 CHECK (trace_cursor >= 0);

-- A reply finds the campaign messages of its conversation (the inbound delivery sets replied_at).
CREATE INDEX messages_campaign_conversation ON messages (conversation_id, id) WHERE client_key LIKE 'camp:%';
-- The messaging tier counts the recipients reached in the last 24 hours; the report the last minute.
CREATE INDEX campaign_rows_queued ON campaign_rows (campaign_id, queued_at) WHERE queued_at IS NOT NULL;
