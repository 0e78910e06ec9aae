import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Coalescer } from '../../src/shared/db/coalesce.js';

/**
 * The worker gives way to a burst of webhooks (shared/db/coalesce.ts `whenQuiet`, used by the
 * `inbound.accept` job): it waits while more items a second arrive than the threshold, resolves once
 * they stop, and never waits past its limit however long the burst lasts.
 */
describe('Coalescer.whenQuiet', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-12-01T10:00:00.050Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const coalescer = () =>
    new Coalescer<number, boolean>({
      write: (items) => Promise.resolve(items.map(() => true)),
      maxBatch: 256,
      maxInFlight: 4,
    });

  /** Settles what the fake clock made due, and the promises that follow. */
  const advance = async (ms: number) => {
    await vi.advanceTimersByTimeAsync(ms);
  };

  it('counts the items submitted over the last 100–200 ms, and forgets them after', async () => {
    const c = coalescer();
    expect(c.recentPerSecond()).toBe(0);
    for (let i = 0; i < 60; i++) void c.submit(i);
    // 60 items within the current window, 50 ms into it: 60 over 150 ms.
    expect(c.recentPerSecond()).toBe(400);
    await advance(100);
    // The next window: the previous one's 60 still count, over 100 + 50 ms.
    expect(c.recentPerSecond()).toBe(400);
    await advance(100);
    expect(c.recentPerSecond()).toBe(0);
  });

  it('resolves at once when the submissions are below the threshold', async () => {
    const c = coalescer();
    for (let i = 0; i < 10; i++) void c.submit(i);
    await advance(0); // written: no item waits for a statement
    let done = false;
    void c.whenQuiet(5_000, 500).then(() => (done = true));
    await advance(0);
    expect(done).toBe(true);
  });

  it('waits while a burst lasts, and resolves within a poll once it stops', async () => {
    const c = coalescer();
    let done = false;
    let burst = true;
    const feed = setInterval(() => {
      if (burst) for (let i = 0; i < 20; i++) void c.submit(i); // 1,000 a second
    }, 20);
    for (let i = 0; i < 20; i++) void c.submit(i);
    void c.whenQuiet(5_000, 500).then(() => (done = true));
    await advance(1_000);
    expect(done).toBe(false);
    burst = false;
    // Two windows for the count to fall, one poll to see it.
    await advance(240);
    expect(done).toBe(true);
    clearInterval(feed);
  });

  it('stops waiting at its limit while the burst goes on', async () => {
    const c = coalescer();
    let done = false;
    const feed = setInterval(() => {
      for (let i = 0; i < 20; i++) void c.submit(i);
    }, 20);
    for (let i = 0; i < 20; i++) void c.submit(i);
    void c.whenQuiet(700, 500).then(() => (done = true));
    await advance(680);
    expect(done).toBe(false);
    await advance(40);
    expect(done).toBe(true);
    clearInterval(feed);
  });

  it('does not wait when its limit has already passed (the oldest job is old enough)', async () => {
    const c = coalescer();
    const feed = setInterval(() => {
      for (let i = 0; i < 20; i++) void c.submit(i);
    }, 20);
    await advance(100);
    let done = false;
    void c.whenQuiet(-200, 500).then(() => (done = true));
    await advance(0);
    expect(done).toBe(true);
    clearInterval(feed);
  });
});
