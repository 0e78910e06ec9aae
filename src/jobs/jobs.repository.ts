import { sql, type Kysely, type Transaction } from 'kysely';
import { executePrepared } from '../shared/db/database.js';
import type { DB, JobRow } from '../shared/db/schema.js';

type Executor = Kysely<DB> | Transaction<DB>;

export interface NewJob {
  topic: string;
  portalId: number | null;
  payload: Record<string, unknown>;
  dedupeKey?: string;
  chatKey?: string;
  runAt?: Date;
}

/** Enqueues a job; a job with the same dedupe key is kept once. Returns false when it already existed. */
export async function enqueueJob(db: Executor, job: NewJob): Promise<boolean> {
  const res = await db
    .insertInto('jobs')
    .values({
      topic: job.topic,
      portal_id: job.portalId,
      payload: JSON.stringify(job.payload),
      dedupe_key: job.dedupeKey ?? null,
      chat_key: job.chatKey ?? null,
      ...(job.runAt ? { run_at: job.runAt } : {}),
    })
    .onConflict((oc) => oc.column('dedupe_key').doNothing())
    .executeTakeFirst();
  return Number(res.numInsertedOrUpdatedRows ?? 0) > 0;
}

/**
 * Claims up to `limit` due jobs for this worker. `SKIP LOCKED` lets many instances claim side by side;
 * a job whose lease ran out (its worker died) is due again. A job with a chat key is only due when no
 * older job of the same chat is still open, which keeps each chat in order (and puts at most one
 * message of a chat in a batch: two in one call would stay out of order for good if Bitrix24 refused
 * the first and took the second).
 */
export async function claimJobs(
  db: Kysely<DB>,
  workerId: string,
  limit: number,
  leaseMs: number,
  o: {
    /** Batch keys (`topic|portal|channel`) this worker is already working on: left for that batch. */
    busyKeys?: string[];
    /** Only jobs that can join this batch: same topic, portal and `payload.channelId`. */
    batchOf?: { topic: string; portalId: number | null; channelId: string };
    /** Only these topics (the ones this worker has handlers for). */
    topics?: string[];
  } = {},
): Promise<JobRow[]> {
  const busy = o.busyKeys ?? [];
  // The keys with open work, found by a skip scan of `jobs_key_ready` (one probe per key, however
  // many jobs each holds), or the one key of the batch being filled.
  const keys = o.batchOf
    ? sql`SELECT ${batchKey(o.batchOf.topic, o.batchOf.portalId, o.batchOf.channelId)}::text AS k`
    : sql`
      WITH RECURSIVE ks(k) AS (
        (SELECT ${batchKeyOf('j')} FROM jobs j WHERE j.status IN ('pending', 'running') ORDER BY 1 LIMIT 1)
        UNION ALL
        SELECT (SELECT ${batchKeyOf('j')} FROM jobs j
                WHERE j.status IN ('pending', 'running') AND ${batchKeyOf('j')} > ks.k ORDER BY 1 LIMIT 1)
        FROM ks WHERE ks.k IS NOT NULL
      )
      SELECT k FROM ks WHERE k IS NOT NULL`;
  const topics = o.topics
    ? sql`AND EXISTS (SELECT 1 FROM unnest(${o.topics}::text[]) AS t WHERE starts_with(keys.k, t || '|'))`
    : sql``;
  // Per key, its oldest claimable jobs in order (`jobs_key_ready`), at most `limit`; of those, the
  // oldest `limit` overall: the same jobs a walk of all ready jobs in time order would take, without
  // visiting the jobs of the keys this worker already holds (a backlog behind a busy batch) or of
  // topics it has no handler for. A claimable job is due, so `run_at <= now()` ends each key's walk
  // at its first future retry (docs/performance.md, "Claims").
  // A named prepared statement (one per shape): the claim runs after every webhook and every finished
  // job, and planning this statement cost PostgreSQL five times what running it did (pg_stat_statements,
  // track_planning: 0.84 ms of planning against 0.15 ms of execution per claim).
  const name = `claim_jobs_${o.batchOf ? 'batch' : 'keys'}${o.topics ? '_topics' : ''}`;
  return executePrepared(
    db,
    name,
    sql<JobRow>`
    WITH keys AS (${keys}), candidates AS (
      SELECT c.id FROM keys
      CROSS JOIN LATERAL (
        SELECT j.id FROM jobs j
        WHERE ${batchKeyOf('j')} = keys.k AND j.status IN ('pending', 'running') AND j.run_at <= now()
          AND (j.status = 'pending' OR j.locked_until < now())
          AND (j.chat_key IS NULL OR NOT EXISTS (
                SELECT 1 FROM jobs p
                WHERE p.chat_key = j.chat_key AND p.id < j.id AND p.status IN ('pending', 'running')))
        ORDER BY j.run_at, j.id
        LIMIT ${limit}
      ) c
      WHERE keys.k <> ALL(${busy}::text[]) ${topics}
    ), due AS (
      SELECT j.id FROM jobs j
      WHERE j.id IN (SELECT id FROM candidates)
        AND ((j.status = 'pending' AND j.run_at <= now()) OR (j.status = 'running' AND j.locked_until < now()))
      ORDER BY j.run_at, j.id
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    UPDATE jobs SET status = 'running', attempts = jobs.attempts + 1, locked_by = ${workerId},
      locked_until = now() + make_interval(secs => ${leaseMs / 1000}), updated_at = now()
    FROM due WHERE jobs.id = due.id
    RETURNING ${sql.join(JOB_COLUMNS.map((c) => sql.ref(`jobs.${c}`)))}`,
  );
}

/**
 * The claim's result columns by name, not `jobs.*`: a prepared statement whose `*` grew a column (a
 * later migration, during a rolling upgrade) fails with "cached plan must not change result type".
 */
const JOB_COLUMNS = [
  'id',
  'portal_id',
  'topic',
  'payload',
  'dedupe_key',
  'chat_key',
  'status',
  'attempts',
  'run_at',
  'locked_until',
  'locked_by',
  'last_error',
  'created_at',
  'updated_at',
  'finished_at',
] as const satisfies ReadonlyArray<keyof JobRow>;
/** Every column of `JobRow` is in the list (a compile error names the one left out). */
const allJobColumns: Exclude<keyof JobRow, (typeof JOB_COLUMNS)[number]> extends never ? true : never = true;
void allJobColumns;

/** A job's batch key, as the worker builds it (`batchKeyOf` in SQL). */
export function batchKey(topic: string, portalId: number | null, channelId: string): string {
  return `${topic}|${portalId ?? ''}|${channelId}`;
}

/**
 * The same key in SQL, exactly as `jobs_key_ready` indexes it (migrations/0025): PostgreSQL uses an
 * expression index only for the same expression.
 */
export function batchKeyOf(alias: string) {
  const t = sql.table(alias);
  return sql<string>`(${t}.topic || '|' || coalesce(${t}.portal_id::text, '') || '|' || coalesce(${t}.payload->>'channelId', ''))`;
}

/** Finishes a job only if this worker still holds it (a lease taken over by another worker wins). */
export async function completeJob(db: Executor, id: number, workerId: string): Promise<boolean> {
  return (await completeJobs(db, [id], workerId)).length > 0;
}

/** Finishes many jobs in one statement, those this worker still holds; returns their ids. */
export async function completeJobs(db: Executor, ids: number[], workerId: string): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .updateTable('jobs')
    .set({
      status: 'done',
      finished_at: sql`now()`,
      updated_at: sql`now()`,
      locked_until: null,
      last_error: null,
    })
    .where('id', 'in', ids)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'running')
    .returning('id')
    .execute();
  return rows.map((r) => Number(r.id));
}

export async function retryJob(
  db: Executor,
  id: number,
  workerId: string,
  delayMs: number,
  error: string,
  refundAttempt = false,
): Promise<void> {
  await db
    .updateTable('jobs')
    .set({
      status: 'pending',
      run_at: sql`now() + make_interval(secs => ${delayMs / 1000})`,
      last_error: error.slice(0, 1000),
      locked_until: null,
      updated_at: sql`now()`,
      ...(refundAttempt ? { attempts: sql`greatest(attempts - 1, 0)` } : {}),
    })
    .where('id', '=', id)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'running')
    .execute();
}

export async function killJob(
  db: Executor,
  id: number,
  workerId: string,
  status: 'dead' | 'cancelled',
  error: string,
): Promise<boolean> {
  const r = await db
    .updateTable('jobs')
    .set({
      status,
      last_error: error.slice(0, 1000),
      finished_at: sql`now()`,
      locked_until: null,
      updated_at: sql`now()`,
    })
    .where('id', '=', id)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'running')
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

/** Keeps running jobs' leases while their handler works, so no other worker takes them over. */
export async function extendLease(
  db: Executor,
  ids: number[],
  workerId: string,
  leaseMs: number,
): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ locked_until: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
    .where('id', 'in', ids)
    .where('locked_by', '=', workerId)
    .where('status', '=', 'running')
    .execute();
}

/** Stops a portal's open work (uninstall). */
export async function cancelPortalJobs(db: Executor, portalId: number, reason: string): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ status: 'cancelled', last_error: reason, finished_at: sql`now()`, updated_at: sql`now()` })
    .where('portal_id', '=', portalId)
    .where('status', 'in', ['pending', 'running'])
    .execute();
}

/** A deleted channel's open work: nothing more is sent or delivered for it. */
export async function cancelChannelJobs(
  db: Executor,
  portalId: number,
  channelId: string,
  reason: string,
): Promise<void> {
  await db
    .updateTable('jobs')
    .set({ status: 'cancelled', last_error: reason, finished_at: sql`now()` })
    .where('portal_id', '=', portalId)
    .where('status', 'in', ['pending', 'running'])
    .where(sql<boolean>`payload->>'channelId' = ${channelId}`)
    .execute();
}
