import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { waitFor, type DemoChannel, type Stack } from '../../scripts/stack.js';
import { frozenWorkerPair, type FrozenWorkerPair } from '../helpers/frozen-worker.js';

/**
 * A worker that dies between the upstream call and recording its result (docs/architecture.md,
 * "Exactly once"). Instance A's worker freezes right after the call returned, as a killed process
 * would; instance B shares the database, takes the job over when A's lease runs out, and must not
 * send the message a second time.
 */
describe('a worker killed between the upstream call and recording it', () => {
  let pair: FrozenWorkerPair;
  let a: Stack;
  let ch: DemoChannel;
  let frozen: number[];

  beforeAll(async () => {
    pair = await frozenWorkerPair();
    ({ a, ch, frozen } = pair);
  });
  afterAll(async () => {
    await pair?.close();
  });

  /** The message's outbound.send job has finished: nothing sends the message again. */
  async function sendJobDone(s: Stack, messageId: number): Promise<boolean> {
    const job = await s.deps.db
      .selectFrom('jobs')
      .select('status')
      .where('dedupe_key', '=', `out:${messageId}`)
      .executeTakeFirst();
    return job?.status === 'done';
  }

  const takeOver = () => pair.takeOver();

  it('outbound: Gupshup got the message, the result was never recorded → not sent again', async () => {
    const phone = '5491100003001';
    await a.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'hola' });
    await waitFor(() => a.portal.messages({ author: 'customer' }).some((m) => m.externalChatId === phone));

    pair.freezeAt('gupshup.send');
    const op = await a.portal.operatorSend({ line: 1, externalChatId: phone, text: 'una sola vez' });
    await waitFor(() => a.gupshup.sent({ destination: phone }).length === 1, 10_000, 'the send');
    await waitFor(() => frozen.length === 1, 10_000, 'the worker to freeze');
    // The frozen worker never records Gupshup's answer; only Gupshup's own enqueued event can tell
    // us the message went out (it may already have arrived).
    const s2 = await takeOver();
    await waitFor(
      () => s2.portal.messages({ author: 'operator' }).find((m) => m.id === op.messageId && m.delivered),
      20_000,
      'ack from B',
    );
    await waitFor(() => sendJobDone(s2, frozen[0] ?? 0), 20_000, 'B to finish the send job');
    await s2.deps.worker.drain();
    expect(a.gupshup.sent({ destination: phone })).toHaveLength(1);
    const after = await s2.deps.db
      .selectFrom('messages')
      .select(['gupshup_message_id', 'status'])
      .where('id', '=', frozen[0] ?? 0)
      .executeTakeFirstOrThrow();
    expect(after.gupshup_message_id).toBe(a.gupshup.sent({ destination: phone })[0]?.messageId);
    const steps = (
      await s2.deps.db
        .selectFrom('trace')
        .select('step')
        .where('message_id', '=', frozen[0] ?? 0)
        .execute()
    ).map((r) => r.step);
    expect(steps).toContain('sent_upstream_confirmed');
    expect(steps).not.toContain('resend_unconfirmed');
  });

  it('inbound: Bitrix24 got the message, the result was never recorded → not delivered again', async () => {
    const s2 = await takeOver();
    // B's worker is the live one now; freeze it the same way by pausing it and running A-style:
    // restart A's worker with the freeze armed, stop B's so A takes the job.
    await s2.deps.worker.stop(0);
    a.deps.worker.start();
    const phone = '5491100003002';
    pair.freezeAt('bitrix.send');
    await a.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'solo una vez' });
    await waitFor(() => frozen.length === 2, 10_000, 'the worker to freeze');
    expect(a.portal.messages({ author: 'customer' }).filter((m) => m.externalChatId === phone)).toHaveLength(
      1,
    );
    await a.deps.worker.stop(0);
    s2.deps.worker.start();
    await waitFor(
      async () => {
        const m = await s2.deps.db
          .selectFrom('messages')
          .select('status')
          .where('id', '=', frozen[1] ?? 0)
          .executeTakeFirst();
        return m?.status === 'delivered';
      },
      20_000,
      'B to record the delivery',
    );
    const inBitrix = a.portal.messages({ author: 'customer' }).filter((m) => m.externalChatId === phone);
    expect(inBitrix).toHaveLength(1);
    expect(inBitrix[0]?.updatedTimes).toBe(1); // B asked with update.messages, which found it
    const steps = await s2.deps.db
      .selectFrom('trace')
      .select(['step', 'detail'])
      .where('message_id', '=', frozen[1] ?? 0)
      .execute();
    expect(steps.find((t) => t.step === 'delivered_to_bitrix')?.detail).toMatch(/reconciled/);
  });

  it('outbound: a send that never reached Gupshup is sent after the grace period, once', async () => {
    const s2 = await takeOver();
    const phone = '5491100003003';
    await a.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'hola' });
    await waitFor(() => a.portal.messages({ author: 'customer' }).some((m) => m.externalChatId === phone));
    // The state a crash leaves when it happens after marking the attempt but before the request left.
    await s2.deps.worker.stop(0);
    await a.portal.operatorSend({ line: 1, externalChatId: phone, text: 'tras la espera' });
    const msg = await waitFor(() =>
      s2.deps.db
        .selectFrom('messages')
        .select('id')
        .where('direction', '=', 'out')
        .where('status', '=', 'queued')
        .executeTakeFirst(),
    );
    await s2.deps.db
      .updateTable('messages')
      .set({ attempt_started_at: sql`now()`, status: 'sending' })
      .where('id', '=', msg.id)
      .execute();
    s2.deps.worker.start();
    await waitFor(
      () => a.gupshup.sent({ destination: phone }).length === 1,
      20_000,
      'the resend after grace',
    );
    await waitFor(
      async () =>
        (
          await s2.deps.db
            .selectFrom('messages')
            .select('gupshup_message_id')
            .where('id', '=', msg.id)
            .executeTakeFirst()
        )?.gupshup_message_id,
    );
    const steps = (
      await s2.deps.db
        .selectFrom('trace')
        .select('step')
        .where('message_id', '=', msg.id)
        .orderBy('id')
        .execute()
    ).map((r) => r.step);
    expect(steps).toEqual(expect.arrayContaining(['awaiting_confirmation', 'resend_unconfirmed']));
    // Recorded from the send's answer, or adopted from Gupshup's event if that came first: once either way.
    expect(steps.filter((x) => x === 'sent_upstream' || x === 'sent_upstream_confirmed')).toHaveLength(1);
    await waitFor(() => sendJobDone(s2, msg.id), 20_000, 'the send job to finish');
    expect(a.gupshup.sent({ destination: phone })).toHaveLength(1);
  });
});
