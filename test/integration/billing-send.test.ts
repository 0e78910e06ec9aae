import { beforeAll, describe, expect, it } from 'vitest';
import { connectChannel, installAndToken, waitFor, type DemoChannel } from '../../scripts/stack.js';
import { billingProbe } from '../helpers/billing-send.js';
import { useStack } from '../helpers/stack.js';

/**
 * Billing on the send path (issue 12 items 4–5, docs/billing.md "The send path") with billing on, end
 * to end through both sandboxes on a real PostgreSQL: each WhatsApp message reserves one unit before
 * its send and is charged once; Gupshup's billing event or the sweep settles it; a failure gives it
 * back; at zero balance messages are held, the agents told, the channel Interrupted, and they go when
 * units are credited or are dead-lettered after BILLING_HOLD_HOURS.
 */
describe('billing on the send path', () => {
  const s = useStack({ env: { BILLING_ENFORCED: 'true' } });
  const probe = billingProbe(s);
  let token: string;
  let ch: DemoChannel;
  let ch2: DemoChannel;
  let portalId: number;
  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
    ch2 = await connectChannel(s, token, 2, 2);
    portalId = await probe.portalId();
  });

  const customerWrote = async (phone: string) => {
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'hola' });
    await waitFor(() => s.portal.messages({ author: 'customer' }).some((m) => m.externalChatId === phone));
  };
  /** An operator reply in the customer's chat; the stored message. */
  const reply = async (phone: string, text: string) => {
    const op = await s.portal.operatorSend({ line: 1, externalChatId: phone, text, userId: 1 });
    return probe.outbound(op.messageId);
  };
  const stateOf = async (id: number) => (await probe.charges(id)).reservations.map((r) => r.state);
  const postCallback = (url: string, body: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  const billingEvent = (gsId: string, wamid: string | null, app = ch.appName) => ({
    app,
    timestamp: Date.now(),
    version: 2,
    type: 'billing-event',
    payload: {
      deductions: { type: 'regular', model: 'PMP', source: 'whatsapp', billable: true, category: 'utility' },
      references: { id: wamid ?? 'wamid.unknown', gsId, destination: '5491100007777' },
    },
  });

  it("charges a fresh portal's first message from a 14-day trial of 50 and settles it on Gupshup's billing event", async () => {
    const phone = '5491100007001';
    await customerWrote(phone);
    expect(await probe.balance(portalId)).toEqual({ available: 0, reserved: 0 });
    const m = await reply(phone, 'primera respuesta');
    await waitFor(async () => (await stateOf(m.id))[0] === 'settled', 20_000, 'the settle');
    expect(s.gupshup.sent({ destination: phone })).toHaveLength(1);
    const c = await probe.charges(m.id);
    expect(c.reservations).toMatchObject([{ message_ref: `out:${m.id}`, state: 'settled' }]);
    expect(c.kinds).toEqual(['reserve', 'settle']);
    expect(await probe.balance(portalId)).toEqual({ available: 49, reserved: 0 });
    const lots = await s.deps.db
      .selectFrom('billing_lots')
      .select(['units', 'expires_at', 'created_at'])
      .where('portal_id', '=', portalId)
      .execute();
    expect(lots).toHaveLength(1);
    expect(lots[0]?.units).toBe(50);
    const days = ((lots[0]?.expires_at.getTime() ?? 0) - (lots[0]?.created_at.getTime() ?? 0)) / 86_400_000;
    expect(Math.round(days)).toBe(14);
    expect(await probe.steps(m.id)).toContain('unit_settled');
  });

  it('charges each message once while Gupshup fails twice before taking it', async () => {
    const phone = '5491100007002';
    await customerWrote(phone);
    const before = await probe.balance(portalId);
    s.gupshup.failNext({ times: 2, status: 500 });
    const m = await reply(phone, 'reintentos');
    await waitFor(async () => (await stateOf(m.id))[0] === 'settled', 30_000, 'the settle');
    expect(await probe.steps(m.id)).toContain('retry_scheduled');
    expect(s.gupshup.sent({ destination: phone })).toHaveLength(1);
    expect((await probe.charges(m.id)).kinds).toEqual(['reserve', 'settle']);
    expect(await probe.balance(portalId)).toEqual({ available: before.available - 1, reserved: 0 });
  });

  it('settles by the sweep a delivered message no billing event came for, only after BILLING_SETTLE_AFTER_MINUTES', async () => {
    s.gupshup.setBillingEvents(false);
    try {
      const phone = '5491100007003';
      await customerWrote(phone);
      const m = await reply(phone, 'sin evento de facturación');
      await waitFor(async () => (await probe.message(m.id)).status === 'read', 20_000, 'read');
      await s.deps.worker.drain();
      expect(await stateOf(m.id)).toEqual(['reserved']);
      // Delivered just now: the sweep leaves it (60 minutes by default).
      await s.deps.messaging.sweepBilling();
      expect(await stateOf(m.id)).toEqual(['reserved']);
      // An hour and a minute later: settled, once.
      const r = await s.deps.messaging.sweepBilling(Date.now() + 61 * 60_000);
      expect(r.settled).toBeGreaterThanOrEqual(1);
      expect(await stateOf(m.id)).toEqual(['settled']);
      await s.deps.messaging.sweepBilling(Date.now() + 61 * 60_000);
      expect((await probe.charges(m.id)).kinds).toEqual(['reserve', 'settle']);
    } finally {
      s.gupshup.setBillingEvents(true);
    }
  });

  it('ignores forged billing events (wrong secret, another channel, unknown id) and applies a duplicated one once', async () => {
    s.gupshup.setBillingEvents(false);
    let m: { id: number };
    try {
      const phone = '5491100007004';
      await customerWrote(phone);
      m = await reply(phone, 'eventos falsos');
      await waitFor(async () => (await probe.message(m.id)).gupshup_message_id, 20_000, 'the send');
      await s.deps.worker.drain();
    } finally {
      s.gupshup.setBillingEvents(true);
    }
    const sent = await probe.message(m.id);
    const gsId = sent.gupshup_message_id ?? '';
    const wrongSecret = ch.callbackUrl.replace(/[^/]+$/, 'x'.repeat(43));
    expect((await postCallback(wrongSecret, billingEvent(gsId, null))).status).toBeGreaterThanOrEqual(400);
    // A well-formed event of channel 2 naming channel 1's message: taken, and matched to nothing.
    expect((await postCallback(ch2.callbackUrl, billingEvent(gsId, null, ch2.appName))).status).toBe(200);
    expect((await postCallback(ch.callbackUrl, billingEvent('gs-forged-1', null))).status).toBe(200);
    const garbage = {
      ...billingEvent(gsId, null),
      payload: { deductions: {}, references: { gsId: { $ne: 1 } } },
    };
    expect((await postCallback(ch.callbackUrl, garbage)).status).toBe(400);
    await s.deps.worker.drain();
    expect(await stateOf(m.id)).toEqual(['reserved']);
    // The genuine event, delivered three times: settled once.
    for (let i = 0; i < 3; i++) {
      expect((await postCallback(ch.callbackUrl, billingEvent(gsId, null))).status).toBe(200);
    }
    await s.deps.worker.drain();
    await waitFor(async () => (await stateOf(m.id))[0] === 'settled', 10_000, 'the settle');
    expect((await probe.charges(m.id)).kinds).toEqual(['reserve', 'settle']);
  });

  it('gives the unit back when the send fails for good', async () => {
    const phone = '5491100007005';
    await customerWrote(phone);
    const before = await probe.balance(portalId);
    s.gupshup.failNextDelivery({
      destination: phone,
      code: 1002,
      reason: 'Number Does Not Exist On WhatsApp',
    });
    const m = await reply(phone, 'no está en WhatsApp');
    await waitFor(async () => (await stateOf(m.id))[0] === 'released', 20_000, 'the release');
    expect((await probe.message(m.id)).status).toBe('failed');
    expect((await probe.charges(m.id)).kinds).toEqual(['reserve', 'release']);
    expect(await probe.balance(portalId)).toEqual(before);
    expect(await probe.steps(m.id)).toContain('unit_released');
  });

  it('holds messages at zero balance, tells the agent, shows the channel Interrupted, and sends them in order once units are credited', async () => {
    const [p1, p2] = ['5491100007006', '5491100007007'];
    await customerWrote(p1);
    await customerWrote(p2);
    await probe.spendAll(portalId, 'spent-before-hold');
    expect((await probe.balance(portalId)).available).toBe(0);
    const first = await reply(p1, 'retenido uno');
    const second = await reply(p1, 'retenido dos');
    const other = await reply(p2, 'retenido otro chat');
    await waitFor(async () => (await probe.message(first.id)).held_at, 20_000, 'the hold');
    await waitFor(async () => (await probe.message(other.id)).held_at, 20_000, 'the other hold');
    await s.deps.worker.drain();
    expect(s.gupshup.sent({ destination: p1 })).toHaveLength(0);
    expect(s.gupshup.sent({ destination: p2 })).toHaveLength(0);
    for (const id of [first.id, second.id, other.id]) expect((await probe.message(id)).status).toBe('queued');
    expect(await probe.charges(first.id)).toEqual({ reservations: [], kinds: [] });
    expect(await probe.steps(first.id)).toContain('held_no_units');
    // The agent's note, in the portal's language (es), once per held message.
    const notes = await waitFor(() => {
      const n = s.portal
        .calls()
        .filter(
          (c) => c.method === 'im.message.add' && JSON.stringify(c.params).includes('No quedan mensajes'),
        );
      return n.length >= 2 ? n : undefined;
    });
    expect(notes).toHaveLength(2);
    expect(await probe.channel(token, ch)).toMatchObject({
      status: 'interrupted',
      statusReason: 'no_message_units',
    });

    await s.deps.ledger.credit({
      portalId,
      units: 10,
      validityDays: 30,
      provider: 'operator',
      eventId: 'hold-grant',
    });
    await waitFor(() => s.gupshup.sent({ destination: p1 }).length === 2, 20_000, 'the held messages');
    await waitFor(() => s.gupshup.sent({ destination: p2 }).length === 1, 20_000, 'the other chat');
    expect(s.gupshup.sent({ destination: p1 }).map((x) => x.message.text)).toEqual([
      '*Ana Admin:*\nretenido uno',
      '*Ana Admin:*\nretenido dos',
    ]);
    await waitFor(async () => (await probe.channel(token, ch))?.status === 'active', 10_000, 'recovery');
    expect(await probe.steps(first.id)).toContain('hold_released');
    for (const id of [first.id, second.id, other.id]) {
      await waitFor(async () => (await stateOf(id))[0] === 'settled', 20_000, 'the settles');
      expect((await probe.charges(id)).kinds).toEqual(['reserve', 'settle']);
    }
    expect(await probe.balance(portalId)).toEqual({ available: 7, reserved: 0 });
  });

  it('dead-letters a message held longer than BILLING_HOLD_HOURS, with the reason in the trace and the chat', async () => {
    const phone = '5491100007008';
    await customerWrote(phone);
    await probe.spendAll(portalId, 'spent-before-expiry');
    const m = await reply(phone, 'nunca llega saldo');
    await waitFor(async () => (await probe.message(m.id)).held_at, 20_000, 'the hold');
    await waitFor(
      async () => {
        const j = await s.deps.db
          .selectFrom('jobs')
          .select(['status', 'last_error'])
          .where('dedupe_key', '=', `out:${m.id}`)
          .executeTakeFirst();
        return j?.status === 'pending' && j.last_error === 'held: no_message_units';
      },
      20_000,
      'the held job to wait',
    );
    // 73 hours later (the default hold is 72): the job looks again.
    await s.deps.db
      .updateTable('messages')
      .set({ held_at: new Date(Date.now() - 73 * 3_600_000) })
      .where('id', '=', m.id)
      .execute();
    await s.deps.db
      .updateTable('jobs')
      .set({ run_at: new Date() })
      .where('dedupe_key', '=', `out:${m.id}`)
      .where('status', '=', 'pending')
      .execute();
    await waitFor(async () => (await probe.message(m.id)).status === 'dead', 20_000, 'the dead letter');
    expect((await probe.message(m.id)).error_detail).toMatch(/^hold_expired: held 72 h/);
    // The dead letter's trace row is written right after the message is marked dead.
    const trace = await waitFor(async () => {
      const rows = await s.deps.db
        .selectFrom('trace')
        .select(['step', 'code'])
        .where('message_id', '=', m.id)
        .where('step', '=', 'dead_lettered')
        .execute();
      return rows.length ? rows : undefined;
    });
    expect(trace).toEqual([{ step: 'dead_lettered', code: 'hold_expired' }]);
    await waitFor(() =>
      s.portal
        .calls()
        .some(
          (c) => c.method === 'im.message.add' && JSON.stringify(c.params).includes('no quedaban mensajes'),
        ),
    );
    expect(s.gupshup.sent({ destination: phone })).toHaveLength(0);
    expect(await probe.charges(m.id)).toEqual({ reservations: [], kinds: [] });
  });

  it('keeps the ledger consistent after all of it', async () => {
    await s.deps.worker.drain();
    expect(await s.deps.ledger.reconcile()).toEqual([]);
  });
});
