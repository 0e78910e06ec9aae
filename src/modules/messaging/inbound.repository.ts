import { sql, type Kysely } from 'kysely';
import type { DB } from '../../shared/db/schema.js';
import { executePrepared } from '../../shared/db/database.js';

export interface InboundRow {
  portalId: number;
  channelId: string;
  phone: string;
  name: string | null;
  at: Date;
  type: string;
  content: string;
  waMessageId: string;
  receivedDetail: string;
  /** Media to download first: an `inbound.media` job runs before the delivery (same chat key). */
  hasMedia?: boolean;
}

/**
 * Stores one inbound message in a single statement (one round trip, atomic): the conversation is
 * upserted, the message inserted unless Gupshup already delivered it, and, only for a new message,
 * its delivery job (after an `inbound.media` job when there is a file to fetch: same chat key, lower
 * id, so it runs first) and its two trace rows. Returns the new message id, or null for a duplicate.
 * Same lock order as everywhere else: conversation, then message.
 */
export async function storeInbound(db: Kysely<DB>, r: InboundRow): Promise<number | null> {
  const rows = await executePrepared(
    db,
    'store_inbound_v1',
    sql<{ message_id: number | null }>`
    WITH conv AS (
      INSERT INTO conversations (portal_id, channel_id, customer_phone, customer_name, last_inbound_at)
      VALUES (${r.portalId}, ${r.channelId}, ${r.phone}, ${r.name}, ${r.at})
      ON CONFLICT (channel_id, customer_phone) DO UPDATE SET
        customer_name = coalesce(excluded.customer_name, conversations.customer_name),
        last_inbound_at = greatest(excluded.last_inbound_at, conversations.last_inbound_at)
      RETURNING id
    ), msg AS (
      INSERT INTO messages (portal_id, channel_id, conversation_id, direction, type, status, content, wa_message_id, customer_ts)
      SELECT ${r.portalId}, ${r.channelId}, conv.id, 'in', ${r.type}, 'received', ${r.content}::jsonb, ${r.waMessageId}, ${r.at}
      FROM conv
      ON CONFLICT (channel_id, wa_message_id) WHERE direction = 'in' DO NOTHING
      RETURNING id, conversation_id
    ), job AS (
      INSERT INTO jobs (topic, portal_id, payload, dedupe_key, chat_key)
      SELECT j.topic, ${r.portalId}, jsonb_build_object('messageId', msg.id, 'channelId', ${r.channelId}::text),
             j.prefix || msg.id, 'in:' || msg.conversation_id
      FROM msg CROSS JOIN (VALUES (1, 'inbound.media', 'inmedia:'), (2, 'inbound.deliver', 'in:')) AS j(ord, topic, prefix)
      WHERE j.ord = 2 OR ${r.hasMedia ?? false}
      ORDER BY j.ord
      RETURNING id
    ), tr AS (
      INSERT INTO trace (portal_id, channel_id, message_id, direction, step, level, detail)
      SELECT ${r.portalId}, ${r.channelId}::uuid, msg.id, 'in', s.step, 'INFO', s.detail
      FROM msg CROSS JOIN (VALUES (1, 'received', ${r.receivedDetail}), (2, 'queued', NULL)) AS s(ord, step, detail)
      ORDER BY s.ord
      RETURNING id
    )
    SELECT (SELECT id FROM msg) AS message_id, (SELECT count(*) FROM job) AS jobs, (SELECT count(*) FROM tr) AS traces`,
  );
  return rows[0]?.message_id ?? null;
}
