import type { JobHandler, JobOutcome } from '../../../jobs/worker.js';
import type { JobRow } from '../../../shared/db/schema.js';
import type { MessageBilling, ReserveResult } from '../../billing/ports.js';
import type { LoadedMessage, MessagesRepository } from '../messages.repository.js';
import type { MessagingHooks, RelayChannels } from '../ports.js';
import type { ChargedMessage, ChargeRepository } from './charge.repository.js';

export interface ChargeDeps {
  billing: MessageBilling;
  repo: ChargeRepository;
  messages: Pick<MessagesRepository, 'trace' | 'queueNoteFor'>;
  channels: Pick<RelayChannels, 'interrupt'>;
  /** BILLING_ENFORCED: false → nothing is reserved, nothing is held. */
  enforced: boolean;
  /** BILLING_HOLD_HOURS: how long a message waits for units before it is dead-lettered. */
  holdMs: number;
  /** BILLING_SETTLE_AFTER_MINUTES: delivered this long with no billing event → settled by the sweep. */
  settleAfterMs: number;
  /** What a portal never credited gets at its first send. */
  trial: { units: number; validityDays: number };
  hooks?: MessagingHooks | undefined;
}

/** A held message looks again at least this often (a credit also wakes it at once: 0013's trigger). */
const HOLD_RECHECK_MS = 5 * 60_000;
const SWEEP_BATCH = 500;
/** A reservation this young may belong to a send in progress: the sweep leaves it alone. */
const ABANDONED_AFTER_MS = 10 * 60_000;

/** The codes a hold leaves on its message (the agents' notes and the trace show them). */
export const NO_UNITS = 'no_message_units';
export const HOLD_EXPIRED = 'hold_expired';

/**
 * The reservation's message ref: one per send of one WhatsApp message. It is the send job's dedupe
 * key (`out:<messageId>`, or `out:<messageId>:replay:<ms>` for a replay), so a retry of the job, or
 * the same job run again after a crash, finds its reservation (`exists`) and a replay pays anew.
 */
export function refFor(messageId: number, job: Pick<JobRow, 'dedupe_key'>): string {
  return job.dedupe_key?.startsWith(`out:${messageId}`) ? job.dedupe_key : `out:${messageId}`;
}

/**
 * Charging the send path (C8, docs/billing.md "The send path"): each WhatsApp message reserves one unit
 * before Gupshup's send; at zero balance the message is held (the agents are told, the channel shows
 * Interrupted `no_message_units`), sent when units come in, dead-lettered after BILLING_HOLD_HOURS.
 * The unit is settled on Gupshup's billing event or by the sweep once the message was delivered, and
 * released when the message will not go (a failure, a dead letter, a cancelled job).
 */
export class SendCharge {
  constructor(private readonly d: ChargeDeps) {}

  get enforced(): boolean {
    return this.d.enforced;
  }

  /** Before the send: undefined when the message may go (its unit reserved), else the held outcome. */
  async before(m: LoadedMessage, job: JobRow): Promise<JobOutcome | undefined> {
    if (!this.d.enforced) return undefined;
    let ref = refFor(m.id, job);
    let r = await this.#reserve(m, ref);
    if (r.outcome === 'exists' && r.state === 'released') {
      // Given back after an earlier failure of this very job: this send is a new one and pays anew.
      ref = `${ref}:${job.id}.${job.attempts}`;
      r = await this.#reserve(m, ref);
    }
    if (r.outcome === 'insufficient') {
      const { units, validityDays } = this.d.trial;
      // Reserve again whether this send started the trial or not: another send of the portal (a
      // digest's other recipients) may have started it between this reserve and now.
      await this.d.billing.startTrial(m.portal_id, units, validityDays);
      r = await this.#reserve(m, ref);
    }
    if (r.outcome === 'insufficient') return this.#hold(m);
    await this.d.hooks?.afterReserve?.(m.id);
    if (m.held_at) {
      await this.d.messages.trace({
        ...at(m),
        step: 'hold_released',
        detail: `message units available again after ${minutes(Date.now() - m.held_at.getTime())} min`,
      });
    }
    return undefined;
  }

  /** Reserve, and record on the message which reservation pays for it, in one transaction. */
  #reserve(m: LoadedMessage, ref: string): Promise<ReserveResult> {
    return this.d.repo.transaction(async (tx) => {
      const r = await this.d.billing.reserve(m.portal_id, ref, { channelId: m.channel_id, tx });
      // Nothing to record: no unit, or one this job had given back (the caller takes a new ref).
      if (r.outcome === 'insufficient' || r.state === 'released') return r;
      // A replay's new reservation replaces the old one: an old one still open is given back.
      if (m.billing_ref && m.billing_ref !== ref) {
        await this.d.billing.releaseMessage(m.portal_id, m.billing_ref, tx);
      }
      await this.d.repo.charged(tx, m.id, ref);
      if (r.outcome === 'reserved') await this.d.repo.scheduleSweep(tx, this.d.settleAfterMs);
      return r;
    });
  }

  async #hold(m: LoadedMessage): Promise<JobOutcome> {
    const h = await this.d.repo.hold(m.id);
    if (!h) return { kind: 'dead', error: 'message not found' };
    const hours = Math.round(this.d.holdMs / 3_600_000);
    if (h.first) {
      await this.d.messages.trace({
        ...at(m),
        step: 'held_no_units',
        level: 'WARN',
        code: NO_UNITS,
        detail: `no message units left: held until units are credited (at most ${hours} h)`,
      });
      await this.d.messages.queueNoteFor(m.id, NO_UNITS);
      await this.d.channels.interrupt(m.channel_id, NO_UNITS);
    }
    const waited = Date.now() - h.heldAt.getTime();
    if (waited >= this.d.holdMs) {
      return { kind: 'dead', error: `${HOLD_EXPIRED}: held ${hours} h with no message units` };
    }
    return {
      kind: 'retry',
      error: `held: ${NO_UNITS}`,
      delayMs: Math.min(this.d.holdMs - waited, HOLD_RECHECK_MS),
      countAttempt: false,
    };
  }

  /** The message will not go (failed for good, dead-lettered): its unit, if reserved, is given back. */
  async release(messageId: number): Promise<void> {
    const m = await this.d.repo.refOf(messageId);
    if (m) await this.#resolve(m, 'release', 'the message was not sent');
  }

  /** Gupshup billed the message (its billing event), or it was delivered with none in time. */
  async settle(m: ChargedMessage, why: string): Promise<void> {
    await this.#resolve(m, 'settle', why);
  }

  async #resolve(m: ChargedMessage, how: 'settle' | 'release', why: string): Promise<void> {
    if (!m.billing_ref) return;
    const r =
      how === 'settle'
        ? await this.d.billing.settleMessage(m.portal_id, m.billing_ref)
        : await this.d.billing.releaseMessage(m.portal_id, m.billing_ref);
    if (r?.outcome !== 'settled' && r?.outcome !== 'released') return;
    await this.d.messages.trace({
      portalId: m.portal_id,
      channelId: m.channel_id,
      messageId: m.id,
      direction: 'out',
      step: how === 'settle' ? 'unit_settled' : 'unit_released',
      detail: why,
    });
  }

  /**
   * billing.sweep: settles the units of messages delivered more than BILLING_SETTLE_AFTER_MINUTES ago
   * with no billing event, releases those of messages that will not be sent; comes back while any
   * reservation is open. Returns what it did.
   */
  async sweep(now = Date.now()): Promise<{ settled: number; released: number }> {
    let settled = 0;
    let released = 0;
    for (const m of await this.d.repo.deliveredUnbilled(new Date(now - this.d.settleAfterMs), SWEEP_BATCH)) {
      await this.settle(m, 'delivered, no billing event from Gupshup in time');
      settled++;
    }
    for (const m of await this.d.repo.abandoned(new Date(now - ABANDONED_AFTER_MS), SWEEP_BATCH)) {
      await this.#resolve(m, 'release', 'the message will not be sent');
      released++;
    }
    return { settled, released };
  }

  sweepJob(): JobHandler {
    return {
      run: async (_job, log) => {
        const r = await this.sweep();
        if (r.settled || r.released) log.info(r, 'Billing sweep resolved reservations.');
        if (await this.d.repo.anyOpen()) await this.d.repo.scheduleSweep(this.d.repo.db, 60_000);
        return { kind: 'done' };
      },
    };
  }
}

const at = (m: { portal_id: number; channel_id: string; id: number }) => ({
  portalId: m.portal_id,
  channelId: m.channel_id,
  messageId: m.id,
  direction: 'out' as const,
});

const minutes = (ms: number) => Math.max(0, Math.round(ms / 60_000));
