import { sql, type Kysely } from 'kysely';
import type { DB } from '../../../shared/db/schema.js';
import { markCampaignReplies } from '../../campaigns/campaigns.repository.js';
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
   * Marks messages delivered, with their Bitrix24 chat, in one transaction of a few statements for the
   * whole batch (it holds conversation locks the ingest's upsert waits for: no statement per row). A
   * conversation's first chat in Bitrix24 queues its `chat.assign` (who gets it is decided once:
   * roles/assign.service.ts) and the records of templates sent before it (`queuePendingRecords`).
   * Rows are locked in the order the webhooks lock them (conversation, then message), each kind in
   * ascending id order: no deadlock. The lock an UPDATE of non-key columns takes (`FOR NO KEY
   * UPDATE`): the worker's message and trace inserts, which hold key-share locks on the same rows
   * through their foreign keys, need not wait for it, nor it for them.
   */
  async recordDelivered(items: DeliveredInbound[], note: string | null): Promise<void> {
    // A conversation's chat, and a message's: the last one Bitrix24 named in the batch.
    const byConversation = new Map<number, number>();
    const byMessage = new Map<number, number | null>();
    for (const it of items) {
      if (it.chatId) byConversation.set(it.conversationId, it.chatId);
      if (it.chatId || !byMessage.has(it.id)) byMessage.set(it.id, it.chatId || null);
    }
    const convIds = [...byConversation.keys()].sort((a, b) => a - b);
    const msgIds = [...byMessage.keys()].sort((a, b) => a - b);
    await this.db.transaction().execute(async (trx) => {
      if (convIds.length) {
        // Locked in id order (the subquery's sort comes before its lock), read as they are once locked
        // (a conversation that got its chat from another delivery meanwhile is not new here), given
        // their chat; the ones that had none queue their assignment (the same job `enqueueJob` writes).
        const { rows: first } = await sql<{ id: number }>`
          WITH locked AS MATERIALIZED (
            SELECT c.id, c.portal_id, c.channel_id, c.bitrix_chat_id AS old_chat_id, v.chat_id
            FROM conversations c
            JOIN unnest(${convIds}::bigint[], ${convIds.map((c) => byConversation.get(c))}::bigint[])
                 AS v(id, chat_id) ON v.id = c.id
            WHERE c.id = ANY(${convIds}::bigint[])
            ORDER BY c.id
            FOR NO KEY UPDATE OF c
          ), upd AS (
            UPDATE conversations c SET bitrix_chat_id = l.chat_id
            FROM locked l
            WHERE c.id = l.id AND c.bitrix_chat_id IS DISTINCT FROM l.chat_id
          ), assign AS (
            INSERT INTO jobs (topic, portal_id, payload, dedupe_key)
            SELECT 'chat.assign', l.portal_id,
                   jsonb_build_object('conversationId', l.id, 'channelId', l.channel_id::text, 'chatId', l.chat_id),
                   'assign:' || l.id
            FROM locked l WHERE l.old_chat_id IS NULL
            ORDER BY l.id
            ON CONFLICT (dedupe_key) DO NOTHING
          )
          SELECT id FROM locked WHERE old_chat_id IS NULL ORDER BY id`.execute(trx);
        // Templates sent before the customer's chat existed are shown in it now.
        await queuePendingRecords(
          trx,
          first.map((r) => r.id),
        );
      }
      // A reply to a campaign message (issue 14): its row's first reply, its chat to the campaign's agents.
      await markCampaignReplies(trx, items);
      // Locked in id order (read once: as a subquery it would be scanned again for every row joined).
      await sql`
        WITH locked AS MATERIALIZED (
          SELECT m.id, v.chat_id
          FROM messages m
          JOIN unnest(${msgIds}::bigint[], ${msgIds.map((id) => byMessage.get(id) ?? null)}::bigint[])
               AS v(id, chat_id) ON v.id = m.id
          WHERE m.id = ANY(${msgIds}::bigint[])
          ORDER BY m.id
          FOR NO KEY UPDATE OF m
        )
        UPDATE messages m SET status = 'delivered', attempt_started_at = NULL, delivered_at = now(),
          updated_at = now(), bitrix_chat_id = coalesce(l.chat_id, m.bitrix_chat_id)
        FROM locked l
        WHERE m.id = l.id`.execute(trx);
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
