import type { StatusEvent } from '../../../integrations/gupshup/gupshup.webhook.js';
import type { JobHandler, JobOutcome } from '../../../jobs/worker.js';
import type { Transaction } from 'kysely';
import type { DB, JobRow } from '../../../shared/db/schema.js';
import { writeTrace } from '../../trace/trace.service.js';
import type { MessagesRepository } from '../messages.repository.js';
import type { SendCharge } from '../outbound/charge.js';
import type { RelayChannels } from '../ports.js';
import { adoptionWindow, mayAdopt, statusChange, type StatusChange } from './status-rules.js';
import type { StatusesRepository, StatusTarget } from './statuses.repository.js';

export interface StatusesDeps {
  messages: MessagesRepository;
  statuses: StatusesRepository;
  channels: Pick<RelayChannels, 'interrupt'>;
  nudge: () => void;
  /** A failed message's unit is given back (outbound/charge.ts). */
  charge?: Pick<SendCharge, 'release'> | undefined;
  /** A message failed for good, in the transaction that records it (the SMS fallback, sms/fallback.ts). */
  onFailed?: SendFailedHook | undefined;
}

export type SendFailedHook = (
  trx: Transaction<DB>,
  m: { messageId: number; portalId: number; channelId: string; code: string },
) => Promise<boolean>;

/**
 * Gupshup's message-events onto operator messages. The webhook stores each as a `status.apply` job;
 * the job matches it by `gsId`, else `id` (enqueued and synchronous failures), else adopts it onto
 * the one message to that number still in flight (the send whose answer was lost). Statuses never go
 * backwards (status-rules.ts).
 */
export class StatusesService {
  constructor(private readonly d: StatusesDeps) {}

  /** A Gupshup message-event: stored as a job, applied by `job()` (events arrive late and unordered). */
  async accept(channel: { id: string; portalId: number }, s: StatusEvent): Promise<void> {
    await this.d.statuses.enqueue(channel, s);
    this.d.nudge();
  }

  /** status.apply: a Gupshup message-event onto our message; statuses never go backwards. */
  job(): JobHandler {
    return {
      run: (job) => this.#apply(job),
      onDead: async (job, error) => {
        if (job.portal_id === null) return;
        const p = job.payload as { channelId?: string; event?: StatusEvent };
        await this.d.messages.trace({
          portalId: job.portal_id,
          channelId: p.channelId ?? null,
          direction: 'out',
          step: 'status_unmatched',
          level: 'WARN',
          code: p.event?.status ?? null,
          detail: `${error}; Gupshup id ${p.event?.gupshupId ?? '?'}`,
        });
      },
    };
  }

  async #apply(job: JobRow): Promise<JobOutcome> {
    const { channelId, event: s } = job.payload as { channelId: string; event: StatusEvent };
    let m = await this.d.statuses.findForEvent(channelId, s);
    if (!m && mayAdopt(s)) m = await this.#adopt(channelId, s);
    if (!m) return { kind: 'retry', error: `no message with Gupshup id yet (${s.status})`, delayMs: 2_000 };
    if (m.status === 'deleted') return { kind: 'done' };
    const target = m;
    const change = statusChange(target.status, s.status);
    await this.d.messages.transaction((trx) => this.#record(trx, channelId, target, s, change));
    if (change.advances && change.isFailure) await this.d.charge?.release(target.id);
    return { kind: 'done' };
  }

  async #record(
    trx: Transaction<DB>,
    channelId: string,
    m: StatusTarget,
    s: StatusEvent,
    { advances, isFailure }: StatusChange,
  ): Promise<void> {
    if (advances) {
      await this.d.statuses.setStatus(trx, m.id, s);
      if (isFailure) await this.d.messages.queueNoteFor(m.id, s.code ?? 'failed', trx);
      if (isFailure && this.d.onFailed) {
        const queued = await this.d.onFailed(trx, {
          messageId: m.id,
          portalId: m.portal_id,
          channelId,
          code: s.code ?? 'failed',
        });
        if (queued) this.d.nudge();
      }
      if (isFailure && s.code === '1003') await this.d.channels.interrupt(channelId, 'wallet_empty', trx);
    }
    const waId = s.whatsappMessageId ?? (s.hasGsId ? s.id : undefined);
    if (waId) await this.d.statuses.recordWhatsAppId(trx, m.id, waId);
    await writeTrace(trx, {
      portalId: m.portal_id,
      channelId,
      messageId: m.id,
      direction: 'out',
      step: `status_${s.status}`,
      level: isFailure ? 'ERROR' : 'INFO',
      code: isFailure ? (s.code ?? null) : null,
      detail: isFailure
        ? (s.reason ?? null)
        : advances
          ? null
          : `arrived after ${m.status}; kept ${m.status}`,
    });
  }

  /**
   * An event for a Gupshup id we never recorded: the send whose answer was lost. It belongs to the one
   * message to that number still marked in flight on this channel (chats send one at a time).
   */
  async #adopt(channelId: string, s: StatusEvent): Promise<StatusTarget | undefined> {
    if (!s.destination) return undefined;
    const { from, to } = adoptionWindow(s);
    const candidates = await this.d.statuses.inFlightTo(
      channelId,
      s.destination.replace(/\D/g, ''),
      from,
      to,
    );
    const [c] = candidates;
    if (candidates.length !== 1 || !c) return undefined;
    const adopted = await this.d.messages.recordSubmitted(
      c.id,
      c.portal_id,
      channelId,
      s.gupshupId,
      'sent_upstream_confirmed',
    );
    if (!adopted) return undefined;
    this.d.nudge();
    return this.d.statuses.byId(c.id);
  }
}
