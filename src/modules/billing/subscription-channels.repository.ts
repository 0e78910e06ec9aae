import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../shared/db/schema.js';
import { SUBSCRIPTION_REASONS, type ChannelStatusReason } from '../channels/status-reasons.js';

type Executor = Kysely<DB> | Transaction<DB>;

/** What a channel subscription's payments change on its channel (payment-events.service.ts). */
export class SubscriptionChannelsRepository {
  constructor(readonly db: Executor) {}

  async extendChannel(channelId: string, paidUntil: Date) {
    await this.db
      .updateTable('channels')
      .set({
        paid_until: sql`greatest(coalesce(paid_until, ${paidUntil}), ${paidUntil})`,
        updated_at: sql`now()`,
      })
      .where('id', '=', channelId)
      .execute();
  }

  /**
   * Notes that a subscription event made at `createdAt` was applied to the order (its row locked
   * until the caller commits) and returns the latest such moment before it: an event made earlier
   * than that is late, and changes no status.
   */
  async noteSubscriptionEvent(orderId: number, createdAt: Date): Promise<Date | null> {
    const r = await sql<{ before: Date | null }>`
      UPDATE billing_orders o SET subscription_event_at = greatest(b.before, ${createdAt}::timestamptz)
      FROM (SELECT id, subscription_event_at AS before FROM billing_orders WHERE id = ${orderId}::bigint
            FOR UPDATE) b
      WHERE o.id = b.id
      RETURNING b.before`.execute(this.db);
    return r.rows[0]?.before ?? null;
  }

  /** Active → Interrupted for a subscription reason; the portal when it changed. */
  async interruptChannel(channelId: string, reason: ChannelStatusReason) {
    const r = await this.db
      .updateTable('channels')
      .set({ status: 'interrupted', status_reason: reason, updated_at: sql`now()` })
      .where('id', '=', channelId)
      .where((eb) =>
        eb.or([
          eb('status', '=', 'active'),
          eb.and([eb('status', '=', 'interrupted'), eb('status_reason', 'in', [...SUBSCRIPTION_REASONS])]),
        ]),
      )
      .returning('portal_id')
      .executeTakeFirst();
    return r?.portal_id;
  }

  /** Interrupted for a subscription reason → Active (other reasons stay: they are not ours to clear). */
  async resumeChannel(channelId: string) {
    const r = await this.db
      .updateTable('channels')
      .set({ status: 'active', status_reason: null, updated_at: sql`now()` })
      .where('id', '=', channelId)
      .where('status', '=', 'interrupted')
      .where('status_reason', 'in', [...SUBSCRIPTION_REASONS])
      .returning('portal_id')
      .executeTakeFirst();
    return r?.portal_id;
  }
}
