import type { StatusEvent } from '../../../integrations/gupshup/gupshup.webhook.js';
import { outcomeOf, type JobHandler, type JobOutcome } from '../../../jobs/worker.js';
import type { Log as Logger } from '../../../shared/logger.js';
import type { Transaction } from 'kysely';
import type { DB, JobRow } from '../../../shared/db/schema.js';
import { retryOnConflict } from '../../../shared/db/retry.js';
import { writeTrace, type TraceEntry } from '../../trace/trace.service.js';
import type { MessagesRepository } from '../messages.repository.js';
import type { SendCharge } from '../outbound/charge.js';
import type { RelayChannels } from '../ports.js';
import { adoptionWindow, foldStatuses, mayAdopt, statusChange, type StatusChange } from './status-rules.js';
import type { StatusBatchTarget, StatusesRepository, StatusTarget } from './statuses.repository.js';

/** status.apply jobs of one channel applied together (a campaign's 3-4 events per message). */
const STATUS_BATCH = 100;

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
      batch: { size: STATUS_BATCH, run: (jobs, log) => this.#applyBatch(jobs, log) },
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

  /**
   * A channel's status.apply jobs together. The plain ones (a message found, not deleted, no failure
   * among its events in the batch) are applied in a few statements for the whole batch, each message's
   * events folded in job order by the same rules as `#apply`, and their jobs completed in that
   * transaction; it throws to the worker, which retries the batch, before anything else ran. Every
   * other job (failures, adoption, no message yet, deleted, an event matching two messages), and every
   * job of a message one of them names, then goes through `#apply` one by one, unchanged.
   */
  async #applyBatch(jobs: JobRow[], log: Logger): Promise<JobOutcome[]> {
    const items = jobs
      .map((job, index) => {
        const p = job.payload as { channelId: string; event: StatusEvent };
        return { job, index, channelId: p.channelId, s: p.event };
      })
      .sort((a, b) => Number(a.job.id) - Number(b.job.id));
    const channelId = items[0]?.channelId;
    const outcomes: Array<JobOutcome | undefined> = jobs.map(() => undefined);
    const mine = items.filter((x) => x.channelId === channelId);
    const found = channelId
      ? await this.d.statuses.findForEvents(
          channelId,
          mine.map((x) => x.s),
        )
      : [];
    const matched = new Map<number, StatusBatchTarget>();
    const singleMessages = new Set<number>();
    for (const x of mine) {
      const ms = found.filter((m) => m.gupshup_message_id === x.s.gupshupId || m.wa_message_id === x.s.id);
      const [m] = ms;
      if (ms.length === 1 && m && m.status !== 'deleted' && !statusChange(m.status, x.s.status).isFailure) {
        matched.set(x.index, m);
      } else {
        for (const other of ms) singleMessages.add(other.id);
      }
    }
    // Per message, its plain events in job order.
    const byMessage = new Map<number, { m: StatusBatchTarget; events: typeof items }>();
    for (const x of items) {
      const m = matched.get(x.index);
      if (!m || singleMessages.has(m.id)) continue;
      const g = byMessage.get(m.id) ?? { m, events: [] };
      g.events.push(x);
      byMessage.set(m.id, g);
    }
    if (byMessage.size > 0 && channelId) {
      const workerId = jobs[0]?.locked_by ?? '';
      const completed = await retryOnConflict(() =>
        this.d.messages.transaction(async (trx) => {
          // Decided on the statuses as of the lock, not as read above: another worker may have
          // applied an event of the same message meanwhile.
          const current = await this.d.statuses.lockStatuses(trx, [...byMessage.keys()]);
          const statuses: Array<{ id: number; status: string; delivered: boolean; read: boolean }> = [];
          const waIds: Array<{ id: number; waId: string }> = [];
          const trace: TraceEntry[] = [];
          const ids: number[] = [];
          for (const { m, events } of byMessage.values()) {
            const now = current.get(m.id) ?? 'deleted';
            if (now === 'deleted') {
              // Deleted meanwhile: nothing to apply, as `#apply` does.
              ids.push(...events.map((x) => x.job.id));
              continue;
            }
            const folded = foldStatuses(
              now,
              events.map((x) => x.s.status),
            );
            if (folded.status !== now) {
              statuses.push({
                id: m.id,
                status: folded.status,
                delivered: folded.delivered,
                read: folded.read,
              });
            }
            const waId = events
              .map((x) => x.s.whatsappMessageId ?? (x.s.hasGsId ? x.s.id : undefined))
              .find((w) => w !== undefined);
            if (waId) waIds.push({ id: m.id, waId });
            for (const [i, x] of events.entries()) {
              const step = folded.steps[i];
              if (!step) continue;
              ids.push(x.job.id);
              trace.push({
                portalId: m.portal_id,
                channelId,
                messageId: m.id,
                direction: 'out',
                step: `status_${x.s.status}`,
                level: 'INFO',
                code: null,
                detail: step.advances ? null : `arrived after ${step.found}; kept ${step.found}`,
              });
            }
          }
          await this.d.statuses.setStatuses(trx, statuses);
          await this.d.statuses.recordWhatsAppIds(trx, waIds);
          await writeTrace(trx, ...trace);
          return new Set(await this.d.statuses.completeJobs(trx, ids, workerId));
        }),
      );
      for (const { events } of byMessage.values()) {
        for (const x of events) {
          // A job not completed here is no longer this worker's (its lease ran out): its holder does it.
          outcomes[x.index] = completed.has(x.job.id)
            ? { kind: 'done', recorded: true }
            : { kind: 'retry', error: 'lease lost', countAttempt: false };
        }
      }
    }
    for (const x of items) {
      if (outcomes[x.index]) continue;
      try {
        outcomes[x.index] = await this.#apply(x.job);
      } catch (err) {
        log.error({ err, job: x.job.id }, 'status.apply failed; it will be retried.');
        outcomes[x.index] = outcomeOf(err);
      }
    }
    return outcomes.map((o) => o ?? { kind: 'retry', error: 'no outcome' });
  }

  async #apply(job: JobRow): Promise<JobOutcome> {
    const { channelId, event: s } = job.payload as { channelId: string; event: StatusEvent };
    let m = await this.d.statuses.findForEvent(channelId, s);
    if (!m && mayAdopt(s)) m = await this.#adopt(channelId, s);
    if (!m) return { kind: 'retry', error: `no message with Gupshup id yet (${s.status})`, delayMs: 2_000 };
    if (m.status === 'deleted') return { kind: 'done' };
    const target = m;
    const change = await retryOnConflict(() =>
      this.d.messages.transaction(async (trx) => {
        // Decided on the status as of the lock: an event of the same message applied at the same time
        // by another worker slot would otherwise be overwritten, and the status could move backwards.
        const now = (await this.d.statuses.lockStatuses(trx, [target.id])).get(target.id);
        if (now === undefined || now === 'deleted') return undefined;
        const c = statusChange(now, s.status);
        await this.#record(trx, channelId, { ...target, status: now }, s, c);
        return c;
      }),
    );
    if (change?.advances && change.isFailure) await this.d.charge?.release(target.id);
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
