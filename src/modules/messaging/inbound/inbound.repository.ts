import { sql, type Kysely } from 'kysely';
import { enqueueJob } from '../../../jobs/jobs.repository.js';
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
      // A reply to a campaign message (issue 14): its row's first reply, its chat to the campaign's agents.
      await markCampaignReplies(trx, items);
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
