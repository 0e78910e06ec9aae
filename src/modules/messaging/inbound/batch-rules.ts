import type { ElementResult } from '../../../integrations/bitrix24/bitrix24.connector.js';
import type { JobOutcome } from '../../../jobs/worker.js';
import { ProviderError } from '../../../shared/errors.js';
import { IN_FLIGHT_CALL_MS } from '../job-support.js';

/**
 * The rules of an `inbound.deliver` batch (docs/architecture.md, "Batches" and "Exactly once"), pure
 * so they can be checked without a database or a portal.
 */

/** What the triage reads of a message. */
export interface InboundState {
  status: string;
  portal_status: string;
  channel_status: string;
  channel_line: number | null;
  conversation_id: number;
  attempt_started_at: Date | null;
}

export type Triage<T> = { kind: 'send'; m: T; line: number } | { kind: 'outcome'; outcome: JobOutcome };

/**
 * What becomes of one message of a batch before any call: settled already, held back, or sent on its
 * line. `heldChats` carries the chats held so far in this batch: a chat whose earlier message is held
 * back holds back its later ones too (order within a chat).
 */
export function triageInbound<T extends InboundState>(
  m: T | undefined,
  heldChats: Set<number>,
  now: number,
  inFlightGraceMs: number,
): Triage<T> {
  const outcome = (o: JobOutcome): Triage<T> => ({ kind: 'outcome', outcome: o });
  if (!m) return outcome({ kind: 'dead', error: 'message not found' });
  if (m.status === 'delivered') return outcome({ kind: 'done' });
  if (m.portal_status === 'uninstalled') return outcome({ kind: 'cancel', reason: 'portal uninstalled' });
  const usable = m.channel_status === 'active' || m.channel_status === 'interrupted';
  const line = usable ? m.channel_line : null;
  if (!line) return outcome({ kind: 'dead', error: 'channel_inactive: the channel has no active open line' });
  if (heldChats.has(m.conversation_id)) {
    return outcome({
      kind: 'retry',
      error: 'waiting for an earlier message of the same chat',
      delayMs: 250,
      countAttempt: false,
    });
  }
  if (m.attempt_started_at) {
    // Another worker's call may still be on its way (a lease can only be lost by a dead worker, but
    // a timed-out request can land late): ask only once every call started then must have ended.
    const age = now - m.attempt_started_at.getTime();
    const settle = Math.min(inFlightGraceMs, IN_FLIGHT_CALL_MS);
    if (age < settle) {
      heldChats.add(m.conversation_id);
      return outcome({
        kind: 'retry',
        error: 'awaiting_confirmation: an earlier delivery may still be in flight',
        delayMs: settle - age + 50,
        countAttempt: false,
      });
    }
  }
  return { kind: 'send', m, line };
}

export type ElementVerdict =
  | { kind: 'delivered'; chatId: number | null }
  | { kind: 'unknown'; outcome: JobOutcome }
  | { kind: 'refused'; error: string; outcome: JobOutcome };

/**
 * Each element of Bitrix24's answer decides its own message: delivered is done; refused is retried
 * (alone: the others are not); without a readable verdict it may have been taken, so it is reconciled
 * like a crash (the in-flight mark stays) rather than resent.
 */
export function elementVerdict(r: ElementResult | undefined): ElementVerdict {
  if (r?.ok) return { kind: 'delivered', chatId: r.chatId };
  if (r?.unknown) {
    return {
      kind: 'unknown',
      outcome: { kind: 'retry', error: `outcome unknown: ${r.error}`, delayMs: 1_000, countAttempt: true },
    };
  }
  const error = r ? r.error : 'no result';
  return {
    kind: 'refused',
    error,
    outcome: { kind: 'retry', error: `Bitrix24 refused the message: ${error}` },
  };
}

/**
 * A call refused as a whole for good (a malformed element, a request too large) must not dead-letter
 * a batch of unrelated chats: its messages are tried one by one instead.
 */
export function sendOneByOne(err: unknown, batchSize: number): boolean {
  return err instanceof ProviderError && !err.retryable && batchSize > 1;
}

/**
 * Whether a failed call may still have reached Bitrix24. A definite answer (an HTTP status) and a
 * refusal before sending (our own rate budget, a database error before the request) mean it did not;
 * a transport failure (time-out, reset) leaves it unknown.
 */
export function requestMayHaveArrived(err: unknown): boolean {
  if (!(err instanceof ProviderError)) return false;
  if (err.status !== undefined || err.providerCode === 'LOCAL_RATE_LIMIT') return false;
  return true;
}
