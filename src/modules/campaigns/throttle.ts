/**
 * How fast a campaign hands rows to the templates send service (docs/campaigns.md, "Sending"). Pure:
 * the dispatcher (dispatch.ts) gives it the clock and what it read from the database, and keeps the
 * state it returns. The rules:
 * - the allowed rate is the least of the campaign's own cap (messages per minute) and the channel's
 *   Gupshup budget (GUPSHUP_SEND_PER_SEC, the same bucket `gs:<channelId>` the outbound sends draw
 *   from), times the AIMD factor (halved at each Gupshup 429, recovered step by step);
 * - a token bucket at that rate, at most one second deep: a campaign that waited does not burst;
 * - chats first: nothing is handed while the channel has other outbound messages waiting;
 * - at most about one second of campaign messages waits to be sent, so a pause or a cancel acts
 *   within a second (what waits still goes; what was not handed stays 'ready');
 * - the messaging tier: no more new recipients than the tier leaves in the rolling 24 hours.
 */

/** How much of the allowed rate may wait in the send queue, in seconds. */
export const AHEAD_SECONDS = 1;
/** The shortest and longest pause between two dispatcher runs of a running campaign. */
export const MIN_WAIT_MS = 100;
export const MAX_WAIT_MS = 1_000;
/** While chats wait, the campaign looks again this soon. */
export const CHATS_WAIT_MS = 200;
/** AIMD: the factor never goes below this, and recovers by STEP every RECOVER_MS without a 429. */
export const MIN_FACTOR = 1 / 64;
export const RECOVER_STEP = 0.1;
export const RECOVER_MS = 10_000;
/** At most one halving in this time (a 429 stays in view that long). */
export const HALVE_EVERY_MS = 2_000;

export interface PaceState {
  /** Messages that may be handed now (fractional), as of `at`. */
  credit: number;
  /** When the credit was last computed (ms); null before the first run. */
  at: number | null;
}

export interface PaceInput {
  now: number;
  /** The campaign's own cap, messages per minute. */
  ratePerMinute: number;
  /** The channel's Gupshup budget, messages per second. */
  channelPerSec: number;
  /** AIMD factor, 0 < factor ≤ 1. */
  factor: number;
  state: PaceState;
  /** Campaign messages handed but not yet sent (their send jobs are open). */
  queuedAhead: number;
  /** Other outbound messages of the channel waiting to be sent (chats, API, notifications). */
  chatsWaiting: number;
  /** New recipients the messaging tier still allows in the rolling 24 h (Infinity: no limit). */
  tierLeft: number;
}

export type PaceReason = 'chats_first' | 'queue_full' | 'tier_limit' | null;

export interface PaceDecision {
  /** Rows to hand now. */
  take: number;
  state: PaceState;
  /** When to look again. */
  waitMs: number;
  reason: PaceReason;
  /** The rate the campaign may go at now, per second. */
  allowedPerSec: number;
}

export function allowedPerSec(ratePerMinute: number, channelPerSec: number, factor: number): number {
  return Math.min(ratePerMinute / 60, channelPerSec) * factor;
}

/** How many messages may wait in the send queue at this rate (at least one). */
export function aheadLimit(perSec: number): number {
  return Math.max(1, Math.ceil(perSec * AHEAD_SECONDS));
}

export function pace(i: PaceInput): PaceDecision {
  const rate = allowedPerSec(i.ratePerMinute, i.channelPerSec, i.factor);
  const depth = Math.max(1, rate * AHEAD_SECONDS);
  // The first run may hand one message at once; later runs earn credit with the time that passed.
  const earned = i.state.at === null ? 1 : (rate * Math.max(0, i.now - i.state.at)) / 1000;
  const credit = Math.min(depth, i.state.credit + earned);
  const state = { credit, at: i.now };
  const untilOne = (c: number) => clamp(((1 - c) / rate) * 1000);
  if (i.chatsWaiting > 0) {
    return { take: 0, state, waitMs: CHATS_WAIT_MS, reason: 'chats_first', allowedPerSec: rate };
  }
  if (i.tierLeft <= 0) return { take: 0, state, waitMs: 60_000, reason: 'tier_limit', allowedPerSec: rate };
  const room = aheadLimit(rate) - i.queuedAhead;
  const take = Math.max(0, Math.min(Math.floor(credit), room, i.tierLeft));
  const left = credit - take;
  state.credit = left;
  if (room <= 0 || (take === room && left >= 1)) {
    // The queue is full: one message leaves it every 1/channelPerSec seconds.
    return { take, state, waitMs: clamp(1000 / i.channelPerSec), reason: 'queue_full', allowedPerSec: rate };
  }
  return { take, state, waitMs: untilOne(left), reason: null, allowedPerSec: rate };
}

function clamp(ms: number): number {
  return Math.min(MAX_WAIT_MS, Math.max(MIN_WAIT_MS, Math.ceil(ms)));
}

export interface Aimd {
  factor: number;
  /** When the factor last changed (ms); null if never. */
  changedAt: number | null;
}

/**
 * Gupshup said 429 lately: halve (at most once per HALVE_EVERY_MS, not below MIN_FACTOR). Otherwise, once
 * RECOVER_MS passed since the last change, add RECOVER_STEP back (up to 1).
 */
export function adjust(a: Aimd, now: number, throttled: boolean): Aimd {
  if (throttled) {
    // The dispatcher reads the last seconds of the trace again at each look: one 429 halves once.
    if (a.changedAt !== null && a.factor < 1 && now - a.changedAt < HALVE_EVERY_MS) return a;
    return { factor: Math.max(MIN_FACTOR, a.factor / 2), changedAt: now };
  }
  if (a.factor < 1 && (a.changedAt === null || now - a.changedAt >= RECOVER_MS)) {
    return { factor: Math.min(1, a.factor + RECOVER_STEP), changedAt: now };
  }
  return a;
}
