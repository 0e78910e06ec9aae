-- The worker claims work key by key (src/jobs/jobs.repository.ts, claimJobs). A claim skips the keys
-- of the batches its worker already holds; walking the ready jobs in time order made it visit every
-- open job of those batches to skip them: with 19,000 webhooks waiting behind one channel's batch, a
-- claim for anything else took 20–36 ms, about 20 times a second (docs/performance.md, "Claiming").
-- The key is the worker's batch key (topic | portal | payload's channelId); claims use this exact
-- expression (`batchKeyOf` in jobs.repository.ts). An index on an expression rather than a stored
-- column: no rewrite of a jobs table that holds every job ever done. Forward-only.
CREATE INDEX jobs_key_ready
  ON jobs ((topic || '|' || coalesce(portal_id::text, '') || '|' || coalesce(payload->>'channelId', '')), run_at, id)
  WHERE status IN ('pending', 'running');
