import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Log as Logger } from '../../shared/logger.js';
import type { DB } from '../../shared/db/schema.js';
import { writeTrace } from '../trace/trace.service.js';
import { queueAgentNote } from './agent-notes.js';

/**
 * OnImConnectorMessageUpdate / OnImConnectorMessageDelete (reference/bitrix24.md §4.2, §4.3): an
 * operator edited or deleted a message in the open line. WhatsApp (the Gupshup API) can neither edit
 * nor delete a message once sent, so:
 * - a part not sent yet (its `outbound.send` job still pending and never attempted) is changed or
 *   cancelled before it goes; the job row is locked while this happens, so the worker either sees the
 *   change or has already claimed the job, never half of it;
 * - a part already sent (or on its way) stays as it is: the agent gets a note in the chat saying the
 *   customer still sees the original, and the trace records it.
 */
export interface OperatorChange {
  imMessageId: number;
  /** New BB-code text (updates only). */
  text?: string;
}

type Trx = Transaction<DB>;

export class OperatorEditsService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly nudge: () => void,
  ) {}

  async accept(
    portalId: number,
    kind: 'update' | 'delete',
    changes: OperatorChange[],
    log: Logger,
  ): Promise<{ changed: number; tooLate: number; unknown: number }> {
    const out = { changed: 0, tooLate: 0, unknown: 0 };
    // A delete event has one element per external id we stored (a split message has several).
    const byMessage = new Map(changes.map((c) => [c.imMessageId, c]));
    for (const c of byMessage.values()) {
      const r = await this.db.transaction().execute((trx) => this.#one(trx, portalId, kind, c));
      out[r]++;
    }
    if (out.tooLate || out.changed) this.nudge();
    log.info({ portalId, kind, ...out }, 'Operator message change handled.');
    return out;
  }

  async #one(
    trx: Trx,
    portalId: number,
    kind: 'update' | 'delete',
    c: OperatorChange,
  ): Promise<'changed' | 'tooLate' | 'unknown'> {
    // An update that carries no text says nothing about the new text: it must not blank the message.
    if (kind === 'update' && typeof c.text !== 'string') return 'unknown';
    const parts = await trx
      .selectFrom('messages')
      .select(['id', 'channel_id', 'status', 'content', 'gupshup_message_id', 'attempt_started_at', 'part'])
      .where('portal_id', '=', portalId)
      .where('direction', '=', 'out')
      .where('bitrix_message_id', '=', c.imMessageId)
      .orderBy('part')
      .forUpdate()
      .execute();
    if (parts.length === 0) {
      await writeTrace(trx, {
        portalId,
        direction: 'out',
        step: kind === 'update' ? 'edit_ignored' : 'delete_ignored',
        level: 'WARN',
        detail: `Bitrix24 message ${c.imMessageId} is not one this app sent`,
      });
      return 'unknown';
    }
    let sentPart: (typeof parts)[number] | undefined;
    let changed = false;
    for (const p of parts) {
      if (p.status === 'deleted' || p.status === 'failed' || p.status === 'skipped') continue;
      const content = (p.content ?? {}) as { text?: string; file?: unknown };
      // Updates change the text, which lives in one part: the text part or the single file's caption.
      if (kind === 'update' && !(content.text || (!content.file && parts.length === 1))) continue;
      const pending = await this.#lockPending(trx, p);
      if (!pending) {
        sentPart ??= p;
        continue;
      }
      changed = true;
      if (kind === 'update') {
        await trx
          .updateTable('messages')
          .set({
            content: sql`content || ${JSON.stringify({ text: c.text ?? '' })}::jsonb`,
            updated_at: sql`now()`,
          })
          .where('id', '=', p.id)
          .execute();
      } else {
        await trx
          .updateTable('messages')
          .set({ status: 'deleted', updated_at: sql`now()` })
          .where('id', '=', p.id)
          .execute();
        await trx
          .updateTable('jobs')
          .set({
            status: 'cancelled',
            last_error: 'deleted in Bitrix24 before sending',
            finished_at: sql`now()`,
            updated_at: sql`now()`,
          })
          .where('dedupe_key', 'in', [`out:${p.id}`, `outmedia:${p.id}`])
          .where('status', '=', 'pending')
          .execute();
      }
      await writeTrace(trx, {
        portalId,
        channelId: p.channel_id,
        messageId: p.id,
        direction: 'out',
        step: kind === 'update' ? 'edited_before_send' : 'cancelled_before_send',
        detail: `Bitrix24 message ${c.imMessageId}`,
      });
    }
    if (sentPart) {
      const code = kind === 'update' ? 'edit_after_send' : 'delete_after_send';
      await writeTrace(trx, {
        portalId,
        channelId: sentPart.channel_id,
        messageId: sentPart.id,
        direction: 'out',
        step: kind === 'update' ? 'edit_not_possible' : 'delete_not_possible',
        level: 'WARN',
        code,
        detail: 'WhatsApp cannot change a message once sent; the customer keeps the original',
      });
      await queueAgentNote(trx, {
        messageId: sentPart.id,
        portalId,
        channelId: sentPart.channel_id,
        code,
        variant: noteKey(kind, c),
      });
      return 'tooLate';
    }
    return changed ? 'changed' : 'unknown';
  }

  /**
   * True when the part has not started to go: never attempted, no Gupshup id, and its send job is
   * still pending. The job row stays locked until the transaction ends, so the worker cannot claim it
   * in between (its claim skips locked rows).
   */
  async #lockPending(
    trx: Trx,
    p: { id: number; status: string; gupshup_message_id: string | null; attempt_started_at: Date | null },
  ): Promise<boolean> {
    if (p.gupshup_message_id || p.attempt_started_at || p.status !== 'queued') return false;
    const job = await trx
      .selectFrom('jobs')
      .select(['id', 'status', 'attempts'])
      .where('dedupe_key', '=', `out:${p.id}`)
      .forUpdate()
      .executeTakeFirst();
    return job?.status === 'pending';
  }
}

/**
 * One note per distinct change: Bitrix24 resending the same event adds nothing, a second edit with
 * new text gets its own note.
 */
function noteKey(kind: 'update' | 'delete', c: OperatorChange): string {
  if (kind === 'delete') return 'delete';
  return createHash('sha256')
    .update(c.text ?? '')
    .digest('hex')
    .slice(0, 16);
}
