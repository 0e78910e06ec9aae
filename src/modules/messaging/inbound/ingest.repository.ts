import { sql, type Kysely } from 'kysely';
import type { DB } from '../../../shared/db/schema.js';
import { executePrepared } from '../../../shared/db/database.js';

/** The job a webhook stores for one customer message: the raw event, keyed by its WhatsApp id. */
export const ACCEPT_TOPIC = 'inbound.accept';

/** What the webhook keeps of a customer's message: everything the worker needs to write its rows. */
export interface RawInbound {
  portalId: number;
  channelId: string;
  phone: string;
  name: string | null;
  /** Gupshup's time, in ms. */
  atMs: number;
  type: string;
  /** The message's `content` column, as it will be stored. */
  content: { text: string; payload: Record<string, unknown>; name: string | null };
  waMessageId: string;
  receivedDetail: string;
  /** Media to download first: an `inbound.media` job runs before the delivery (same chat key). */
  hasMedia: boolean;
}

/** The job's dedupe key: one per channel and WhatsApp message, whatever instance took the webhook. */
export const acceptKey = (channelId: string, waMessageId: string) => `inacc:${channelId}:${waMessageId}`;

/** A repeat's count: on its open job, not yet (the job is being written), or not there (written). */
export type DuplicateCount = 'counted' | 'busy' | 'closed';

/**
 * The ingest path's statements. The webhook writes only `inbound.accept` jobs (the raw event, its
 * dedupe key and its job are one row, written for many webhooks at once); the worker turns each into
 * the conversation, the message, its delivery job and its trace (`materialize`).
 */
export class IngestRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * One statement for many webhooks: each event's job unless its key is already there (Gupshup's
   * retry). Returns, per event in order, whether it was stored now. A key twice in the same call is
   * stored once (the later one is a duplicate). The chat key keeps each customer's messages in order.
   */
  async insertAccepted(events: RawInbound[]): Promise<boolean[]> {
    const keys = events.map((e) => acceptKey(e.channelId, e.waMessageId));
    const rows = await executePrepared(
      this.db,
      'ingest_accept_v1',
      sql<{ dedupe_key: string }>`
      INSERT INTO jobs (topic, portal_id, payload, dedupe_key, chat_key)
      SELECT ${ACCEPT_TOPIC}, e.portal_id, e.payload, e.dedupe_key, e.chat_key
      FROM unnest(${events.map((e) => e.portalId)}::bigint[], ${events.map((e) => JSON.stringify(e))}::jsonb[],
                  ${keys}::text[], ${events.map((e) => `inacc:${e.channelId}:${e.phone}`)}::text[])
           WITH ORDINALITY AS e(portal_id, payload, dedupe_key, chat_key, ord)
      ORDER BY e.ord
      ON CONFLICT (dedupe_key) DO NOTHING
      RETURNING dedupe_key`,
    );
    const stored = new Set(rows.map((r) => r.dedupe_key));
    return keys.map((k) => stored.delete(k));
  }

  /**
   * Gupshup posted these events again (a retry storm after an outage of ours brings thousands a
   * second: one statement for many). While an event's job is still open its count rides on the job,
   * and the worker traces it with the message. The statement never waits for a lock: a job the
   * worker is writing right now (its statement holds the row) is `busy`, and asked about again once
   * that statement is done; waiting in the statement held every other repeat of the batch, and all
   * the repeats queued behind it, for as long (a storm's p50 went to seconds). Per event in order:
   * `counted`, `busy`, or `closed` (no open job: the message is written, `traceDuplicates`).
   */
  async countDuplicates(
    events: Array<{ channelId: string; waMessageId: string }>,
  ): Promise<DuplicateCount[]> {
    const keys = events.map((e) => acceptKey(e.channelId, e.waMessageId));
    const rows = await executePrepared(
      this.db,
      'ingest_count_duplicates_v2',
      sql<{ dedupe_key: string; counted: boolean }>`
      WITH n AS (
        SELECT k AS key, count(*)::int AS n FROM unnest(${keys}::text[]) AS k GROUP BY k
      ), open AS (
        SELECT j.id, j.dedupe_key FROM jobs j JOIN n ON n.key = j.dedupe_key
        WHERE j.status IN ('pending', 'running')
      ), held AS (
        SELECT j.id, n.n FROM jobs j JOIN n ON n.key = j.dedupe_key
        WHERE j.id IN (SELECT id FROM open) AND j.status IN ('pending', 'running')
        ORDER BY j.id
        FOR UPDATE OF j SKIP LOCKED
      ), counted AS (
        UPDATE jobs SET payload = jsonb_set(jobs.payload, '{duplicates}',
          to_jsonb(coalesce((jobs.payload->>'duplicates')::int, 0) + held.n))
        FROM held WHERE jobs.id = held.id
        RETURNING jobs.dedupe_key
      )
      SELECT dedupe_key, true AS counted FROM counted
      UNION ALL
      SELECT dedupe_key, false FROM open WHERE dedupe_key NOT IN (SELECT dedupe_key FROM counted)`,
    );
    const state = new Map(rows.map((r) => [r.dedupe_key, r.counted ? 'counted' : 'busy'] as const));
    return keys.map((k) => state.get(k) ?? 'closed');
  }

  /**
   * Duplicates of messages already written: traced on them, one row each (a statement after the
   * job's commit sees the message).
   */
  async traceDuplicates(
    events: Array<{ portalId: number; channelId: string; waMessageId: string }>,
  ): Promise<void> {
    await executePrepared(
      this.db,
      'ingest_trace_duplicates_v1',
      sql`
      INSERT INTO trace (portal_id, channel_id, message_id, direction, step, level, detail)
      SELECT d.portal_id, d.channel_id,
        (SELECT id FROM messages m WHERE m.channel_id = d.channel_id AND m.direction = 'in' AND m.wa_message_id = d.wa_id),
        'in', 'duplicate_ignored', 'INFO', 'Gupshup posted it again'
      FROM unnest(${events.map((e) => e.portalId)}::bigint[], ${events.map((e) => e.channelId)}::uuid[],
                  ${events.map((e) => e.waMessageId)}::text[]) WITH ORDINALITY AS d(portal_id, channel_id, wa_id, ord)
      ORDER BY d.ord`,
    );
  }

  /**
   * The worker's half, one statement for a batch of `inbound.accept` jobs (at most one per chat: the
   * claim's chat keys): each job this worker still holds is marked done, and its event becomes the
   * conversation (upserted), the message (unless Gupshup's id is already stored), its delivery job
   * (after an `inbound.media` job when there is a file: same chat key, lower id) and its trace rows,
   * with the duplicates counted on the job meanwhile. An event whose message is already stored (an
   * older instance took it, or its job was gone when Gupshup retried) is traced as a duplicate. All or
   * nothing (every part of a WITH runs to completion); returns the jobs it did.
   */
  async materialize(jobIds: number[], workerId: string): Promise<number[]> {
    const rows = await executePrepared(
      this.db,
      'ingest_materialize_v2',
      sql<{ job_id: number }>`
      WITH live AS (
        -- The portals still installed, held until commit: an uninstall waits, then cancels what we made.
        SELECT p.id FROM portals p
        WHERE p.id IN (SELECT portal_id FROM jobs WHERE id = ANY(${jobIds}::bigint[])) AND p.status <> 'uninstalled'
        FOR SHARE
      ), done AS (
        UPDATE jobs SET status = 'done', finished_at = now(), updated_at = now(), locked_until = NULL, last_error = NULL
        WHERE id = ANY(${jobIds}::bigint[]) AND locked_by = ${workerId} AND status = 'running' AND topic = ${ACCEPT_TOPIC}
          AND portal_id IN (SELECT id FROM live)
        RETURNING id, portal_id, payload
      ), ev AS (
        SELECT id AS job_id, portal_id, (payload->>'channelId')::uuid AS channel_id, payload->>'phone' AS phone,
               payload->>'name' AS name, to_timestamp((payload->>'atMs')::double precision / 1000) AS at,
               payload->>'type' AS type, payload->'content' AS content, payload->>'waMessageId' AS wa_id,
               coalesce((payload->>'hasMedia')::boolean, false) AS has_media, payload->>'receivedDetail' AS detail,
               coalesce((payload->>'duplicates')::int, 0) AS dups
        FROM done
      ), conv AS (
        INSERT INTO conversations (portal_id, channel_id, customer_phone, customer_name, last_inbound_at)
        SELECT portal_id, channel_id, phone, name, at FROM ev ORDER BY job_id
        ON CONFLICT (channel_id, customer_phone) DO UPDATE SET
          customer_name = coalesce(excluded.customer_name, conversations.customer_name),
          last_inbound_at = greatest(excluded.last_inbound_at, conversations.last_inbound_at)
        RETURNING id, channel_id, customer_phone
      ), msg AS (
        INSERT INTO messages (portal_id, channel_id, conversation_id, direction, type, status, content, wa_message_id, customer_ts)
        SELECT ev.portal_id, ev.channel_id, conv.id, 'in', ev.type, 'received', ev.content, ev.wa_id, ev.at
        FROM ev JOIN conv ON conv.channel_id = ev.channel_id AND conv.customer_phone = ev.phone
        ORDER BY ev.job_id
        ON CONFLICT (channel_id, wa_message_id) WHERE direction = 'in' DO NOTHING
        RETURNING id, conversation_id, channel_id, wa_message_id
      ), new_jobs AS (
        INSERT INTO jobs (topic, portal_id, payload, dedupe_key, chat_key)
        SELECT j.topic, ev.portal_id, jsonb_build_object('messageId', msg.id, 'channelId', ev.channel_id::text),
               j.prefix || msg.id, 'in:' || msg.conversation_id
        FROM msg JOIN ev ON ev.channel_id = msg.channel_id AND ev.wa_id = msg.wa_message_id
        CROSS JOIN (VALUES (1, 'inbound.media', 'inmedia:'), (2, 'inbound.deliver', 'in:')) AS j(ord, topic, prefix)
        WHERE j.ord = 2 OR ev.has_media
        ORDER BY msg.id, j.ord
        RETURNING id
      ), steps AS (
        SELECT ev.portal_id, ev.channel_id, msg.id AS message_id, s.ord, s.step, s.detail, ev.job_id
        FROM msg JOIN ev ON ev.channel_id = msg.channel_id AND ev.wa_id = msg.wa_message_id
        CROSS JOIN LATERAL (VALUES (1, 'received', ev.detail), (2, 'queued', NULL)) AS s(ord, step, detail)
        UNION ALL
        SELECT ev.portal_id, ev.channel_id, m.id, 3, 'duplicate_ignored', 'Gupshup posted it again', ev.job_id
        FROM ev LEFT JOIN messages m ON m.channel_id = ev.channel_id AND m.direction = 'in' AND m.wa_message_id = ev.wa_id
        CROSS JOIN LATERAL generate_series(1, ev.dups + 1)
        WHERE NOT EXISTS (SELECT 1 FROM msg WHERE msg.channel_id = ev.channel_id AND msg.wa_message_id = ev.wa_id)
        UNION ALL
        SELECT ev.portal_id, ev.channel_id, msg.id, 3, 'duplicate_ignored', 'Gupshup posted it again', ev.job_id
        FROM msg JOIN ev ON ev.channel_id = msg.channel_id AND ev.wa_id = msg.wa_message_id
        CROSS JOIN LATERAL generate_series(1, ev.dups)
      ), tr AS (
        INSERT INTO trace (portal_id, channel_id, message_id, direction, step, level, detail)
        SELECT portal_id, channel_id, message_id, 'in', step, 'INFO', detail FROM steps ORDER BY job_id, ord
        RETURNING id
      )
      SELECT job_id FROM ev`,
    );
    return rows.map((r) => r.job_id);
  }
}
