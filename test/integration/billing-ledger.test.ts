import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { grant, reconcile, useLedgerDatabase } from '../helpers/billing.js';

/**
 * The ledger under concurrency, on real PostgreSQL through the app's own (limited) role and many
 * connections at once: the balance never goes below zero, each call applies once, and the balance
 * row always equals the sum of the entries (billing_reconcile() finds nothing).
 */
describe('billing ledger: concurrency and idempotency', () => {
  const t = useLedgerDatabase(40);

  it('200 concurrent reserves against a balance of 100: exactly 100 succeed, the balance ends at 0', async () => {
    const portal = await t.newPortal();
    await grant(t.ledger, portal, 100);
    // 50 sessions of the app's role racing for the same balance row (not one connection's queue).
    const pool = new pg.Pool({ connectionString: t.appUrl, max: 50 });
    try {
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          pool.query<{ outcome: string; available: string }>(
            'SELECT outcome, available FROM billing_reserve($1, $2, 1)',
            [portal, `msg-${i}`],
          ),
        ),
      );
      const outcomes = results.map((r) => r.rows[0]?.outcome);
      expect(outcomes.filter((o) => o === 'reserved')).toHaveLength(100);
      expect(outcomes.filter((o) => o === 'insufficient')).toHaveLength(100);
      expect(results.every((r) => Number(r.rows[0]?.available) >= 0)).toBe(true);
      expect(pool.totalCount).toBeGreaterThan(10);
    } finally {
      await pool.end();
    }
    expect(await t.balance(portal)).toEqual({ available: 0, reserved: 100, debt: 0 });
    const { rows } = await t.admin.query(
      `SELECT count(*)::int AS n, sum(units)::int AS units FROM billing_reservations WHERE portal_id = $1`,
      [portal],
    );
    expect(rows[0]).toEqual({ n: 100, units: 100 });
    expect(await reconcile(t.admin)).toEqual([]);
  });

  it('a reserve repeated for the same message (concurrently too) reserves once', async () => {
    const portal = await t.newPortal();
    await grant(t.ledger, portal, 10);
    const ref = `msg-${randomUUID()}`;
    const results = await Promise.all(Array.from({ length: 20 }, () => t.ledger.reserve(portal, ref)));
    const ids = new Set(results.map((r) => r.reservationId));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.outcome === 'reserved')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'exists')).toHaveLength(19);
    expect(await t.balance(portal)).toEqual({ available: 9, reserved: 1, debt: 0 });
    // Later retries say where the message stands, and never take a unit again.
    const [id] = [...ids];
    await t.ledger.settle(id!);
    expect(await t.ledger.reserve(portal, ref)).toMatchObject({ outcome: 'exists', state: 'settled' });
    expect(await t.balance(portal)).toEqual({ available: 9, reserved: 0, debt: 0 });
  });

  it('a reservation is settled or released once, whatever arrives and how often', async () => {
    const portal = await t.newPortal();
    await grant(t.ledger, portal, 5);
    const r = await t.ledger.reserve(portal, 'race-1');
    const id = r.reservationId!;
    // Gupshup's billing event and a failure racing for the same message, each delivered twice.
    const out = await Promise.all([
      t.ledger.settle(id),
      t.ledger.release(id),
      t.ledger.settle(id),
      t.ledger.release(id),
    ]);
    const won = out.filter((o) => o.outcome === 'settled' || o.outcome === 'released');
    expect(won).toHaveLength(1);
    const final = won[0]!.state;
    expect(out.every((o) => o.state === final)).toBe(true);
    expect(await t.balance(portal)).toEqual({
      available: final === 'settled' ? 4 : 5,
      reserved: 0,
      debt: 0,
    });
    const entries = await t.admin.query(
      `SELECT kind FROM billing_ledger WHERE reservation_id = $1 ORDER BY id`,
      [id],
    );
    expect(entries.rows.map((e: { kind: string }) => e.kind)).toEqual([
      'reserve',
      final === 'settled' ? 'settle' : 'release',
    ]);
  });

  it('settles and releases by message ref; an unknown message has nothing to settle', async () => {
    const portal = await t.newPortal();
    await grant(t.ledger, portal, 3);
    await t.ledger.reserve(portal, 'm-a', { units: 2 });
    expect(await t.ledger.settleMessage(portal, 'm-a')).toMatchObject({ outcome: 'settled' });
    expect(await t.ledger.releaseMessage(portal, 'm-a')).toMatchObject({ outcome: 'already_settled' });
    expect(await t.ledger.settleMessage(portal, 'never-sent')).toBeNull();
    expect(await t.balance(portal)).toEqual({ available: 1, reserved: 0, debt: 0 });
  });

  it('a provider event credits once, delivered ten times at once; one order credits once', async () => {
    const portal = await t.newPortal();
    const order = await t.newOrder(portal, 50);
    const deliveries = await Promise.all(
      Array.from({ length: 10 }, () =>
        t.ledger.credit({
          portalId: portal,
          units: 50,
          validityDays: 30,
          orderId: order,
          provider: 'stripe',
          eventId: 'evt_1',
        }),
      ),
    );
    expect(deliveries.filter((d) => d.outcome === 'credited')).toHaveLength(1);
    expect(deliveries.filter((d) => d.outcome === 'duplicate_event')).toHaveLength(9);
    expect(new Set(deliveries.map((d) => d.lot_id)).size).toBe(1);
    // The same purchase announced by another event (checkout.session.completed and
    // async_payment_succeeded; PayPal's order and capture events) is still one pack.
    const other = await t.ledger.credit({
      portalId: portal,
      units: 50,
      validityDays: 30,
      orderId: order,
      provider: 'stripe',
      eventId: 'evt_2',
    });
    expect(other.outcome).toBe('duplicate_order');
    expect(await t.balance(portal)).toEqual({ available: 50, reserved: 0, debt: 0 });
    const events = await t.admin.query(
      `SELECT event_id, applied_at IS NOT NULL AS applied FROM billing_provider_events
       WHERE portal_id = $1 ORDER BY event_id`,
      [portal],
    );
    expect(events.rows).toEqual([
      { event_id: 'evt_1', applied: true },
      { event_id: 'evt_2', applied: true },
    ]);
  });

  it('an event noted on arrival is applied once by the credit that follows', async () => {
    const portal = await t.newPortal();
    expect(
      await t.ledger.recordEvent({ provider: 'paypal', eventId: 'WH-1', type: 'PAYMENT.CAPTURE.COMPLETED' }),
    ).toBe('new');
    expect(await t.ledger.recordEvent({ provider: 'paypal', eventId: 'WH-1' })).toBe('seen');
    const first = await t.ledger.credit({
      portalId: portal,
      units: 7,
      validityDays: 10,
      provider: 'paypal',
      eventId: 'WH-1',
    });
    const again = await t.ledger.credit({
      portalId: portal,
      units: 7,
      validityDays: 10,
      provider: 'paypal',
      eventId: 'WH-1',
    });
    expect([first.outcome, again.outcome]).toEqual(['credited', 'duplicate_event']);
    expect(again.lot_id).toBe(first.lot_id);
    expect(await t.ledger.recordEvent({ provider: 'paypal', eventId: 'WH-1' })).toBe('applied');
    expect(await t.balance(portal)).toEqual({ available: 7, reserved: 0, debt: 0 });
  });

  it('a random concurrent mix of every operation leaves nothing for the reconciliation to find', async () => {
    const portals = await Promise.all([t.newPortal(), t.newPortal(), t.newPortal()]);
    for (const p of portals) await grant(t.ledger, p, 40, 5);
    let seed = 7;
    const rand = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const ops = Array.from({ length: 400 }, (_, i) => async () => {
      const portal = portals[rand(portals.length)]!;
      const ref = `mix-${rand(150)}`;
      switch (rand(6)) {
        case 0:
        case 1:
          return t.ledger.reserve(portal, ref, { units: 1 + rand(3) });
        case 2:
          return t.ledger.settleMessage(portal, ref);
        case 3:
          return t.ledger.releaseMessage(portal, ref);
        case 4:
          if (i % 5 === 0) return grant(t.ledger, portal, 1 + rand(10), 1 + rand(30));
          // A pack reaching its end of validity meanwhile (as time would), then the expiry run.
          await t.admin.query(
            `UPDATE billing_lots SET expires_at = now() - interval '1 minute'
             WHERE id = (SELECT max(id) FROM billing_lots WHERE portal_id = $1)`,
            [portal],
          );
          return t.ledger.expire();
        default: {
          const order = await t.newOrder(portal, 5);
          await t.ledger.credit({ portalId: portal, units: 5, validityDays: 3, orderId: order });
          return t.ledger.refund({ orderId: order, units: rand(6) });
        }
      }
    });
    await Promise.all(ops.map((op) => op()));
    const kinds = await t.admin.query<{ kind: string }>(
      'SELECT DISTINCT kind FROM billing_ledger WHERE portal_id = ANY($1) ORDER BY kind',
      [portals],
    );
    // Which kinds occur depends on the interleaving (a settle that runs before its reserve finds
    // nothing to settle); the mix always credits and reserves, and never writes another kind.
    const seen = kinds.rows.map((k) => k.kind);
    expect(seen).toEqual(expect.arrayContaining(['credit', 'reserve']));
    for (const k of seen) expect(['credit', 'expiry', 'refund', 'release', 'reserve', 'settle']).toContain(k);
    expect(await reconcile(t.admin)).toEqual([]);
    const neg = await t.admin.query(
      'SELECT count(*)::int AS n FROM billing_balances WHERE available < 0 OR reserved < 0 OR debt < 0',
    );
    expect(neg.rows[0]).toEqual({ n: 0 });
  });

  it("says what is wrong with a caller's input, as 400 and 404 errors", async () => {
    const portal = await t.newPortal();
    await expect(t.ledger.reserve(portal, '', {})).rejects.toMatchObject({ httpStatus: 400 });
    await expect(t.ledger.reserve(portal, 'x', { units: 0 })).rejects.toMatchObject({ httpStatus: 400 });
    await expect(t.ledger.credit({ portalId: portal, units: 5, validityDays: 30 })).rejects.toMatchObject({
      httpStatus: 400,
      message: expect.stringMatching(/needs an order or a provider event/) as unknown,
    });
    await expect(
      t.ledger.credit({
        portalId: 987_654_321,
        units: 5,
        validityDays: 30,
        provider: 'operator',
        eventId: 'g',
      }),
    ).rejects.toMatchObject({ httpStatus: 404 });
    await expect(t.ledger.settle(987_654_321)).rejects.toMatchObject({ httpStatus: 404 });
    await expect(t.ledger.refund({ orderId: 987_654_321 })).rejects.toMatchObject({ httpStatus: 404 });
    await expect(
      t.ledger.recordEvent({ provider: 'stripe', eventId: 'evt_x', portalId: 987_654_321 }),
    ).rejects.toMatchObject({ httpStatus: 404 });
    await expect(t.ledger.recordEvent({ provider: 'Stripe!', eventId: 'evt_x' })).rejects.toMatchObject({
      httpStatus: 400,
    });
    const sub = await t.admin.query<{ id: string }>(
      `WITH ch AS (
         INSERT INTO channels (portal_id, name, gupshup_app_name, source_number, callback_nonce)
         VALUES ($1, 'Shop', 'Shop', '5491100000001', 'nonce') RETURNING id)
       INSERT INTO billing_orders (portal_id, kind, channel_id, months, amount_minor, currency, provider)
       SELECT $1, 'subscription', ch.id, 1, 2000, 'USD', 'stripe' FROM ch RETURNING id`,
      [portal],
    );
    await expect(
      t.ledger.credit({ portalId: portal, units: 5, validityDays: 30, orderId: Number(sub.rows[0]?.id) }),
    ).rejects.toMatchObject({ httpStatus: 400, message: expect.stringMatching(/subscription/) as unknown });
    await expect(
      t.ledger.credit({ portalId: portal, units: 5, validityDays: 30, orderId: 987_654_321 }),
    ).rejects.toMatchObject({ httpStatus: 404 });
    // A portal that never bought anything has nothing to reserve.
    expect(await t.ledger.reserve(portal, 'y')).toMatchObject({ outcome: 'insufficient', available: 0 });
  });

  it('a reserve retried while its reservation is being settled answers exists and never waits in a cycle', async () => {
    // Reserve holds the portal's balance row; settle holds the reservation row, then wants the
    // balance row. A reserve that waited for the reservation row (ON CONFLICT does) would deadlock.
    const portal = await t.newPortal();
    await grant(t.ledger, portal, 5);
    const ref = `msg-${randomUUID()}`;
    const first = await t.ledger.reserve(portal, ref);
    expect(first.outcome).toBe('reserved');
    const calls = Array.from({ length: 30 }, (_, i) =>
      i % 3 === 0 ? t.ledger.settle(first.reservationId!) : t.ledger.reserve(portal, ref),
    );
    const results = await Promise.all(calls);
    const outcomes = results.map((r) => r.outcome);
    expect(outcomes.filter((o) => o === 'settled')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'already_settled')).toHaveLength(9);
    expect(outcomes.filter((o) => o === 'exists')).toHaveLength(20);
    expect(await t.balance(portal)).toEqual({ available: 4, reserved: 0, debt: 0 });
    expect(await reconcile(t.admin)).toEqual([]);
  });

  it("keeps a copy of the portal's low-balance threshold on its balance row, for the balance trigger", async () => {
    const portal = await t.newPortal(); // never credited: no balance row yet
    const copy = async () =>
      (
        await t.admin.query<{ low_balance_threshold: number | null; available: string }>(
          'SELECT low_balance_threshold, available FROM billing_balances WHERE portal_id = $1',
          [portal],
        )
      ).rows[0];
    expect(await copy()).toBeUndefined();
    await t.admin.query('INSERT INTO billing_settings (portal_id, low_balance_threshold) VALUES ($1, 5)', [
      portal,
    ]);
    expect(await copy()).toEqual({ low_balance_threshold: 5, available: 0 });
    await t.admin.query('UPDATE billing_settings SET low_balance_threshold = 7 WHERE portal_id = $1', [
      portal,
    ]);
    expect((await copy())?.low_balance_threshold).toBe(7);
    await grant(t.ledger, portal, 10);
    expect(await copy()).toEqual({ low_balance_threshold: 7, available: 10 });
    await t.admin.query('UPDATE billing_settings SET low_balance_threshold = NULL WHERE portal_id = $1', [
      portal,
    ]);
    expect((await copy())?.low_balance_threshold).toBeNull();
    await t.admin.query('UPDATE billing_settings SET low_balance_threshold = 3 WHERE portal_id = $1', [
      portal,
    ]);
    await t.admin.query('DELETE FROM billing_settings WHERE portal_id = $1', [portal]);
    expect((await copy())?.low_balance_threshold).toBeNull();
    expect(await reconcile(t.admin)).toEqual([]);
  });
});
