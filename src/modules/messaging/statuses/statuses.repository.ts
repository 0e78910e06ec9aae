import { sql, type Kysely, type Transaction } from 'kysely';
import type { StatusEvent } from '../../../integrations/gupshup/gupshup.webhook.js';
import { completeJobs, enqueueJob } from '../../../jobs/jobs.repository.js';
import type { DB } from '../../../shared/db/schema.js';

type Trx = Transaction<DB>;

/** The columns a status event reads and writes on its message. */
export interface StatusTarget {
  id: number;
  portal_id: number;
  status: string;
  gupshup_message_id: string | null;
}

/** A message a batch of events may name, with both ids an event is matched by. */
export interface StatusBatchTarget extends StatusTarget {
  wa_message_id: string | null;
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

  /** Finishes a batch's jobs in the transaction that applied them; the ids this worker still held. */
  completeJobs(trx: Trx, ids: number[], workerId: string): Promise<number[]> {
    return completeJobs(trx, ids, workerId);
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

  /**
   * The operator messages a batch of events names, in one statement: the rows `findForEvent` would
   * match for any of them (by Gupshup id or by the id Gupshup echoes back), with the WhatsApp id so
   * the caller can tell which event matched which.
   */
  findForEvents(channelId: string, events: StatusEvent[]): Promise<StatusBatchTarget[]> {
    if (events.length === 0) return Promise.resolve([]);
    return this.db
      .selectFrom('messages')
      .select(['id', 'portal_id', 'status', 'gupshup_message_id', 'wa_message_id'])
      .where('channel_id', '=', channelId)
      .where('direction', '=', 'out')
      .where((eb) =>
        eb.or([
          eb('gupshup_message_id', 'in', [...new Set(events.map((s) => s.gupshupId))]),
          eb('wa_message_id', 'in', [...new Set(events.map((s) => s.id))]),
        ]),
      )
      .execute();
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
  /**
   * The messages' statuses as of now, their rows locked (in id order) until the transaction ends:
   * two events of one message applied at once decide one after the other, on the status the other
   * left, so neither moves it backwards. The lock an UPDATE takes (`FOR NO KEY UPDATE`), not
   * `FOR UPDATE`: that one also waits for the key-share locks of every trace row being inserted for
   * the message, and deadlocked with them under a campaign's load.
   */
  async lockStatuses(trx: Trx, ids: number[]): Promise<Map<number, string>> {
    if (ids.length === 0) return new Map();
    const rows = await trx
      .selectFrom('messages')
      .select(['id', 'status'])
      .where('id', 'in', ids)
      .orderBy('id')
      .forNoKeyUpdate()
      .execute();
    return new Map(rows.map((r) => [r.id, r.status]));
  }

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

  /**
   * `setStatus` for many messages in one statement, for statuses that are not failures (those go
   * through `setStatus`): the same columns, with `delivered_at` / `read_at` stamped when a
   * `delivered` / `read` event moved the message on the way to its new status.
   */
  async setStatuses(
    trx: Trx,
    rows: Array<{ id: number; status: string; delivered: boolean; read: boolean }>,
  ): Promise<void> {
    if (rows.length === 0) return;
    await sql`
      UPDATE messages m SET
        status = v.status,
        updated_at = now(),
        delivered_at = CASE WHEN v.delivered THEN now()
                            WHEN v.rd THEN coalesce(m.delivered_at, now())
                            ELSE m.delivered_at END,
        read_at = CASE WHEN v.rd THEN now() ELSE m.read_at END
      FROM unnest(${rows.map((r) => r.id)}::bigint[], ${rows.map((r) => r.status)}::text[],
                  ${rows.map((r) => r.delivered)}::boolean[], ${rows.map((r) => r.read)}::boolean[])
        AS v(id, status, delivered, rd)
      WHERE m.id = v.id`.execute(trx);
  }

  /** `recordWhatsAppId` for many messages in one statement (one id per message). */
  async recordWhatsAppIds(trx: Trx, rows: Array<{ id: number; waId: string }>): Promise<void> {
    if (rows.length === 0) return;
    await sql`
      UPDATE messages m SET wa_message_id = v.wa
      FROM unnest(${rows.map((r) => r.id)}::bigint[], ${rows.map((r) => r.waId)}::text[]) AS v(id, wa)
      WHERE m.id = v.id AND m.wa_message_id IS NULL`.execute(trx);
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
