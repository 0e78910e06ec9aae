import { beforeAll, describe, expect, it } from 'vitest';
import { connectChannel, installAndToken, waitFor, type DemoChannel } from '../../scripts/stack.js';
import { RateLimiter } from '../../src/shared/rate-limiter.js';
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

  it('hands a burst of 150 messages from 50 chats over in a few calls, one per chat per call, in order', async () => {
    const phones = Array.from({ length: 50 }, (_, i) => `5491100007${String(i).padStart(3, '0')}`);
    for (let n = 0; n < 3; n++) {
      await Promise.all(
        phones.map((from) => s.gupshup.customerSends({ appName: ch.appName, from, text: `b${n}` })),
      );
    }
    const before = sendCalls().length;
    await s.deps.worker.drain();
    for (const p of phones) expect(textsOf(p)).toEqual(['b0', 'b1', 'b2']);
    const calls = sendCalls().slice(before);
    expect(calls.length).toBeLessThanOrEqual(10);
    expect(Math.max(...calls.map(elements))).toBeGreaterThan(1);
    // Never two messages of one chat in one call: Bitrix24 could refuse the first and take the second.
    for (const c of calls) {
      const chats = ((c.params as { MESSAGES?: Array<{ chat: { id: string } }> }).MESSAGES ?? []).map(
        (m) => m.chat.id,
      );
      expect(new Set(chats).size).toBe(chats.length);
    }
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

  it('sends one by one when Bitrix24 refuses a whole batch for good, so one bad element cannot sink the rest', async () => {
    const phones = Array.from({ length: 3 }, (_, i) => `5491100006${String(i).padStart(3, '0')}`);
    for (const from of phones) await s.gupshup.customerSends({ appName: ch.appName, from, text: 'lote' });
    s.portal.failNext({
      method: 'imconnector.send.messages',
      times: 1,
      status: 400,
      error: 'ERROR_ARGUMENT',
    });
    const before = sendCalls().length;
    await s.deps.worker.drain();
    for (const p of phones) expect(textsOf(p)).toEqual(['lote']);
    expect(sendCalls().slice(before).map(elements)).toEqual([3, 1, 1, 1]);
  });

  it('gives a batch back untouched when our own rate budget is spent: nothing counted as in flight', async () => {
    const portal = await s.deps.db.selectFrom('portals').select(['id']).executeTakeFirstOrThrow();
    const from = '5491100006100';
    await s.gupshup.customerSends({ appName: ch.appName, from, text: 'espera' });
    // The webhook stored the raw event; one tick turns it into the message and its delivery job.
    await s.deps.worker.tick();
    await waitFor(() =>
      s.deps.db
        .selectFrom('jobs')
        .select('id')
        .where('topic', '=', 'inbound.deliver')
        .where('status', '=', 'pending')
        .executeTakeFirst(),
    );
    // A bucket that is full and drains slowly: the next slot is further away than a call may wait.
    await s.deps.db
      .updateTable('portals')
      .set({ rate_drain_per_sec: 0.1 })
      .where('id', '=', portal.id)
      .execute();
    await new RateLimiter(s.deps.db).fill(`b24:${portal.id}`, { perSec: 0.1, burst: 40 });
    const before = s.portal.calls().length;
    await s.deps.worker.tick();
    await waitFor(async () => {
      const job = await s.deps.db
        .selectFrom('jobs')
        .select(['status', 'last_error', 'attempts'])
        .where('topic', '=', 'inbound.deliver')
        .where('status', '=', 'pending')
        .where('last_error', 'like', '%LOCAL_RATE_LIMIT%')
        .executeTakeFirst();
      return job;
    });
    expect(s.portal.calls().length).toBe(before); // no request left
    const m = await s.deps.db
      .selectFrom('messages')
      .select(['attempt_started_at', 'status'])
      .where('wa_message_id', 'like', '%')
      .where('direction', '=', 'in')
      .where('status', '=', 'received')
      .execute();
    expect(m.length).toBe(1);
    expect(m[0]?.attempt_started_at).toBeNull();
    await s.deps.db
      .updateTable('portals')
      .set({ rate_drain_per_sec: 2 })
      .where('id', '=', portal.id)
      .execute();
    await s.deps.db.deleteFrom('rate_buckets').execute();
    await s.deps.db.updateTable('jobs').set({ run_at: new Date() }).where('status', '=', 'pending').execute();
    await s.deps.worker.drain();
    expect(textsOf(from)).toEqual(['espera']);
    // Delivered by a plain send: nothing had to be reconciled.
    expect(
      s.portal
        .calls()
        .slice(before)
        .some((c) => c.method === 'imconnector.update.messages'),
    ).toBe(false);
  });

  it('background calls (chat assignment) use only the lower half of the budget; delivery keeps the rest', async () => {
    const portal = await s.deps.db.selectFrom('portals').select(['id']).executeTakeFirstOrThrow();
    // 30 calls in the bucket: under delivery's 40, over the background share (20 of 25).
    await s.deps.db
      .insertInto('rate_buckets')
      .values({ key: `b24:${portal.id}`, level: 30, at: new Date() })
      .onConflict((oc) => oc.column('key').doUpdateSet({ level: 30, at: new Date() }))
      .execute();
    await expect(
      s.deps.bitrix.call(portal.id, 'imopenlines.config.list.get', {}, { background: true }),
    ).rejects.toMatchObject({
      opts: { providerCode: 'LOCAL_RATE_LIMIT', throttled: true },
    });
    await expect(s.deps.bitrix.call(portal.id, 'imopenlines.config.list.get')).resolves.toBeTruthy();
    await s.deps.db.deleteFrom('rate_buckets').execute();
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
