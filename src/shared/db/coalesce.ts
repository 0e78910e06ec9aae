/**
 * Group commit for one hot statement (the webhook's insert): what many concurrent requests submit in
 * the same turn of the event loop, or while the statements already running hold every slot, is
 * written by ONE statement, and each request's promise settles only after that statement has
 * committed (or failed). A statement is atomic, so a failed batch wrote nothing: each of its items is
 * then tried alone and answered by its own outcome. Nothing is acknowledged unless it is stored, and
 * one bad item never fails the others.
 */
export interface CoalescerOptions<T, R> {
  /** Writes these items in one statement; one result per item, in order. Throws: none was written. */
  write(items: T[]): Promise<R[]>;
  /** Most items per statement. */
  maxBatch: number;
  /** Most statements running at once (each holds a pool connection while it runs). */
  maxInFlight: number;
}

interface Pending<T, R> {
  item: T;
  resolve(r: R): void;
  reject(err: unknown): void;
}

/** The window over which the arrival rate is counted, and how often `whenQuiet` looks again. */
const RATE_WINDOW_MS = 100;
const QUIET_POLL_MS = 20;

export class Coalescer<T, R> {
  #queue: Array<Pending<T, R>> = [];
  #inFlight = 0;
  #scheduled = false;
  /** Submissions in the current and the previous window of RATE_WINDOW_MS (`recentPerSecond`). */
  #rate = { slot: 0, cur: 0, prev: 0 };
  /** Statements run and items written by them, for the tests and /metrics. */
  readonly stats = { statements: 0, items: 0, failedBatches: 0 };

  constructor(private readonly o: CoalescerOptions<T, R>) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#countSubmit();
      this.#schedule();
    });
  }

  /** No item waits for a free statement slot. */
  #unsaturated(): boolean {
    return this.#queue.length === 0 && this.#inFlight < this.o.maxInFlight;
  }

  /**
   * Resolves once the request path is quiet (no item waits for a statement slot and fewer than
   * `busyPerSec` items a second arrive), or after `maxMs`: background work on the same database and
   * CPU (the worker) gives way while a burst of requests waits for its answers, but never for long.
   * A trickle of requests holds nothing up.
   */
  whenQuiet(maxMs: number, busyPerSec = Infinity): Promise<void> {
    const quiet = () => this.#unsaturated() && this.recentPerSecond() < busyPerSec;
    if (maxMs <= 0 || quiet()) return Promise.resolve();
    const until = Date.now() + maxMs;
    return new Promise<void>((resolve) => {
      const poll = setInterval(() => {
        if (!quiet() && Date.now() < until) return;
        clearInterval(poll);
        resolve();
      }, QUIET_POLL_MS);
      poll.unref();
    });
  }

  /** Items submitted per second over the last 100–200 ms. */
  recentPerSecond(now = Date.now()): number {
    const slot = Math.floor(now / RATE_WINDOW_MS);
    const span = RATE_WINDOW_MS + (now % RATE_WINDOW_MS);
    if (slot === this.#rate.slot) return ((this.#rate.cur + this.#rate.prev) * 1000) / span;
    if (slot === this.#rate.slot + 1) return (this.#rate.cur * 1000) / span;
    return 0;
  }

  #countSubmit(): void {
    const slot = Math.floor(Date.now() / RATE_WINDOW_MS);
    if (slot !== this.#rate.slot) {
      this.#rate.prev = slot === this.#rate.slot + 1 ? this.#rate.cur : 0;
      this.#rate.cur = 0;
      this.#rate.slot = slot;
    }
    this.#rate.cur++;
  }

  /** Flushes after the current turn, so the requests parsed in it share the statement. */
  #schedule(): void {
    if (this.#scheduled || this.#inFlight >= this.o.maxInFlight || this.#queue.length === 0) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#flush();
    });
  }

  #flush(): void {
    while (this.#inFlight < this.o.maxInFlight && this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.o.maxBatch);
      this.#inFlight++;
      void this.#run(batch).finally(() => {
        this.#inFlight--;
        this.#schedule();
      });
    }
  }

  async #run(batch: Array<Pending<T, R>>): Promise<void> {
    try {
      const results = await this.#write(batch.map((p) => p.item));
      for (const [i, p] of batch.entries()) p.resolve(results[i] as R);
    } catch (err) {
      if (batch.length === 1) {
        batch[0]?.reject(err);
        return;
      }
      this.stats.failedBatches++;
      // Nothing of the batch was written: each item alone, answered by its own outcome.
      await Promise.all(
        batch.map(async (p) => {
          try {
            const [r] = await this.#write([p.item]);
            p.resolve(r as R);
          } catch (one) {
            p.reject(one);
          }
        }),
      );
    }
  }

  async #write(items: T[]): Promise<R[]> {
    this.stats.statements++;
    const results = await this.o.write(items);
    if (results.length !== items.length) {
      throw new Error(`The batch statement answered ${results.length} results for ${items.length} items`);
    }
    this.stats.items += items.length;
    return results;
  }
}
