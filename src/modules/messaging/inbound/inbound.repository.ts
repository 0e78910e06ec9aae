import { sql, type Kysely } from 'kysely';
import { enqueueJob } from '../../../jobs/jobs.repository.js';
import type { DB } from '../../../shared/db/schema.js';
import { executePrepared } from '../../../shared/db/database.js';
import { queuePendingRecords } from '../../templates/template-send.repository.js';
import { writeTrace } from '../../trace/trace.service.js';

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

/** A customer's message as delivered to Bitrix24, with the chat Bitrix24 put it in (if it said). */
export interface DeliveredInbound {
  id: number;
  portalId: number;
  channelId: string;
  conversationId: number;
  chatId: number | null;
}

/** The inbound side's statements: storing Gupshup's messages, recording their delivery. */
export class InboundRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * Stores one inbound message in a single statement (one round trip, atomic): the conversation is
   * upserted, the message inserted unless Gupshup already delivered it, and, only for a new message,
   * its delivery job (after an `inbound.media` job when there is a file to fetch: same chat key, lower
   * id, so it runs first) and its two trace rows. Returns the new message id, or null for a duplicate.
   * Same lock order as everywhere else: conversation, then message.
   */
  async store(r: InboundRow): Promise<number | null> {
    const rows = await executePrepared(
      this.db,
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

  /** The message Gupshup posted again (a duplicate of `store`). */
  async findByWhatsAppId(channelId: string, waMessageId: string): Promise<number | undefined> {
    const row = await this.db
      .selectFrom('messages')
      .select('id')
      .where('channel_id', '=', channelId)
      .where('direction', '=', 'in')
      .where('wa_message_id', '=', waMessageId)
      .executeTakeFirst();
    return row?.id;
  }

  /**
   * Marks messages delivered, with their Bitrix24 chat, in one transaction. A conversation's first
   * chat in Bitrix24 queues its `chat.assign` (who gets it is decided once: roles/assign.service.ts).
   * Rows are locked in the order the webhooks lock them (conversation, then message): no deadlock.
   */
  async recordDelivered(items: DeliveredInbound[], note: string | null): Promise<void> {
    const byConversation = new Map<number, number>();
    for (const it of items) if (it.chatId) byConversation.set(it.conversationId, it.chatId);
    const convIds = [...byConversation.keys()].sort((a, b) => a - b);
    await this.db.transaction().execute(async (trx) => {
      for (const conv of convIds) {
        const chatId = byConversation.get(conv) ?? null;
        const before = await trx
          .selectFrom('conversations')
          .select(['portal_id', 'channel_id', 'bitrix_chat_id'])
          .where('id', '=', conv)
          .forUpdate()
          .executeTakeFirstOrThrow();
        await trx
          .updateTable('conversations')
          .set({ bitrix_chat_id: chatId })
          .where('id', '=', conv)
          .execute();
        if (before.bitrix_chat_id === null && chatId) {
          await enqueueJob(trx, {
            topic: 'chat.assign',
            portalId: before.portal_id,
            payload: { conversationId: conv, channelId: before.channel_id, chatId },
            dedupeKey: `assign:${conv}`,
          });
          // Templates sent before the customer's chat existed are shown in it now.
          await queuePendingRecords(trx, conv);
        }
      }
      for (const it of items) {
        await trx
          .updateTable('messages')
          .set({
            status: 'delivered',
            attempt_started_at: null,
            delivered_at: sql`now()`,
            updated_at: sql`now()`,
            ...(it.chatId ? { bitrix_chat_id: it.chatId } : {}),
          })
          .where('id', '=', it.id)
          .execute();
      }
      await writeTrace(
        trx,
        ...items.map((it) => ({
          portalId: it.portalId,
          channelId: it.channelId,
          messageId: it.id,
          direction: 'in' as const,
          step: 'delivered_to_bitrix' as const,
          detail: note ?? (it.chatId ? `chat ${it.chatId}` : null),
        })),
      );
    });
  }

  /** When Gupshup was last heard from on a channel, for the health strip; once per 10 s across instances. */
  async touchChannelHeard(channelId: string): Promise<void> {
    await this.db
      .updateTable('channels')
      .set({ last_webhook_at: sql`now()` })
      .where('id', '=', channelId)
      .where((eb) =>
        eb.or([
          eb('last_webhook_at', 'is', null),
          eb('last_webhook_at', '<', sql<Date>`now() - interval '10 seconds'`),
        ]),
      )
      .execute();
  }
}
