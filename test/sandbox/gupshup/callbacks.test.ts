/**
 * Tests the Gupshup sandbox itself against /work/shared/reference/gupshup.md (§ numbers cited).
 * The callback delivery contract (§3.1): retries, duplicates, reordering, settle() and close().
 */
import { afterEach, describe, expect, it } from 'vitest';
import { APP, sb, rx, setup, teardown, sendText, payloadOf, eventsFor, type Json } from './harness.js';

describe('callback delivery contract (§3.1)', () => {
  afterEach(teardown);

  it('retries a callback when the receiver answers non-2xx, with the same body', async () => {
    await setup();
    sb.setStatusFlow(['enqueued']);
    let enqueuedSeen = 0;
    rx.answer = (_n, body) => {
      if (body.type !== 'message-event') return 200;
      enqueuedSeen++;
      return enqueuedSeen <= 2 ? 500 : 200;
    };
    await sendText();
    await sb.settle();
    const cbs = sb.callbacks({ type: 'enqueued' });
    expect(cbs.map((c) => [c.attempt, c.status])).toEqual([
      [1, 500],
      [2, 500],
      [3, 200],
    ]);
    const raws = rx.got.filter((g) => g.body.type === 'message-event').map((g) => g.raw);
    expect(new Set(raws).size).toBe(1);
  });

  it('gives up after callbackRetry.attempts and records connection errors', async () => {
    await setup({ callbackRetry: { attempts: 2, delayMs: 5 } });
    sb.setStatusFlow(['enqueued']);
    rx.answer = () => 503;
    await sendText();
    await sb.settle();
    expect(sb.callbacks({ type: 'enqueued' }).map((c) => c.status)).toEqual([503, 503]);

    await rx.close();
    sb.setCallbackUrl(APP.appName, rx.url); // receiver is down now
    await sb.settle();
    const failed = sb.callbacks({ type: 'sandbox-start' });
    expect(failed).toHaveLength(2);
    expect(failed.every((c) => c.status === null && typeof c.error === 'string')).toBe(true);
  });

  it('duplicateEvents = 1 posts every event twice with an identical body', async () => {
    await setup({ duplicateEvents: 1 });
    await sendText();
    await sb.settle();
    const raws = rx.got.map((g) => g.raw);
    expect(raws).toHaveLength(10); // 4 statuses + billing, each twice
    const counts = new Map<string, number>();
    for (const r of raws) counts.set(r, (counts.get(r) ?? 0) + 1);
    expect([...counts.values()]).toEqual([2, 2, 2, 2, 2]);
  });

  it('duplicateEvents = 0.5 duplicates some events but not all', async () => {
    await setup({ duplicateEvents: 0.5, seed: 7 });
    for (let i = 0; i < 4; i++) await sendText(`m${i}`);
    await sb.settle();
    const unique = new Set(rx.got.map((g) => g.raw));
    expect(unique.size).toBe(20);
    expect(rx.got.length).toBeGreaterThan(20);
    expect(rx.got.length).toBeLessThan(40);
  });

  it('reorderEvents shuffles a message’s events; timestamps still give the logical order', async () => {
    await setup({ reorderEvents: true, seed: 3 });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await sendText(`m${i}`)).json!.messageId as string);
    await sb.settle();
    const logical = ['enqueued', 'sent', 'billing', 'delivered', 'read'];
    let shuffled = 0;
    for (const id of ids) {
      const wamid = sb.sent().find((s) => s.messageId === id)!.whatsappMessageId;
      const evs = eventsFor(id, wamid);
      const kind = (b: Json): string =>
        b.type === 'billing-event' ? 'billing' : (payloadOf(b).type as string);
      expect([...evs.map(kind)].sort()).toEqual([...logical].sort());
      if (evs.map(kind).join() !== logical.join()) shuffled++;
      const byTs = [...evs].sort((a, b) => (a.timestamp as number) - (b.timestamp as number));
      expect(byTs.map(kind)).toEqual(logical);
    }
    expect(shuffled).toBeGreaterThan(0);
  });

  it('is deterministic for a seed', async () => {
    const run = async (): Promise<string> => {
      await setup({ reorderEvents: true, duplicateEvents: 0.3, seed: 42 });
      await sendText('a');
      await sb.settle();
      await sendText('b');
      await sb.settle();
      const order = rx.got.map((g) =>
        g.body.type === 'billing-event' ? 'billing' : (payloadOf(g.body).type as string),
      );
      await teardown();
      return order.join();
    };
    const first = await run();
    const second = await run();
    expect(second).toBe(first);
    await setup(); // for afterEach
  });

  it('close() drops pending callbacks and leaves nothing running', async () => {
    await setup({ eventDelayMs: [200, 200] });
    await sendText();
    await sb.close();
    await sb.settle(100); // nothing pending after close: no callback can be posted any more
    expect(sb.callbacks()).toHaveLength(0);
    expect(rx.got).toHaveLength(0);
    await rx.close();
    await setup(); // for afterEach
  });

  it('settle() rejects when callbacks are still pending after the timeout', async () => {
    await setup({ eventDelayMs: [300, 300] });
    await sendText();
    await expect(sb.settle(20)).rejects.toThrow(/pending/);
  });
});
