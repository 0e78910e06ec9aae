import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Log as Logger } from '../shared/logger.js';
import { ProviderError } from '../shared/errors.js';
import type { DB, JobRow } from '../shared/db/schema.js';
import { batchKey, claimJobs, completeJob, extendLease, killJob, retryJob } from './jobs.repository.js';

/**
 * What a handler says about a job. Expected outcomes are returned, not thrown (house style §5):
 * `retry` reschedules (backoff unless `delayMs`), `dead` dead-letters it, `cancel` drops work that no
 * longer applies (portal uninstalled). A thrown ProviderError retries when retryable, else dead-letters;
 * any other throw retries (a bug or a database hiccup must not lose work) until the attempts run out.
 */
export type JobOutcome =
  /** `recorded`: the handler completed the job itself, in the statement that did its work. */
  | { kind: 'done'; recorded?: boolean }
  | { kind: 'retry'; error: string; delayMs?: number; countAttempt?: boolean }
  | { kind: 'dead'; error: string }
  | { kind: 'cancel'; reason: string };

export interface JobHandler {
  run(job: JobRow, log: Logger): Promise<JobOutcome>;
  /**
   * Jobs of this topic for the same portal and `payload.channelId` are run together, up to `size`
   * (one job per chat, see `claimJobs`); `run` returns one outcome per job, in order.
   */
  batch?: { size: number; run(jobs: JobRow[], log: Logger): Promise<JobOutcome[]> };
  /** Called once when the job is dead-lettered, to mark the message and write the trace. */
  onDead?(job: JobRow, error: string): Promise<void>;
}

/** What a thrown error means for a job (see JobOutcome). */
export function outcomeOf(err: unknown): JobOutcome {
  if (err instanceof ProviderError) {
    const msg = `${err.provider} ${err.providerCode ?? ''} ${err.message}`.trim();
    return err.retryable
      ? {
          kind: 'retry',
          error: msg,
          ...(err.opts.retryAfterMs ? { delayMs: err.opts.retryAfterMs } : {}),
          // Waiting for a rate budget is not a failed attempt: a long backlog must never dead-letter.
          ...(err.opts.throttled ? { countAttempt: false } : {}),
        }
      : { kind: 'dead', error: msg };
  }
  return { kind: 'retry', error: err instanceof Error ? err.message : String(err) };
}

/** Shortest gap between two claims that found nothing. */
const IDLE_RECLAIM_MS = 10;

export interface WorkerOptions {
  concurrency: number;
  pollMs: number;
  leaseMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
}

export class Worker {
  readonly id = `w-${randomUUID().slice(0, 8)}`;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #inFlight = 0;
  #nudged = false;
  #stopping: Promise<void> | undefined;
  readonly #heartbeats = new Set<NodeJS.Timeout>();
  readonly #busyBatches = new Map<string, number>();
  readonly #topics: string[];
  lastTickAt: Date | undefined;

  constructor(
    private readonly db: Kysely<DB>,
    private readonly handlers: Readonly<Record<string, JobHandler>>,
    private readonly opts: WorkerOptions,
    private readonly log: Logger,
  ) {
    // Only topics this version handles are claimed: during a rolling upgrade an older instance leaves
    // a newer topic to the instances that know it instead of dead-lettering it.
    this.#topics = Object.keys(handlers);
  }

  get running(): boolean {
    return this.#running;
  }

  start(): void {
    if (this.#running) return;
    this.#stopping = undefined;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** Stops claiming and waits for the jobs in hand (at most `graceMs`; a stuck job's lease then expires). */
  stop(graceMs = 10_000): Promise<void> {
    if (!this.#stopping) {
      this.#running = false;
      this.nudge();
      // Jobs still in hand after the grace period give up their leases, as a killed process would.
      this.#stopping = Promise.race([
        this.#loop,
        new Promise<void>((r) => setTimeout(r, graceMs).unref()),
      ]).then(() => {
        for (const h of this.#heartbeats) clearInterval(h);
        this.#heartbeats.clear();
      });
    }
    return this.#stopping;
  }

  /** Wakes the loop now (a webhook just stored work) instead of waiting for the next poll. */
  nudge(): void {
    this.#nudged = true;
    const w = this.#wake;
    this.#wake = undefined;
    if (this.#timer) clearTimeout(this.#timer);
    w?.();
  }

  async #run(): Promise<void> {
    let emptyAfterNudge = 0;
    while (this.#running) {
      let claimed = 0;
      this.#nudged = false;
      try {
        claimed = await this.tick();
      } catch (err) {
        this.log.error({ err }, 'Worker tick failed; retrying after the poll interval.');
      }
      if (!this.#running) break;
      emptyAfterNudge = claimed === 0 && this.#nudged ? emptyAfterNudge + 1 : 0;
      if (emptyAfterNudge === 1) {
        // Work was stored (or a job finished) while this claim ran and it found nothing: its snapshot
        // was most likely taken before that commit. Once more at once: waiting here held every reply
        // that arrived during a claim for IDLE_RECLAIM_MS.
        continue;
      }
      if (emptyAfterNudge > 1) {
        // Still nothing claimable (a chat or a batch already in hand): under a flood of webhooks,
        // claiming again at once would spin on the database.
        await new Promise((r) => setTimeout(r, IDLE_RECLAIM_MS));
        continue;
      }
      if ((claimed === 0 && !this.#nudged) || this.#inFlight >= this.opts.concurrency) {
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          this.#timer = setTimeout(resolve, this.opts.pollMs);
        });
      }
    }
    while (this.#inFlight > 0) await new Promise((r) => setTimeout(r, 20));
  }

  /** Claims what there is room for and starts it; resolves once the claim is made. Returns the count. */
  async tick(): Promise<number> {
    this.lastTickAt = new Date();
    const room = this.opts.concurrency - this.#inFlight;
    if (room <= 0) return 0;
    // One batch per channel at a time in this worker: a second one would only split the chats' queues
    // between batches that then wait for the same rate budget, making every call smaller.
    const jobs = await claimJobs(this.db, this.id, room, this.opts.leaseMs, {
      busyKeys: [...this.#busyBatches.keys()],
      topics: this.#topics,
    });
    const units = new Map<string, JobRow[]>();
    for (const job of jobs) {
      const channelId = (job.payload as { channelId?: unknown }).channelId;
      const batched = this.handlers[job.topic]?.batch && typeof channelId === 'string';
      const key = batched ? batchKey(job.topic, job.portal_id, String(channelId)) : `job|${job.id}`;
      units.set(key, [...(units.get(key) ?? []), job]);
    }
    for (const [key, seeds] of units) {
      const held = key.startsWith('job|') ? undefined : key;
      const size = (seeds[0] && this.handlers[seeds[0].topic]?.batch?.size) ?? 1;
      for (let i = 0; i < seeds.length; i += size) {
        if (held) this.#busyBatches.set(held, (this.#busyBatches.get(held) ?? 0) + 1);
        this.#inFlight++;
        void this.#executeUnit(seeds.slice(i, i + size)).finally(() => {
          if (held) {
            const left = (this.#busyBatches.get(held) ?? 1) - 1;
            if (left > 0) this.#busyBatches.set(held, left);
            else this.#busyBatches.delete(held);
          }
          this.#inFlight--;
          if (this.#running) this.nudge();
        });
      }
    }
    return jobs.length;
  }

  /**
   * Runs every due job to completion, for tests: returns once a claim finds nothing and no job is in
   * hand. Jobs the running loop holds count too, since finishing them can enqueue more.
   */
  async drain(maxRounds = 1000): Promise<void> {
    for (let i = 0; i < maxRounds; i++) {
      const n = await this.tick();
      const busy = n > 0 || this.#inFlight > 0;
      while (this.#inFlight > 0) await new Promise((r) => setTimeout(r, 5));
      if (!busy) return;
    }
  }

  /** Runs one job, or a batch of jobs of one topic and channel, and records every outcome. */
  async #executeUnit(seeds: JobRow[]): Promise<void> {
    const first = seeds[0];
    if (!first) return;
    const handler = this.handlers[first.topic];
    const log = this.log.child({ topic: first.topic, portalId: first.portal_id });
    let jobs = seeds;
    const channelId = (first.payload as { channelId?: unknown }).channelId;
    if (handler?.batch && jobs.length < handler.batch.size && typeof channelId === 'string') {
      try {
        const more = await claimJobs(this.db, this.id, handler.batch.size - jobs.length, this.opts.leaseMs, {
          batchOf: { topic: first.topic, portalId: first.portal_id, channelId },
        });
        jobs = [...jobs, ...more].sort((a, b) => Number(a.id) - Number(b.id));
      } catch (err) {
        log.warn({ err }, 'Could not add to the batch; running the jobs already held.');
      }
    }
    let outcomes: JobOutcome[];
    if (!handler) {
      outcomes = jobs.map(() => ({ kind: 'dead', error: `No handler for topic ${first.topic}` }));
    } else {
      // The leases are renewed while the handler works: a slow upstream call must not let another
      // worker take the jobs over and repeat the call.
      const ids = jobs.map((j) => j.id);
      const heartbeat = setInterval(
        () => {
          extendLease(this.db, ids, this.id, this.opts.leaseMs).catch((err: unknown) =>
            log.warn({ err }, 'Could not extend the lease.'),
          );
        },
        Math.max(50, this.opts.leaseMs / 3),
      );
      this.#heartbeats.add(heartbeat);
      try {
        if (handler.batch) {
          outcomes = await handler.batch.run(jobs, log);
        } else {
          outcomes = [await handler.run(first, log.child({ job: first.id, attempt: first.attempts }))];
        }
      } catch (err) {
        outcomes = jobs.map(() => outcomeOf(err));
        if (!(err instanceof ProviderError)) log.error({ err }, 'Job handler threw; it will be retried.');
      } finally {
        clearInterval(heartbeat);
        this.#heartbeats.delete(heartbeat);
      }
    }
    for (const [i, job] of jobs.entries()) {
      const outcome = outcomes[i] ?? {
        kind: 'retry',
        error: 'the batch handler gave no outcome for this job',
      };
      try {
        await this.#record(job, outcome, handler, log.child({ job: job.id, attempt: job.attempts }));
      } catch (err) {
        // The lease runs out and another tick takes the job again; handlers are idempotent.
        log.error({ err, job: job.id }, 'Could not record the job outcome.');
      }
    }
  }

  async #record(
    job: JobRow,
    outcome: JobOutcome,
    handler: JobHandler | undefined,
    log: Logger,
  ): Promise<void> {
    switch (outcome.kind) {
      case 'done':
        if (!outcome.recorded) await completeJob(this.db, job.id, this.id);
        return;
      case 'cancel':
        await killJob(this.db, job.id, this.id, 'cancelled', outcome.reason);
        log.info({ reason: outcome.reason }, 'Job cancelled.');
        return;
      case 'retry': {
        const counts = outcome.countAttempt !== false;
        if (counts && job.attempts >= this.opts.maxAttempts) {
          await this.#dead(job, `${outcome.error} (gave up after ${job.attempts} attempts)`, handler, log);
          return;
        }
        const delay = outcome.delayMs ?? this.backoff(job.attempts);
        await retryJob(this.db, job.id, this.id, delay, outcome.error, !counts);
        log.warn({ delayMs: delay, error: outcome.error }, 'Job will be retried.');
        return;
      }
      case 'dead':
        await this.#dead(job, outcome.error, handler, log);
        return;
    }
  }

  async #dead(job: JobRow, error: string, handler: JobHandler | undefined, log: Logger): Promise<void> {
    // Only the holder of the lease dead-letters: a worker that lost the job to another says nothing.
    if (!(await killJob(this.db, job.id, this.id, 'dead', error))) return;
    log.error({ error }, 'Job dead-lettered.');
    await handler?.onDead?.(job, error);
  }

  /** Exponential backoff with ±20% jitter so retries of many jobs do not arrive together. */
  backoff(attempts: number): number {
    const raw = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** Math.max(0, attempts - 1));
    return Math.round(raw * (0.8 + Math.random() * 0.4));
  }
}
