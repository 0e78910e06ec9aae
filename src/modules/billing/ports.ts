import type { Transaction } from 'kysely';
import type { DB, ReservationState } from '../../shared/db/schema.js';

/**
 * What the send path needs from billing (outbound free text, templates, campaigns, notifications):
 * reserve one unit before a WhatsApp message is sent, settle it on Gupshup's billing event (or when
 * the message was delivered and no billing event came in time), release it when the send failed for
 * good. Every call is safe to repeat: a reservation is unique per (portal, message ref) and is settled
 * or released once. Pass `tx` to make the call part of the caller's transaction (e.g. the message's
 * status change); without it each call commits on its own.
 *
 * The messaging module imports this interface, not LedgerService.
 */
export interface MessageBilling {
  reserve(
    portalId: number,
    messageRef: string,
    o?: { units?: number; channelId?: string | null; tx?: Transaction<DB> },
  ): Promise<ReserveResult>;
  settle(reservationId: number, tx?: Transaction<DB>): Promise<ResolveResult>;
  release(reservationId: number, tx?: Transaction<DB>): Promise<ResolveResult>;
  /** By message ref: null when the message never had a reservation. */
  settleMessage(portalId: number, messageRef: string, tx?: Transaction<DB>): Promise<ResolveResult | null>;
  releaseMessage(portalId: number, messageRef: string, tx?: Transaction<DB>): Promise<ResolveResult | null>;
  /**
   * A portal that was never credited gets a trial lot (once ever: the credit's provider event is
   * `trial` / `trial:<portalId>`), so a fresh install can send. True when it was granted by this call.
   */
  startTrial(portalId: number, units: number, validityDays: number): Promise<boolean>;
}

/**
 * `reserved`: go ahead and send. `exists`: this message was reserved before (a retry): `state` says
 * whether it is still open (send), settled (it was sent and billed) or released (it failed). A
 * replayed message that should be billed again needs a new message ref. `insufficient`: not enough
 * units; nothing was reserved: hold the message.
 */
export interface ReserveResult {
  outcome: 'reserved' | 'exists' | 'insufficient';
  reservationId: number | null;
  state: ReservationState | null;
  /** Units left to reserve after this call. */
  available: number;
}

export interface ResolveResult {
  outcome: 'settled' | 'released' | 'already_settled' | 'already_released';
  reservationId: number;
  state: ReservationState;
}
