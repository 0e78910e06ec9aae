import type { StatusEvent } from '../../../integrations/gupshup/gupshup.webhook.js';
import { IN_FLIGHT_CALL_MS } from '../job-support.js';

/**
 * The rules of `status.apply` (docs/architecture.md, "Outbound" and "Exactly once"), pure so they can
 * be checked without a database: Gupshup's events arrive late, twice and out of order.
 */

const STATUS_RANK: Record<string, number> = {
  queued: 0,
  sending: 1,
  submitted: 2,
  enqueued: 3,
  sent: 4,
  delivered: 5,
  read: 6,
};

export interface StatusChange {
  /** The event moves the message forward (else it is only traced). */
  advances: boolean;
  isFailure: boolean;
}

/**
 * Statuses only move forward (`enqueued < sent < delivered < read`): a late `sent` never overrides
 * `read`. `failed` wins unless the message was already delivered; nothing moves a failed message.
 */
export function statusChange(current: string, incoming: string): StatusChange {
  const rank = STATUS_RANK[current] ?? 0;
  const isFailure = incoming === 'failed';
  const next = STATUS_RANK[incoming];
  const advances = isFailure
    ? rank < (STATUS_RANK.delivered ?? 5) && current !== 'failed'
    : next !== undefined && next > rank && current !== 'failed';
  return { advances, isFailure };
}

/**
 * Only the events Gupshup sends for its own message id right after accepting a send can name a send
 * whose answer we lost; sent/delivered/read may belong to messages sent outside this app.
 */
export function mayAdopt(s: StatusEvent): boolean {
  return !s.hasGsId && (s.status === 'enqueued' || s.status === 'failed');
}

/** The event was generated after the attempt began (5 s of clock skew allowed), and not long after. */
export function adoptionWindow(s: StatusEvent): { from: Date; to: Date } {
  return { from: new Date(s.timestampMs - IN_FLIGHT_CALL_MS - 60_000), to: new Date(s.timestampMs + 5_000) };
}

/** One message's events applied in order (`foldStatuses`). */
export interface FoldedStatuses {
  /** Per event, in order: the status it found and whether it moved the message on. */
  steps: Array<{ found: string; advances: boolean }>;
  /** The status after the last event. */
  status: string;
  /** A `delivered` / `read` event moved the message (their times are stamped, as `setStatus` does). */
  delivered: boolean;
  read: boolean;
}

/**
 * Several events of one message applied one after another by `statusChange`, as the single path
 * does job by job: statuses never go backwards, so the end status is the same in any order.
 */
export function foldStatuses(current: string, incoming: string[]): FoldedStatuses {
  let status = current;
  let delivered = false;
  let read = false;
  const steps = incoming.map((next) => {
    const { advances } = statusChange(status, next);
    const step = { found: status, advances };
    if (advances) {
      status = next;
      if (next === 'delivered') delivered = true;
      if (next === 'read') read = true;
    }
    return step;
  });
  return { steps, status, delivered, read };
}
