import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectChannel,
  installAndToken,
  startStack,
  waitFor,
  type DemoChannel,
  type Stack,
} from '../../scripts/stack.js';
import { createTestDatabase } from '../helpers/db.js';
import { postGupshupCallback } from '../helpers/gupshup-callback.js';

/**
 * Two app instances on one database, both running workers, webhooks spread over both: every message
 * is delivered exactly once, each chat keeps its order (jobs claimed with SKIP LOCKED, per chat), and
 * together they stay inside the portal's REST budget (the sandbox enforces 2 req/s, burst 50).
 */
describe('two instances sharing one database', () => {
  let a: Stack;
  let b: Stack;
  let drop: () => Promise<void>;
  let ch: DemoChannel;
  beforeAll(async () => {
    const db = await createTestDatabase();
    drop = db.drop;
    a = await startStack({ databaseUrl: db.url });
    b = await startStack({ databaseUrl: db.url, shareWith: a });
    const token = await installAndToken(a);
    ch = await connectChannel(a, token, 1);
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
    await drop?.();
  });

  it('delivers 200 inbound and 60 outbound messages once each, in order per chat', async () => {
    const phones = Array.from({ length: 10 }, (_, i) => `54911000050${String(i).padStart(2, '0')}`);
    const callbackB = ch.callbackUrl.replace(a.url, b.url);
    const posts: Array<Promise<unknown>> = [];
    for (let n = 0; n < 20; n++) {
      for (const [i, from] of phones.entries()) {
        const text = `m${n}`;
        if ((n + i) % 2 === 0) {
          posts.push(a.gupshup.customerSends({ appName: ch.appName, from, text }));
        } else {
          // Gupshup behind a load balancer: half of the callbacks reach instance B.
          posts.push(
            postGupshupCallback(callbackB, ch.appName, 'message', {
              id: `wamid.two.${from}.${n}`,
              type: 'text',
              payload: { text },
              sender: { phone: from },
            }),
          );
        }
      }
      await Promise.all(posts.splice(0));
    }
    await waitFor(() => a.portal.messages({ author: 'customer' }).length >= 200, 60_000, '200 deliveries');
    await a.deps.worker.drain();
    await b.deps.worker.drain();
    const inBitrix = a.portal.messages({ author: 'customer' });
    expect(inBitrix).toHaveLength(200);
    for (const p of phones) {
      expect(inBitrix.filter((m) => m.externalChatId === p).map((m) => m.text)).toEqual(
        Array.from({ length: 20 }, (_, n) => `m${n}`),
      );
    }

    for (let n = 0; n < 6; n++) {
      await Promise.all(
        phones.map((p) =>
          a.portal.operatorSend({ line: 1, externalChatId: p, text: `r${n}`, signature: false }),
        ),
      );
    }
    await waitFor(() => a.gupshup.sent().length >= 60, 60_000, '60 sends');
    await a.deps.worker.drain();
    await b.deps.worker.drain();
    expect(a.gupshup.sent()).toHaveLength(60);
    for (const p of phones) {
      expect(a.gupshup.sent({ destination: p }).map((m) => (m.message as { text: string }).text)).toEqual([
        'r0',
        'r1',
        'r2',
        'r3',
        'r4',
        'r5',
      ]);
    }
    // The shared bucket held: Bitrix24 never had to refuse a call for going over its rate.
    expect(a.portal.calls().filter((c) => c.error === 'QUERY_LIMIT_EXCEEDED')).toEqual([]);
    // Both instances did part of the work.
    const workers = await a.deps.db
      .selectFrom('jobs')
      .select('locked_by')
      .distinct()
      .where('locked_by', 'is not', null)
      .execute();
    expect(workers.length).toBe(2);
  }, 120_000);
});
