import type { Kysely } from 'kysely';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Worker } from '../../src/jobs/worker.js';
import type { DB } from '../../src/shared/db/schema.js';
import { createLogger } from '../../src/shared/logger.js';

/**
 * The worker's loop between claims (jobs/worker.ts `#run`). A claim that found nothing while work
 * was stored meanwhile (a nudge) most likely took its snapshot before that commit: it claims again at
 * once, not after a pause (the pause held every reply that arrived during a claim). A second empty
 * claim in a row with nudges is the flood case (work stored that is not claimable yet): it pauses
 * instead of spinning on the database. The claims are scripted (`tick` overridden), the clock fake.
 */
describe('Worker loop after an empty claim', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  /** A worker whose claims follow `script`: each entry says whether work arrives during that claim. */
  class ScriptedWorker extends Worker {
    claims = 0;
    constructor(private readonly script: Array<{ nudgeDuring: boolean; found: number }>) {
      const opts = {
        concurrency: 4,
        pollMs: 60_000,
        leaseMs: 30_000,
        maxAttempts: 5,
        backoffBaseMs: 1_000,
        backoffMaxMs: 60_000,
      };
      super({} as Kysely<DB>, {}, opts, createLogger('silent'));
    }
    override async tick(): Promise<number> {
      const step = this.script[this.claims] ?? { nudgeDuring: false, found: 0 };
      this.claims++;
      await Promise.resolve();
      if (step.nudgeDuring) this.nudge();
      return step.found;
    }
  }

  /** Stops the worker, letting the fake clock run out any pause it is in. */
  const stop = async (w: Worker) => {
    const stopped = w.stop(0);
    await vi.advanceTimersByTimeAsync(100);
    await stopped;
  };

  /** Runs what is due now (promises, zero-delay work) without letting any timer's time pass. */
  const settle = () => vi.advanceTimersByTimeAsync(0);

  it('claims again at once when work was stored during an empty claim', async () => {
    const w = new ScriptedWorker([{ nudgeDuring: true, found: 0 }]);
    w.start();
    await settle();
    // The first claim, then the second straight away; then it waits for the poll (nothing nudged).
    expect(w.claims).toBe(2);
    await vi.advanceTimersByTimeAsync(59_000);
    expect(w.claims).toBe(2);
    await stop(w);
  });

  it('pauses after a second empty claim in a row with nudges, then claims again', async () => {
    const w = new ScriptedWorker([
      { nudgeDuring: true, found: 0 },
      { nudgeDuring: true, found: 0 },
      { nudgeDuring: true, found: 0 },
    ]);
    w.start();
    await settle();
    expect(w.claims).toBe(2);
    await vi.advanceTimersByTimeAsync(9);
    expect(w.claims).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(w.claims).toBe(3);
    await stop(w);
  });

  it('a claim that found work resets the count: the next empty claim with a nudge goes again at once', async () => {
    const w = new ScriptedWorker([
      { nudgeDuring: true, found: 0 },
      { nudgeDuring: true, found: 1 },
      { nudgeDuring: true, found: 0 },
    ]);
    w.start();
    await settle();
    // empty+nudge → at once; found → at once (it claimed something); empty+nudge → at once.
    expect(w.claims).toBe(4);
    await stop(w);
  });
});
