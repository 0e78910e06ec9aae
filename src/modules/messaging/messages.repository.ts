import { sql, type Kysely, type Transaction } from 'kysely';
import { enqueueJob } from '../../jobs/jobs.repository.js';
import type { DB } from '../../shared/db/schema.js';
import type { TraceStep } from '../trace/trace-steps.js';
import { traceForMessages, writeTrace, type TraceEntry } from '../trace/trace.service.js';
import type { Executor } from './ports.js';

type Trx = Transaction<DB>;

/**
 * The `messages` table and what is written with it (jobs, trace), shared by the relay's directions,
 * the edits and the message log. The directions' own statements are in inbound/, outbound/ and
 * statuses/ (`*.repository.ts`); nothing else in the module builds SQL.
 */

/** The columns a message gets when it fails for good: one definition for every way it can fail. */
export function failedColumns(code: string, detail: string) {
  return {
    status: 'failed',
    error_code: code,
    error_detail: detail.slice(0, 500),
    failed_at: sql<Date>`now()`,
    updated_at: sql<Date>`now()`,
  } as const;
}

/**
 * Queues the system note that tells the agents, in their open-line chat, what happened to a message
 * (the `chat.notify` job, texts in shared/texts.ts). One note per message and code; `variant` tells
 * apart notes that may repeat for one message (a second edit with new text).
 */
export async function queueAgentNote(
  exec: Executor,
  n: { messageId: number; portalId: number; channelId: string; code: string; variant?: string },
): Promise<void> {
  await enqueueJob(exec, {
    topic: 'chat.notify',
    portalId: n.portalId,
    payload: { messageId: n.messageId, channelId: n.channelId, code: n.code },
    dedupeKey: `note:${n.messageId}:${n.code}${n.variant ? `:${n.variant}` : ''}`,
  });
}

/** What a job reads about its message: the message, its conversation, portal and channel. */
function selectLoaded(db: Kysely<DB>, ids: number[]) {
  return db
    .selectFrom('messages')
    .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
    .innerJoin('portals', 'portals.id', 'messages.portal_id')
    .innerJoin('channels', 'channels.id', 'messages.channel_id')
    .select([
      'messages.id',
      'messages.portal_id',
      'messages.channel_id',
      'messages.direction',
      'messages.type',
      'messages.status',
      'messages.content',
      'messages.wa_message_id',
      'messages.gupshup_message_id',
      'messages.bitrix_message_id',
      'messages.bitrix_chat_id',
      'messages.attempt_started_at',
      'messages.customer_ts',
      'messages.created_at',
      'messages.billing_ref',
      'messages.held_at',
      'conversations.id as conversation_id',
      'conversations.customer_phone',
      'conversations.customer_name',
      'portals.status as portal_status',
      'portals.lang as portal_lang',
      'conversations.last_inbound_at',
      // The line the message goes through, read with it (no key decryption just to learn the line).
      'channels.line_id as channel_line',
      'channels.status as channel_status',
      // The app assigns this channel's new customers (and creates their CRM record): see docs/architecture.md.
      sql<boolean>`exists (select 1 from channel_roles r where r.channel_id = messages.channel_id and r.receives_new)`.as(
        'app_creates_crm',
      ),
    ])
    .where('messages.id', 'in', ids);
}

export type LoadedMessage = Awaited<ReturnType<ReturnType<typeof selectLoaded>['execute']>>[number];

/** GET /api/v1/messages filters (validated by the route's schema). */
export interface MessagesFilter {
  channelId?: string | undefined;
  direction?: 'in' | 'out' | undefined;
  status?: string | undefined;
  limit: number;
  cursor?: number | undefined;
  from?: string | undefined;
  to?: string | undefined;
}

const DAY_MS = 86_400_000;

export class MessagesRepository {
  constructor(private readonly db: Kysely<DB>) {}

  transaction<T>(fn: (trx: Trx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /** Trace rows outside any transaction (trace.service.ts). */
  async trace(...entries: TraceEntry[]): Promise<void> {
    await writeTrace(this.db, ...entries);
  }

  async load(ids: number[]): Promise<LoadedMessage[]> {
    if (ids.length === 0) return [];
    return selectLoaded(this.db, ids).execute();
  }

  /** Dead-letters a message unless it was delivered after all; undefined when nothing changed. */
  markDead(id: number, error: string) {
    return this.db
      .updateTable('messages')
      .set({
        status: 'dead',
        error_detail: error.slice(0, 500),
        failed_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .where('status', 'not in', ['delivered', 'read'])
      .returning(['channel_id', 'direction'])
      .executeTakeFirst();
  }

  /** The agents' note for this message (see `queueAgentNote`), in `exec`'s transaction. */
  async queueNoteFor(messageId: number, code: string, exec: Executor = this.db): Promise<void> {
    const m = await exec
      .selectFrom('messages')
      .select(['portal_id', 'channel_id'])
      .where('id', '=', messageId)
      .executeTakeFirst();
    if (!m) return;
    await queueAgentNote(exec, { messageId, portalId: m.portal_id, channelId: m.channel_id, code });
  }

  async fail(id: number, code: string, detail: string): Promise<void> {
    await this.db.updateTable('messages').set(failedColumns(code, detail)).where('id', '=', id).execute();
  }

  /** The in-flight mark, set in its own commit before an upstream call (docs/architecture.md). */
  async markAttempt(ids: number[]): Promise<void> {
    await this.db
      .updateTable('messages')
      .set({ attempt_started_at: sql`now()`, updated_at: sql`now()` })
      .where('id', 'in', ids)
      .execute();
  }

  async clearAttempt(ids: number[]): Promise<void> {
    await this.db.updateTable('messages').set({ attempt_started_at: null }).where('id', 'in', ids).execute();
  }

  /** The `outbound.ack` job of a message Gupshup took (once per message, by dedupe key). */
  async enqueueAck(
    messageId: number,
    portalId: number,
    channelId: string,
    exec: Executor = this.db,
  ): Promise<void> {
    await enqueueJob(exec, {
      topic: 'outbound.ack',
      portalId,
      payload: { messageId, channelId },
      dedupeKey: `ack:${messageId}`,
    });
  }

  /**
   * Records the id Gupshup gave an operator message (from its answer, or adopted from its event) with
   * the `outbound.ack` job and the trace, once: false when the message already had one.
   */
  recordSubmitted(id: number, portalId: number, channelId: string, gupshupId: string, step: TraceStep) {
    return this.transaction(async (trx) => {
      const r = await trx
        .updateTable('messages')
        .set({
          gupshup_message_id: gupshupId,
          attempt_started_at: null,
          status: sql`CASE WHEN status IN ('queued', 'sending') THEN 'submitted' ELSE status END`,
          sent_at: sql`coalesce(sent_at, now())`,
          updated_at: sql`now()`,
        })
        .where('id', '=', id)
        .where('gupshup_message_id', 'is', null)
        .returning('bitrix_message_id')
        .executeTakeFirst();
      if (!r) return false;
      // Only a message that came from Bitrix24 has a Bitrix24 message to acknowledge (not a template).
      if (r.bitrix_message_id !== null) await this.enqueueAck(id, portalId, channelId, trx);
      await writeTrace(trx, {
        portalId,
        channelId,
        messageId: id,
        direction: 'out',
        step,
        detail: `Gupshup id ${gupshupId}`,
      });
      return true;
    });
  }

  // ------------------------------------------------------------ the message log (list, replay)

  async page(portalId: number, q: MessagesFilter) {
    let sel = this.db
      .selectFrom('messages')
      .select([
        'id',
        'channel_id',
        'direction',
        'part',
        'type',
        'status',
        'wa_message_id',
        'gupshup_message_id',
        'bitrix_message_id',
        'bitrix_chat_id',
        'error_code',
        'error_detail',
        'created_at',
        'sent_at',
        'delivered_at',
        'read_at',
        'failed_at',
      ])
      .where('portal_id', '=', portalId)
      .orderBy('id', 'desc')
      .limit(q.limit + 1);
    if (q.channelId) sel = sel.where('channel_id', '=', q.channelId);
    if (q.direction) sel = sel.where('direction', '=', q.direction);
    if (q.status) sel = sel.where('status', '=', q.status);
    if (q.cursor) sel = sel.where('id', '<', q.cursor);
    if (q.from) sel = sel.where('created_at', '>=', new Date(`${q.from}T00:00:00Z`));
    if (q.to) sel = sel.where('created_at', '<', new Date(Date.parse(`${q.to}T00:00:00Z`) + DAY_MS));
    return sel.execute();
  }

  /** The trace rows of these messages (trace.service.ts). */
  history(portalId: number, messageIds: number[]) {
    return traceForMessages(this.db, portalId, messageIds);
  }

  lockForReplay(trx: Trx, portalId: number, id: number) {
    return trx
      .selectFrom('messages')
      .select(['id', 'status', 'direction', 'channel_id'])
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .forUpdate()
      .executeTakeFirst();
  }

  async requeue(trx: Trx, id: number, status: string): Promise<void> {
    await trx
      .updateTable('messages')
      .set({ status, error_code: null, error_detail: null, failed_at: null, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** The message's last finished-for-nothing job (the original or an earlier replay). */
  lastDeadJob(trx: Trx, direction: 'in' | 'out', id: number) {
    return trx
      .selectFrom('jobs')
      .select(['topic', 'chat_key', 'payload'])
      .where((eb) =>
        eb.or([
          eb('dedupe_key', '=', `${direction}:${id}`),
          eb('dedupe_key', 'like', `${direction}:${id}:replay:%`),
        ]),
      )
      .where('status', 'in', ['dead', 'cancelled'])
      .orderBy('id', 'desc')
      .executeTakeFirst();
  }

  // ------------------------------------------------------------ operator edits and deletions

  /** Every part of one operator message, locked, in order. */
  lockParts(trx: Trx, portalId: number, imMessageId: number) {
    return trx
      .selectFrom('messages')
      .select(['id', 'channel_id', 'status', 'content', 'gupshup_message_id', 'attempt_started_at', 'part'])
      .where('portal_id', '=', portalId)
      .where('direction', '=', 'out')
      .where('bitrix_message_id', '=', imMessageId)
      .orderBy('part')
      .forUpdate()
      .execute();
  }

  /**
   * Locks the part's `outbound.send` job and says whether it is still pending. The row stays locked
   * until the transaction ends, so the worker cannot claim it in between (its claim skips locked rows).
   */
  async lockPendingSend(trx: Trx, partId: number): Promise<boolean> {
    const job = await trx
      .selectFrom('jobs')
      .select(['id', 'status', 'attempts'])
      .where('dedupe_key', '=', `out:${partId}`)
      .forUpdate()
      .executeTakeFirst();
    return job?.status === 'pending';
  }

  async replaceText(trx: Trx, id: number, text: string): Promise<void> {
    await trx
      .updateTable('messages')
      .set({ content: sql`content || ${JSON.stringify({ text })}::jsonb`, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** A part deleted before it went: the part and its pending jobs are cancelled. */
  async cancelPart(trx: Trx, id: number): Promise<void> {
    await trx
      .updateTable('messages')
      .set({ status: 'deleted', updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
    await trx
      .updateTable('jobs')
      .set({
        status: 'cancelled',
        last_error: 'deleted in Bitrix24 before sending',
        finished_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('dedupe_key', 'in', [`out:${id}`, `outmedia:${id}`])
      .where('status', '=', 'pending')
      .execute();
  }
}
