import { setTimeout as sleep } from 'node:timers/promises';
import { Coalescer } from '../../../shared/db/coalesce.js';
import type { DuplicateCount, IngestRepository } from './ingest.repository.js';

/** A webhook Gupshup posted again. */
export interface Repeat {
  portalId: number;
  channelId: string;
  waMessageId: string;
}

/**
 * Statements at once for Gupshup's repeats, each kind (a retry storm must not take the pool from the
 * new messages' inserts and the worker).
 */
const REPEATS_IN_FLIGHT = 2;
/** A repeat whose job the worker is writing asks again this often, this many times at most. */
const REPEAT_RETRY_MS = 20;
const REPEAT_TRIES = 250;

/**
 * Gupshup's repeats (a retry storm after an outage of ours brings thousands a second), many per
 * statement like new messages: counted on their open jobs (the worker traces them with the message),
 * else traced on their stored messages. A repeat never waits for the worker's lock on its job; it
 * asks again once the worker's statement is done (ingest.repository.ts, `countDuplicates`).
 */
export class Repeats {
  readonly #counts: Coalescer<Repeat, DuplicateCount>;
  readonly #traces: Coalescer<Repeat, void>;

  constructor(ingest: IngestRepository, maxBatch: number) {
    this.#counts = new Coalescer({
      write: (events) => ingest.countDuplicates(events),
      maxBatch,
      maxInFlight: REPEATS_IN_FLIGHT,
    });
    this.#traces = new Coalescer({
      write: async (events) => {
        await ingest.traceDuplicates(events);
        return events.map(() => undefined);
      },
      maxBatch,
      maxInFlight: REPEATS_IN_FLIGHT,
    });
  }

  /** Resolves once the repeat is counted or traced (committed). */
  async record(repeat: Repeat): Promise<void> {
    for (let tries = 1; ; tries++) {
      const count = await this.#counts.submit(repeat);
      if (count === 'counted') return;
      // Written by now (or still in the worker's statement after many tries, at worst traced without
      // its message): traced in a statement after the job's commit, which sees the message.
      if (count === 'closed' || tries >= REPEAT_TRIES) {
        await this.#traces.submit(repeat);
        return;
      }
      await sleep(REPEAT_RETRY_MS);
    }
  }
}
