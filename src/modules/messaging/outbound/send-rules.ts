/**
 * The rules of an `outbound.send` (docs/architecture.md, "Failures the agent sees" and "Exactly
 * once"), pure so they can be checked without a database or Gupshup.
 */

/** WhatsApp's customer service window: free text only within 24 h of the customer's last message. */
export const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

/** Whether free text may go: the customer wrote within the last 24 hours (never wrote: closed). */
export function windowOpen(lastInboundAt: Date | null, now: number): boolean {
  return now - (lastInboundAt?.getTime() ?? 0) <= SERVICE_WINDOW_MS;
}

export type InFlight = { kind: 'clear' } | { kind: 'wait'; delayMs: number } | { kind: 'resend' };

/**
 * A send whose in-flight mark is still set may have reached Gupshup, which has no lookup: within the
 * grace period the job waits for Gupshup's `enqueued`/`failed` event to be adopted (checking every
 * 5 s at most); after it, the earlier attempt did not reach Gupshup and the message is sent again.
 */
export function inFlightSend(attemptStartedAt: Date | null, now: number, graceMs: number): InFlight {
  if (!attemptStartedAt) return { kind: 'clear' };
  const age = now - attemptStartedAt.getTime();
  if (age < graceMs) return { kind: 'wait', delayMs: Math.min(graceMs - age + 50, 5_000) };
  return { kind: 'resend' };
}
