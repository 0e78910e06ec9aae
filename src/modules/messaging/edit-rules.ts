import { createHash } from 'node:crypto';
import type { OperatorChange } from '../../integrations/bitrix24/events.js';

/**
 * What an operator's edit or deletion does to the parts of a message (docs/architecture.md, "Edits
 * and deletions"), pure so it can be checked without a database. WhatsApp can neither edit nor delete
 * a message once sent: a part not sent yet is changed or cancelled; a part that went (or is on its
 * way) stays, and the agents get one note saying the customer keeps the original.
 */

export type ChangeKind = 'update' | 'delete';

/** What the rules read of a part. */
export interface PartState {
  id: number;
  status: string;
  content: unknown;
  gupshup_message_id: string | null;
  attempt_started_at: Date | null;
}

export interface EditPlan<P> {
  /** Parts not sent yet: their text is replaced (update) or they are cancelled (delete). */
  change: P[];
  changeStep: 'edited_before_send' | 'cancelled_before_send';
  /** The first part that already went: traced and noted once. */
  tooLate?: { part: P; step: 'edit_not_possible' | 'delete_not_possible'; code: string; noteVariant: string };
}

/**
 * The parts a change is about: not settled (deleted, failed, skipped); for an update, the part that
 * holds the text (the text part, or the single file's caption).
 */
function concerned<P extends PartState>(kind: ChangeKind, parts: P[]): P[] {
  return parts.filter((p) => {
    if (p.status === 'deleted' || p.status === 'failed' || p.status === 'skipped') return false;
    const content = (p.content ?? {}) as { text?: string; file?: unknown };
    return kind !== 'update' || Boolean(content.text || (!content.file && parts.length === 1));
  });
}

/** Never attempted, no Gupshup id, still queued: it has not started to go if its send job is pending. */
function notStarted(p: PartState): boolean {
  return !p.gupshup_message_id && !p.attempt_started_at && p.status === 'queued';
}

/** The parts whose send job must be locked and checked (still pending?) before deciding. */
export function editCandidates<P extends PartState>(kind: ChangeKind, parts: P[]): P[] {
  return concerned(kind, parts).filter(notStarted);
}

/** `pending`: the candidates whose send job was found pending and is now locked. */
export function planEdit<P extends PartState>(
  kind: ChangeKind,
  c: OperatorChange,
  parts: P[],
  pending: ReadonlySet<number>,
): EditPlan<P> {
  const all = concerned(kind, parts);
  const change = all.filter((p) => pending.has(p.id));
  const sent = all.find((p) => !pending.has(p.id));
  const plan: EditPlan<P> = {
    change,
    changeStep: kind === 'update' ? 'edited_before_send' : 'cancelled_before_send',
  };
  if (sent) {
    plan.tooLate = {
      part: sent,
      step: kind === 'update' ? 'edit_not_possible' : 'delete_not_possible',
      code: kind === 'update' ? 'edit_after_send' : 'delete_after_send',
      noteVariant: noteKey(kind, c),
    };
  }
  return plan;
}

/**
 * One note per distinct change: Bitrix24 resending the same event adds nothing, a second edit with
 * new text gets its own note.
 */
function noteKey(kind: ChangeKind, c: OperatorChange): string {
  if (kind === 'delete') return 'delete';
  return createHash('sha256')
    .update(c.text ?? '')
    .digest('hex')
    .slice(0, 16);
}
