import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor, type DemoChannel, type Stack } from '../../scripts/stack.js';
import { billingProbe } from '../helpers/billing-send.js';
import { frozenWorkerPair, type FrozenWorkerPair } from '../helpers/frozen-worker.js';

/**
 * A worker that dies between reserving a message's unit and sending it, and one that dies after
 * Gupshup took the message but before recording it (crash.test.ts's pattern): instance A freezes at
 * that point as a killed process would; instance B shares the database and takes the job over when
 * A's lease runs out. The message is sent once and charged once in both cases.
 */
describe('billing across a worker killed around the send', () => {
  let pair: FrozenWorkerPair;
  let a: Stack;
  let ch: DemoChannel;
  let frozen: number[];

  beforeAll(async () => {
    pair = await frozenWorkerPair({ BILLING_ENFORCED: 'true' });
    ({ a, ch, frozen } = pair);
  });
  afterAll(async () => {
    await pair?.close();
  });

  /** B runs the jobs from now on (A's frozen job keeps its lease until it runs out). */
  async function takeOver(): Promise<Stack> {
    const b = await pair.takeOver();
    b.deps.worker.start();
    return b;
  }

  async function customerWrote(phone: string) {
    await a.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'hola' });
    await waitFor(() => a.portal.messages({ author: 'customer' }).some((m) => m.externalChatId === phone));
  }

  it('killed after the reserve, before the send: B sends it once, on the same reservation', async () => {
    const phone = '5491100008001';
    await customerWrote(phone);
    pair.freezeAt('reserve');
    await a.portal.operatorSend({ line: 1, externalChatId: phone, text: 'reservado y caído' });
    await waitFor(() => frozen.length === 1, 10_000, 'the worker to freeze after the reserve');
    const id = frozen[0] ?? 0;
    const probe = billingProbe(a);
    expect((await probe.charges(id)).reservations).toMatchObject([
      { message_ref: `out:${id}`, state: 'reserved' },
    ]);
    expect(a.gupshup.sent({ destination: phone })).toHaveLength(0);
    const s2 = await takeOver();
    const p2 = billingProbe(s2);
    await waitFor(
      async () => (await p2.charges(id)).reservations[0]?.state === 'settled',
      20_000,
      'the settle',
    );
    expect(a.gupshup.sent({ destination: phone })).toHaveLength(1);
    expect((await p2.charges(id)).kinds).toEqual(['reserve', 'settle']);
    const portalId = await p2.portalId();
    expect(await p2.balance(portalId)).toEqual({ available: 49, reserved: 0 });
  });

  it('killed after Gupshup took it, before recording: not sent again, charged once', async () => {
    const s2 = await takeOver();
    await s2.deps.worker.stop(0);
    a.deps.worker.start();
    const phone = '5491100008002';
    await customerWrote(phone);
    pair.freezeAt('gupshup.send');
    await a.portal.operatorSend({ line: 1, externalChatId: phone, text: 'enviado y caído' });
    await waitFor(() => frozen.length === 2, 10_000, 'the worker to freeze after the send');
    const id = frozen[1] ?? 0;
    await a.deps.worker.stop(0);
    s2.deps.worker.start();
    const p2 = billingProbe(s2);
    await waitFor(
      async () => (await p2.charges(id)).reservations[0]?.state === 'settled',
      20_000,
      'the settle',
    );
    await waitFor(async () => (await p2.message(id)).gupshup_message_id, 20_000, 'B to adopt the send');
    expect(a.gupshup.sent({ destination: phone })).toHaveLength(1);
    expect((await p2.charges(id)).kinds).toEqual(['reserve', 'settle']);
    const portalId = await p2.portalId();
    expect(await p2.balance(portalId)).toEqual({ available: 48, reserved: 0 });
    expect(await s2.deps.ledger.reconcile()).toEqual([]);
  });
});
