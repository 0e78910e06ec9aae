import { sql, type Kysely, type Transaction } from 'kysely';
import type { StatusEvent } from '../../../integrations/gupshup/gupshup.webhook.js';
import { enqueueJob } from '../../../jobs/jobs.repository.js';
import type { DB } from '../../../shared/db/schema.js';

type Trx = Transaction<DB>;

/** The columns a status event reads and writes on its message. */
export interface StatusTarget {
  id: number;
  portal_id: number;
  status: string;
  gupshup_message_id: string | null;
}

/** The status events' statements: finding the message an event names, moving its status forward. */
export class StatusesRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Stores an event for `status.apply` (the same event twice is one job). */
  async enqueue(channel: { id: string; portalId: number }, s: StatusEvent): Promise<void> {
    await enqueueJob(this.db, {
      topic: 'status.apply',
      portalId: channel.portalId,
      payload: { channelId: channel.id, event: s },
      dedupeKey: `st:${channel.id}:${s.gupshupId}:${s.status}:${s.id}`,
    });
  }

  /** The operator message an event names: by Gupshup id, else by the id Gupshup echoes back. */
  findForEvent(channelId: string, s: StatusEvent): Promise<StatusTarget | undefined> {
    return this.db
      .selectFrom('messages')
      .select(['id', 'portal_id', 'status', 'gupshup_message_id'])
      .where('channel_id', '=', channelId)
      .where('direction', '=', 'out')
      .where((eb) => eb.or([eb('gupshup_message_id', '=', s.gupshupId), eb('wa_message_id', '=', s.id)]))
      .executeTakeFirst();
  }

  byId(id: number): Promise<StatusTarget | undefined> {
    return this.db
      .selectFrom('messages')
      .select(['id', 'portal_id', 'status', 'gupshup_message_id'])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /**
   * The channel's operator messages to this number still marked in flight without a Gupshup id, whose
   * attempt began within `startedFrom`..`startedTo`.
   */
  inFlightTo(channelId: string, phone: string, startedFrom: Date, startedTo: Date) {
    return this.db
      .selectFrom('messages')
      .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
      .select(['messages.id', 'messages.portal_id'])
      .where('messages.channel_id', '=', channelId)
      .where('messages.direction', '=', 'out')
      .where('messages.gupshup_message_id', 'is', null)
      .where('messages.attempt_started_at', 'is not', null)
      .where('messages.attempt_started_at', '<=', startedTo)
      .where('messages.attempt_started_at', '>=', startedFrom)
      .where('conversations.customer_phone', '=', phone)
      .execute();
  }

  /** Moves the message to the event's status, with its time and, for a failure, the provider's reason. */
  async setStatus(trx: Trx, id: number, s: StatusEvent): Promise<void> {
    const isFailure = s.status === 'failed';
    await trx
      .updateTable('messages')
      .set({
        status: s.status,
        updated_at: sql`now()`,
        ...(isFailure
          ? {
              error_code: s.code ?? 'failed',
              error_detail: (s.reason ?? '').slice(0, 500),
              failed_at: sql`now()`,
            }
          : {}),
        ...(s.status === 'delivered' ? { delivered_at: sql`now()` } : {}),
        ...(s.status === 'read'
          ? { read_at: sql`now()`, delivered_at: sql`coalesce(delivered_at, now())` }
          : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  /** The WhatsApp id of the message, the first time an event tells it. */
  async recordWhatsAppId(trx: Trx, id: number, waId: string): Promise<void> {
    await trx
      .updateTable('messages')
      .set({ wa_message_id: waId })
      .where('id', '=', id)
      .where('wa_message_id', 'is', null)
      .execute();
  }
}
