import { beforeAll, describe, expect, it } from 'vitest';
import { connectChannel, installAndToken, waitFor, type DemoChannel } from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';

/**
 * Customer messages reach Bitrix24 in batched `imconnector.send.messages` calls (reference
 * bitrix24.md §3.7), paced under the portal's budget (§7; the sandbox enforces 2 req/s, burst 50).
 * The worker is driven by hand (`drain`) so each test decides when the queue is worked.
 */
describe('batched delivery to Bitrix24', () => {
  const s = useStack({ worker: false, workerConfig: { backoffBaseMs: 50, backoffMaxMs: 200 } });
  let ch: DemoChannel;
  beforeAll(async () => {
    const token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
    await s.deps.worker.drain();
  });

  const sendCalls = () => s.portal.calls().filter((c) => c.method === 'imconnector.send.messages');
  const elements = (c: { params: unknown }) => (c.params as { MESSAGES?: unknown[] }).MESSAGES?.length ?? 0;
  const textsOf = (phone: string) =>
    s.portal
      .messages({ author: 'customer' })
      .filter((m) => m.externalChatId === phone)
      .map((m) => m.text);

  it('hands a burst of 150 messages from 5 chats over in a few calls, each chat in order', async () => {
    const phones = Array.from({ length: 5 }, (_, i) => `5491100007${String(i).padStart(3, '0')}`);
    for (let n = 0; n < 30; n++) {
      await Promise.all(
        phones.map((from) => s.gupshup.customerSends({ appName: ch.appName, from, text: `b${n}` })),
      );
    }
    const before = sendCalls().length;
    await s.deps.worker.drain();
    for (const p of phones) expect(textsOf(p)).toEqual(Array.from({ length: 30 }, (_, n) => `b${n}`));
    const calls = sendCalls().slice(before);
    expect(calls.length).toBeLessThanOrEqual(10);
    expect(Math.max(...calls.map(elements))).toBeGreaterThan(1);
    expect(s.portal.calls().filter((c) => c.error === 'QUERY_LIMIT_EXCEEDED')).toEqual([]);
    const delivered = await s.deps.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('direction', '=', 'in')
      .where('status', '=', 'delivered')
      .executeTakeFirstOrThrow();
    expect(Number(delivered.n)).toBe(150);
  });

  it('retries only the elements Bitrix24 refused inside a successful call', async () => {
    const phones = Array.from({ length: 6 }, (_, i) => `5491100008${String(i).padStart(3, '0')}`);
    for (const from of phones) await s.gupshup.customerSends({ appName: ch.appName, from, text: 'uno' });
    s.portal.refuseNextElements({ count: 2, error: 'CONNECTOR_PROXY_NO_ADD_USER' });
    const before = sendCalls().length;
    await s.deps.worker.drain();
    await waitFor(
      async () => {
        await s.deps.worker.drain();
        return phones.every((p) => textsOf(p).length === 1);
      },
      20_000,
      'the refused two delivered on retry',
    );
    for (const p of phones) expect(textsOf(p)).toEqual(['uno']);
    const calls = sendCalls().slice(before);
    // One call with all six, then only the two refused ones again (together or apart, as their
    // retry times fall).
    const sizes = calls.map(elements);
    expect(sizes[0]).toBe(6);
    expect(sizes.slice(1).reduce((a, b) => a + b, 0)).toBe(2);
    const refused = await s.deps.db
      .selectFrom('trace')
      .select(['message_id', 'detail'])
      .where('step', '=', 'bitrix_refused')
      .execute();
    expect(refused).toHaveLength(2);
    expect(refused.every((r) => r.detail?.includes('CONNECTOR_PROXY_NO_ADD_USER'))).toBe(true);
  });

  it('refreshes an access token that expires in the middle of a batch once, and delivers each once', async () => {
    const phones = Array.from({ length: 4 }, (_, i) => `5491100009${String(i).padStart(3, '0')}`);
    for (let n = 0; n < 10; n++) {
      await Promise.all(
        phones.map((from) => s.gupshup.customerSends({ appName: ch.appName, from, text: `t${n}` })),
      );
    }
    const refreshes = s.portal.tokenRefreshes();
    s.portal.expireAccessTokens();
    await s.deps.worker.drain();
    for (const p of phones) expect(textsOf(p)).toEqual(Array.from({ length: 10 }, (_, n) => `t${n}`));
    expect(s.portal.tokenRefreshes()).toBe(refreshes + 1);
    expect(sendCalls().filter((c) => c.error === 'expired_token').length).toBeGreaterThanOrEqual(1);
  });
});

describe('one message per call (INBOUND_BATCH_SIZE=1)', () => {
  const s = useStack({ worker: false, env: { INBOUND_BATCH_SIZE: '1' } });
  it('still delivers in order, one element per call', async () => {
    const token = await installAndToken(s);
    const ch = await connectChannel(s, token, 1);
    const from = '5491100009900';
    for (let n = 0; n < 5; n++) await s.gupshup.customerSends({ appName: ch.appName, from, text: `s${n}` });
    await s.deps.worker.drain();
    const calls = s.portal
      .calls()
      .filter((c) => c.method === 'imconnector.send.messages' && c.status === 200);
    expect(calls.map((c) => (c.params as { MESSAGES: unknown[] }).MESSAGES.length)).toEqual([1, 1, 1, 1, 1]);
    expect(
      s.portal
        .messages({ author: 'customer' })
        .filter((m) => m.externalChatId === from)
        .map((m) => m.text),
    ).toEqual(['s0', 's1', 's2', 's3', 's4']);
  });
});
