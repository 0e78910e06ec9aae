-- The worker claims work key by key (src/jobs/jobs.repository.ts, claimJobs). A claim skips the keys
-- of the batches its worker already holds; walking the ready jobs in time order made it visit every
-- open job of those batches to skip them: with 19,000 webhooks waiting behind one channel's batch, a
-- claim for anything else took 20–36 ms, about 20 times a second (docs/performance.md, "Claims").
-- The key is the worker's batch key (topic | portal | payload's channelId), kept by PostgreSQL itself
-- so that no insert can leave it out. Forward-only.
ALTER TABLE jobs
  ADD COLUMN batch_key text NOT NULL
    GENERATED ALWAYS AS (topic || '|' || coalesce(portal_id::text, '') || '|' || coalesce(payload->>'channelId', '')) STORED;

CREATE INDEX jobs_key_ready ON jobs (batch_key, run_at, id) WHERE status IN ('pending', 'running');
