import type { Transaction } from 'kysely';
import type { DB } from '../../shared/db/schema.js';
import type { Log as Logger } from '../../shared/logger.js';
import { writeTrace } from '../trace/trace.service.js';
import type { OperatorChange } from '../../integrations/bitrix24/events.js';
import { editCandidates, planEdit, type ChangeKind } from './edit-rules.js';
import { queueAgentNote, type MessagesRepository } from './messages.repository.js';

type Trx = Transaction<DB>;

/**
 * OnImConnectorMessageUpdate / OnImConnectorMessageDelete (reference/bitrix24.md §4.2, §4.3): an
 * operator edited or deleted a message in the open line. WhatsApp (the Gupshup API) can neither edit
 * nor delete a message once sent, so (edit-rules.ts):
 * - a part not sent yet (its `outbound.send` job still pending and never attempted) is changed or
 *   cancelled before it goes; the job row is locked while this happens, so the worker either sees the
 *   change or has already claimed the job, never half of it;
 * - a part already sent (or on its way) stays as it is: the agent gets a note in the chat saying the
 *   customer still sees the original, and the trace records it.
 */
export class OperatorEditsService {
  constructor(
    private readonly repo: MessagesRepository,
    private readonly nudge: () => void,
  ) {}

  async accept(
    portalId: number,
    kind: ChangeKind,
    changes: OperatorChange[],
    log: Logger,
  ): Promise<{ changed: number; tooLate: number; unknown: number }> {
    const out = { changed: 0, tooLate: 0, unknown: 0 };
    // A delete event has one element per external id we stored (a split message has several).
    const byMessage = new Map(changes.map((c) => [c.imMessageId, c]));
    for (const c of byMessage.values()) {
      const r = await this.repo.transaction((trx) => this.#one(trx, portalId, kind, c));
      out[r]++;
    }
    if (out.tooLate || out.changed) this.nudge();
    log.info({ portalId, kind, ...out }, 'Operator message change handled.');
    return out;
  }

  async #one(
    trx: Trx,
    portalId: number,
    kind: ChangeKind,
    c: OperatorChange,
  ): Promise<'changed' | 'tooLate' | 'unknown'> {
    // An update that carries no text says nothing about the new text: it must not blank the message.
    if (kind === 'update' && typeof c.text !== 'string') return 'unknown';
    const parts = await this.repo.lockParts(trx, portalId, c.imMessageId);
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
    // The send jobs stay locked until the transaction ends: the worker's claim skips locked rows.
    const pending = new Set<number>();
    for (const p of editCandidates(kind, parts)) {
      if (await this.repo.lockPendingSend(trx, p.id)) pending.add(p.id);
    }
    const plan = planEdit(kind, c, parts, pending);
    for (const p of plan.change) {
      if (kind === 'update') await this.repo.replaceText(trx, p.id, c.text ?? '');
      else await this.repo.cancelPart(trx, p.id);
      await writeTrace(trx, {
        portalId,
        channelId: p.channel_id,
        messageId: p.id,
        direction: 'out',
        step: plan.changeStep,
        detail: `Bitrix24 message ${c.imMessageId}`,
      });
    }
    if (!plan.tooLate) return plan.change.length ? 'changed' : 'unknown';
    const { part, step, code, noteVariant } = plan.tooLate;
    await writeTrace(trx, {
      portalId,
      channelId: part.channel_id,
      messageId: part.id,
      direction: 'out',
      step,
      level: 'WARN',
      code,
      detail: 'WhatsApp cannot change a message once sent; the customer keeps the original',
    });
    await queueAgentNote(trx, {
      messageId: part.id,
      portalId,
      channelId: part.channel_id,
      code,
      variant: noteVariant,
    });
    return 'tooLate';
  }
}
