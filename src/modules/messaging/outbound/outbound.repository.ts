import { sql, type Kysely, type Transaction } from 'kysely';
import { enqueueJob } from '../../../jobs/jobs.repository.js';
import type { DB } from '../../../shared/db/schema.js';
import { writeTrace } from '../../trace/trace.service.js';
import { reviveRefused } from './confirm.repository.js';
import type { PlannedPart } from './parts.js';

type Trx = Transaction<DB>;

/** Where an operator message's parts go. */
interface PartsAt {
  portalId: number;
  channelId: string;
  conversationId: number;
}

/** The Bitrix24 message the parts belong to. */
interface PartsOf {
  imMessageId: number;
  imChatId: number;
  userId: number | null;
}

/** The operator side's statements: storing Bitrix24's messages as parts, claiming and recording sends. */
export class OutboundRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** The portal's channel serving an open line, if it is on. */
  channelForLine(portalId: number, line: number) {
    return this.db
      .selectFrom('channels')
      .select(['id', 'status'])
      .where('portal_id', '=', portalId)
      .where('line_id', '=', line)
      .where('status', 'in', ['active', 'interrupted'])
      .executeTakeFirst();
  }

  /** The conversation with this number on the channel, created on first use. */
  async conversation(trx: Trx, portalId: number, channelId: string, phone: string): Promise<number> {
    const row = await trx
      .insertInto('conversations')
      .values({
        portal_id: portalId,
        channel_id: channelId,
        customer_phone: phone,
        customer_name: null,
        last_inbound_at: null,
      })
      .onConflict((oc) =>
        oc.columns(['channel_id', 'customer_phone']).doUpdateSet({
          customer_name: sql`coalesce(excluded.customer_name, conversations.customer_name)`,
          last_inbound_at: sql`greatest(excluded.last_inbound_at, conversations.last_inbound_at)`,
        }),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /**
   * Stores one operator message as its parts, inside the webhook's transaction: a row per part (unique
   * per Bitrix24 message and part, so a repeated event adds nothing), an `outbound.media` job before the
   * send for a file, an `outbound.send` job, all in the chat's order, and the trace. Returns how many
   * parts were new.
   */
  async storeParts(trx: Trx, at: PartsAt, m: PartsOf, parts: PlannedPart[]): Promise<number> {
    let stored = 0;
    for (const [part, p] of parts.entries()) {
      if (await this.#storePart(trx, at, m, p, { part, of: parts.length })) stored++;
    }
    return stored;
  }

  async #storePart(
    trx: Trx,
    at: PartsAt,
    m: PartsOf,
    p: PlannedPart,
    { part, of }: { part: number; of: number },
  ): Promise<boolean> {
    const { portalId, channelId } = at;
    const content = JSON.stringify({
      text: p.text,
      ...(p.file ? { file: p.file } : {}),
      operatorId: m.userId,
    });
    const inserted = await trx
      .insertInto('messages')
      .values({
        portal_id: portalId,
        channel_id: channelId,
        conversation_id: at.conversationId,
        direction: 'out',
        type: p.type,
        status: 'queued',
        content,
        bitrix_message_id: m.imMessageId,
        bitrix_chat_id: m.imChatId,
        part,
      })
      .onConflict((oc) =>
        oc.columns(['portal_id', 'bitrix_message_id', 'part']).where('direction', '=', 'out').doNothing(),
      )
      .returning('id')
      .executeTakeFirst();
    // A part the portal did not confirm (a forged event that came first) yields to this event.
    const row = inserted ?? (await reviveRefused(trx, at, m, part, { type: p.type, content }));
    if (!row) return false;
    const payload = { messageId: row.id, channelId };
    const chatKey = `out:${at.conversationId}`;
    if (p.file) {
      await enqueueJob(trx, {
        topic: 'outbound.media',
        portalId,
        payload,
        dedupeKey: `outmedia:${row.id}`,
        chatKey,
      });
    }
    await enqueueJob(trx, { topic: 'outbound.send', portalId, payload, dedupeKey: `out:${row.id}`, chatKey });
    const detail = `Bitrix24 message ${m.imMessageId}${of > 1 ? `, part ${part + 1} of ${of}` : ''}`;
    await writeTrace(
      trx,
      { portalId, channelId, messageId: row.id, direction: 'out', step: 'received', detail },
      { portalId, channelId, messageId: row.id, direction: 'out', step: 'queued' },
    );
    return true;
  }

  /** Sets the in-flight mark before the send, in its own commit; false when the message already went. */
  async claimSend(id: number): Promise<boolean> {
    const claimed = await this.db
      .updateTable('messages')
      .set({ attempt_started_at: sql`now()`, status: 'sending', updated_at: sql`now()` })
      .where('id', '=', id)
      .where('gupshup_message_id', 'is', null)
      .executeTakeFirst();
    return Number(claimed.numUpdatedRows) > 0;
  }

  /** Gupshup answered with a refusal: the message was not taken. */
  async releaseSend(id: number): Promise<void> {
    await this.db
      .updateTable('messages')
      .set({ attempt_started_at: null, status: 'queued' })
      .where('id', '=', id)
      .execute();
  }

  async skip(id: number, code: string): Promise<void> {
    await this.db
      .updateTable('messages')
      .set({ status: 'skipped', error_code: code, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /**
   * The Gupshup ids of every part of one Bitrix24 message sent so far, in order: the delivery ack stores
   * them all on the Bitrix24 message (its `message.id` is an array, reference/bitrix24.md §3.9).
   */
  async sentPartIds(portalId: number, bitrixMessageId: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('messages')
      .select('gupshup_message_id')
      .where('portal_id', '=', portalId)
      .where('direction', '=', 'out')
      .where('bitrix_message_id', '=', bitrixMessageId)
      .where('gupshup_message_id', 'is not', null)
      .orderBy('part')
      .execute();
    return rows.flatMap((r) => (r.gupshup_message_id ? [r.gupshup_message_id] : []));
  }
}
