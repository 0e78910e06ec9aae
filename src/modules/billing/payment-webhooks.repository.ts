import { sql, type Kysely, type Transaction } from 'kysely';
import { enqueueJob } from '../../jobs/jobs.repository.js';
import type { DB } from '../../shared/db/schema.js';
import type { PaymentProviderName } from './payment-ports.js';

type Executor = Kysely<DB> | Transaction<DB>;

export const WEBHOOK_TOPIC = 'payments.webhook';

/** The `payment_webhooks` table: each provider delivery stored (and its job queued) before it is answered. */
export class PaymentWebhooksRepository {
  constructor(readonly db: Executor) {}

  /** Stores a delivery and queues its job, in one transaction; false when it was stored before. */
  async store(w: {
    provider: PaymentProviderName;
    eventId: string;
    eventType: string;
    bodySha256: string;
    body: string;
    headers: Record<string, string>;
  }): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto('payment_webhooks')
        .values({
          provider: w.provider,
          event_id: w.eventId,
          event_type: w.eventType,
          body_sha256: w.bodySha256,
          body: w.body,
          headers: JSON.stringify(w.headers),
        })
        .onConflict((oc) => oc.columns(['provider', 'event_id', 'body_sha256']).doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!row) return false;
      await enqueueJob(trx, {
        topic: WEBHOOK_TOPIC,
        portalId: null,
        payload: { webhookId: row.id },
        dedupeKey: `${WEBHOOK_TOPIC}:${row.id}`,
      });
      return true;
    });
  }

  get(id: number) {
    return this.db
      .selectFrom('payment_webhooks')
      .select(['id', 'provider', 'event_id', 'event_type', 'body', 'headers', 'state'])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async finish(id: number, state: 'applied' | 'ignored' | 'rejected', note: string | null) {
    await this.db
      .updateTable('payment_webhooks')
      .set({ state, note: note?.slice(0, 500) ?? null, done_at: sql`now()` })
      .where('id', '=', id)
      .where('state', '=', 'received')
      .execute();
  }
}
