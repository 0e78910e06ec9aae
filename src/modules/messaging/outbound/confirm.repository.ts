import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../../shared/db/schema.js';
import { writeTrace } from '../../trace/trace.service.js';
import { failedColumns } from '../messages.repository.js';
import type { Waiting } from './confirm-rules.js';

/** A part as the check reads it. */
export interface CheckedPart {
  id: number;
  portalId: number;
  channelId: string;
  status: string;
  content: unknown;
  portalConfirmed: string | null;
  gupshupMessageId: string | null;
  imMessageId: number | null;
  imChatId: number | null;
  /** Its chat is the one the customer's messages were delivered into. */
  chatIsCustomers: boolean;
}

/** Parts a verdict can still change: not sent, not settled (also in `confirm`'s statement). */
const STILL_TO_SEND = ['queued', 'sending'];

/** The outbound read-back's statements (confirm.ts): what waits for it, and its verdicts. */
export class ConfirmRepository {
  constructor(private readonly db: Kysely<DB>) {}

  #parts() {
    return this.db
      .selectFrom('messages as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .select([
        'm.id',
        'm.portal_id as portalId',
        'm.channel_id as channelId',
        'm.status',
        'm.content',
        'm.portal_confirmed as portalConfirmed',
        'm.gupshup_message_id as gupshupMessageId',
        'm.bitrix_message_id as imMessageId',
        'm.bitrix_chat_id as imChatId',
        sql<boolean>`coalesce(c.bitrix_chat_id = m.bitrix_chat_id, false)`.as('chatIsCustomers'),
      ])
      .where('m.direction', '=', 'out');
  }

  /** One outbound part, as the send job's check reads it. */
  one(id: number): Promise<CheckedPart | undefined> {
    return this.#parts().where('m.id', '=', id).executeTakeFirst();
  }

  /** Every part of these Bitrix24 messages of the portal, in order. */
  parts(portalId: number, imMessageIds: number[]): Promise<CheckedPart[]> {
    if (imMessageIds.length === 0) return Promise.resolve([]);
    return this.#parts()
      .where('m.portal_id', '=', portalId)
      .where('m.bitrix_message_id', 'in', imMessageIds)
      .orderBy('m.bitrix_message_id')
      .orderBy('m.part')
      .execute();
  }

  /** Up to `limit` Bitrix24 messages of the portal still waiting for the check, oldest first. */
  async waiting(portalId: number, limit: number): Promise<Waiting[]> {
    const rows = await this.db
      .selectFrom('messages')
      .select(['bitrix_message_id', 'bitrix_chat_id'])
      .where('portal_id', '=', portalId)
      .where('direction', '=', 'out')
      .where('status', '=', 'queued')
      .where('portal_confirmed', 'is', null)
      .where('attempt_started_at', 'is', null)
      .where('created_at', '>', sql<Date>`now() - interval '2 days'`)
      .orderBy('id')
      .limit(limit)
      .execute();
    return rows.flatMap((r) =>
      r.bitrix_message_id !== null && r.bitrix_chat_id !== null
        ? [{ imMessageId: r.bitrix_message_id, imChatId: r.bitrix_chat_id }]
        : [],
    );
  }

  /** The host of the portal's REST endpoint: its files' links must be on it. */
  async portalHost(portalId: number): Promise<string | undefined> {
    const p = await this.db
      .selectFrom('portals')
      .select('client_endpoint')
      .where('id', '=', portalId)
      .executeTakeFirst();
    try {
      return p ? new URL(p.client_endpoint).host : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * The portal confirmed these parts' content (`key`, confirm-rules.ts): they may go. Traced, in one
   * statement (its own transaction) that does not wait for the disk: a verdict lost to a crash of
   * PostgreSQL is only read back again, and the send's own mark (claimSend, a synchronous commit later
   * in the WAL) cannot outlive it.
   */
  async confirm(parts: Array<{ id: number; key: string; detail: string }>): Promise<void> {
    if (parts.length === 0) return;
    const values = sql.join(
      parts.map((p) => sql`(${p.id}::bigint, ${p.key}::text, ${p.detail.slice(0, 500)}::text)`),
    );
    await sql`
      WITH async_commit AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true) AS off),
      done AS (
        UPDATE messages m SET portal_confirmed = v.key
        FROM (VALUES ${values}) AS v(id, key, detail), async_commit
        WHERE m.id = v.id AND m.status IN ('queued', 'sending')
        RETURNING m.id, m.portal_id, m.channel_id, v.detail)
      INSERT INTO trace (portal_id, channel_id, message_id, direction, step, level, detail)
      SELECT portal_id, channel_id, id, 'out', 'confirmed_by_portal', 'INFO', detail FROM done`.execute(
      this.db,
    );
  }

  /**
   * The portal does not hold the message as the event described it: its parts still to send fail
   * with `not_confirmed_by_portal`, traced. Returns the parts it failed.
   */
  async refuse(
    portalId: number,
    of: { imMessageId: number } | { id: number },
    why: string,
  ): Promise<number[]> {
    return this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .updateTable('messages')
        .set(failedColumns('not_confirmed_by_portal', why))
        .where('portal_id', '=', portalId)
        .where('direction', '=', 'out')
        .where((eb) => ('id' in of ? eb('id', '=', of.id) : eb('bitrix_message_id', '=', of.imMessageId)))
        .where('status', 'in', STILL_TO_SEND)
        .where('gupshup_message_id', 'is', null)
        .returning(['id', 'channel_id'])
        .execute();
      await writeTrace(
        trx,
        ...rows.map((r) => ({
          portalId,
          channelId: r.channel_id,
          messageId: r.id,
          direction: 'out' as const,
          step: 'not_confirmed_by_portal' as const,
          level: 'ERROR' as const,
          code: 'not_confirmed_by_portal',
          detail: why,
        })),
      );
      return rows.map((r) => r.id);
    });
  }

  /** Deleted in Bitrix24 before it went: its parts still to send are cancelled, traced. */
  async deleted(portalId: number, imMessageId: number): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const rows = await trx
        .updateTable('messages')
        .set({ status: 'deleted', updated_at: sql`now()` })
        .where('portal_id', '=', portalId)
        .where('direction', '=', 'out')
        .where('bitrix_message_id', '=', imMessageId)
        .where('status', 'in', STILL_TO_SEND)
        .where('gupshup_message_id', 'is', null)
        .returning(['id', 'channel_id'])
        .execute();
      await writeTrace(
        trx,
        ...rows.map((r) => ({
          portalId,
          channelId: r.channel_id,
          messageId: r.id,
          direction: 'out' as const,
          step: 'cancelled_before_send' as const,
          detail: `Bitrix24 message ${imMessageId} was deleted in the chat before it was sent`,
        })),
      );
    });
  }

  /** A trace row for one part (the check was delayed). */
  trace(e: Parameters<typeof writeTrace>[1]): Promise<void> {
    return writeTrace(this.db, e);
  }
}

/**
 * Bitrix24 sends a message the read-back refused for one part: an event forged ahead of a real message
 * (its id guessed) must not keep the real one from going. The refused part takes this event's content
 * and is checked again; its finished jobs are removed, so the caller enqueues them anew under the same
 * keys (the file's download before the send). Returns the part, or undefined when none was refused.
 */
export async function reviveRefused(
  trx: Transaction<DB>,
  at: { portalId: number; channelId: string; conversationId: number },
  m: { imMessageId: number; imChatId: number },
  part: number,
  v: { type: string; content: string },
): Promise<{ id: number } | undefined> {
  const row = await trx
    .updateTable('messages')
    .set({
      channel_id: at.channelId,
      conversation_id: at.conversationId,
      bitrix_chat_id: m.imChatId,
      type: v.type,
      content: v.content,
      status: 'queued',
      error_code: null,
      error_detail: null,
      failed_at: null,
      portal_confirmed: null,
      updated_at: sql`now()`,
    })
    .where('portal_id', '=', at.portalId)
    .where('direction', '=', 'out')
    .where('bitrix_message_id', '=', m.imMessageId)
    .where('part', '=', part)
    .where('status', '=', 'failed')
    .where('error_code', '=', 'not_confirmed_by_portal')
    .where('gupshup_message_id', 'is', null)
    .returning('id')
    .executeTakeFirst();
  if (!row) return undefined;
  await trx
    .deleteFrom('jobs')
    .where('dedupe_key', 'in', [`out:${row.id}`, `outmedia:${row.id}`])
    .where('status', 'in', ['done', 'dead', 'cancelled'])
    .execute();
  return row;
}
