import type { BillingEvent } from '../../../integrations/gupshup/gupshup.webhook.js';
import { enqueueJob } from '../../../jobs/jobs.repository.js';
import type { JobHandler, JobOutcome } from '../../../jobs/worker.js';
import type { JobRow } from '../../../shared/db/schema.js';
import type { SendCharge } from '../outbound/charge.js';
import type { ChargeRepository } from '../outbound/charge.repository.js';

/** An event that names no message of ours after this many looks is dropped (forged, or not ours). */
const MAX_LOOKS = 5;

/**
 * Gupshup's billing events (reference gupshup.md §3.6) settle the unit reserved for the message they
 * name. Stored as a `billing.event` job (the same event twice is one job), matched by Gupshup's id
 * within the channel whose callback URL it came to (an event can arrive before the send's answer is
 * recorded: the job looks again). Settling is once per reservation: a duplicate, late or replayed
 * event changes nothing, and an event naming another channel's message matches nothing.
 */
export class BillingEvents {
  constructor(private readonly d: { charge: SendCharge; repo: ChargeRepository; nudge: () => void }) {}

  async accept(channel: { id: string; portalId: number }, e: BillingEvent): Promise<void> {
    if (!this.d.charge.enforced) return;
    await enqueueJob(this.d.repo.db, {
      topic: 'billing.event',
      portalId: channel.portalId,
      payload: { channelId: channel.id, event: e },
      dedupeKey: `bill:${channel.id}:${e.gupshupId ?? ''}:${e.whatsappId ?? ''}`,
    });
    this.d.nudge();
  }

  job(): JobHandler {
    return { run: (job) => this.#apply(job) };
  }

  async #apply(job: JobRow): Promise<JobOutcome> {
    const { channelId, event: e } = job.payload as { channelId: string; event: BillingEvent };
    const m = await this.d.repo.forEvent(channelId, e.gupshupId, e.whatsappId);
    if (!m) {
      return job.attempts >= MAX_LOOKS
        ? { kind: 'cancel', reason: 'billing event names no message of this channel' }
        : { kind: 'retry', error: 'no message with this Gupshup id yet (billing event)', delayMs: 2_000 };
    }
    const what = [e.model, e.category, e.billable ? 'billable' : 'not billable by Meta'].filter(Boolean);
    await this.d.charge.settle(m, `Gupshup billing event (${what.join(', ')})`);
    return { kind: 'done' };
  }
}
