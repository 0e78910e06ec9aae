import { describe, expect, it } from 'vitest';
import { grant, reconcile, useLedgerDatabase } from '../helpers/billing.js';

/**
 * Expiry (the pack expiring first is used first; what is left of a pack leaves the balance at its
 * end of validity) and refunds (docs/billing.md: what is left of the pack, then its expired units,
 * then the portal's other packs, then debt that the next units pay off), on real PostgreSQL.
 */
describe('billing ledger: expiry', () => {
  const t = useLedgerDatabase(8);

  const age = (lotId: number | null) =>
    t.admin.query(`UPDATE billing_lots SET expires_at = now() - interval '1 minute' WHERE id = $1`, [lotId]);
  const lots = async (portal: number) =>
    (
      await t.admin.query<{ id: string; remaining: number; expired_units: number }>(
        'SELECT id, remaining, expired_units FROM billing_lots WHERE portal_id = $1 ORDER BY id',
        [portal],
      )
    ).rows.map((r) => ({ id: Number(r.id), remaining: r.remaining, expired: r.expired_units }));

  it('takes units from the pack that expires first, and expires what is left of it at its end', async () => {
    const portal = await t.newPortal();
    const long = await grant(t.ledger, portal, 10, 90);
    const short = await grant(t.ledger, portal, 10, 5);
    await t.ledger.reserve(portal, 'e-1', { units: 3 });
    expect(await lots(portal)).toEqual([
      { id: long.lot_id, remaining: 10, expired: 0 },
      { id: short.lot_id, remaining: 7, expired: 0 },
    ]);
    // More than the first pack holds: the rest from the next one.
    const split = await t.ledger.reserve(portal, 'e-1b', { units: 9 });
    const alloc = await t.admin.query('SELECT allocations FROM billing_reservations WHERE id = $1', [
      split.reservationId,
    ]);
    expect(alloc.rows[0]).toEqual({
      allocations: [
        { lot: short.lot_id, units: 7 },
        { lot: long.lot_id, units: 2 },
      ],
    });
    await t.ledger.release(split.reservationId!);
    await age(short.lot_id);
    expect(await t.ledger.expire()).toEqual([{ portalId: portal, units: 7 }]);
    expect(await t.ledger.expire()).toEqual([]);
    expect(await lots(portal)).toEqual([
      { id: long.lot_id, remaining: 10, expired: 0 },
      { id: short.lot_id, remaining: 0, expired: 7 },
    ]);
    expect(await t.balance(portal)).toEqual({ available: 10, reserved: 3, debt: 0 });
    expect(await reconcile(t.admin)).toEqual([]);
  });

  it('a send never uses an expired unit, even before the expiry run', async () => {
    const portal = await t.newPortal();
    const soon = await grant(t.ledger, portal, 5, 2);
    const later = await grant(t.ledger, portal, 5, 60);
    await age(soon.lot_id);
    const r = await t.ledger.reserve(portal, 'e-2', { units: 6 });
    expect(r).toMatchObject({ outcome: 'insufficient', available: 5 });
    expect(await t.ledger.reserve(portal, 'e-3', { units: 5 })).toMatchObject({
      outcome: 'reserved',
      available: 0,
    });
    const kinds = await t.admin.query<{ kind: string; lot_id: string }>(
      'SELECT kind, lot_id FROM billing_ledger WHERE portal_id = $1 ORDER BY id',
      [portal],
    );
    expect(kinds.rows.map((k) => [k.kind, Number(k.lot_id)])).toEqual([
      ['credit', soon.lot_id],
      ['credit', later.lot_id],
      ['expiry', soon.lot_id],
      ['reserve', later.lot_id],
    ]);
  });

  it('units given back to a pack that expired meanwhile expire at once', async () => {
    const portal = await t.newPortal();
    const lot = await grant(t.ledger, portal, 4, 3);
    const r = await t.ledger.reserve(portal, 'e-4', { units: 4 });
    await age(lot.lot_id);
    expect(await t.ledger.release(r.reservationId!)).toMatchObject({ outcome: 'released' });
    expect(await t.balance(portal)).toEqual({ available: 0, reserved: 0, debt: 0 });
    expect(await lots(portal)).toEqual([{ id: lot.lot_id, remaining: 0, expired: 4 }]);
    expect(await reconcile(t.admin)).toEqual([]);
  });

  it('a credit queues the expiry run of the hour after its expiry; the run queues the next', async () => {
    const portal = await t.newPortal();
    const lot = await grant(t.ledger, portal, 3, 1);
    const slot = new Date((Math.floor(lot.expires_at!.getTime() / 3_600_000) + 1) * 3_600_000);
    const jobs = await t.admin.query<{ run_at: Date }>(`SELECT run_at FROM jobs WHERE dedupe_key = $1`, [
      `billing.expire:${slot.toISOString()}`,
    ]);
    expect(jobs.rows.map((j) => j.run_at.toISOString())).toEqual([slot.toISOString()]);
    await age(lot.lot_id);
    const log = { info: () => undefined } as never;
    expect(await t.ledger.expireJob().run({} as never, log)).toEqual({ kind: 'done' });
    expect(await t.balance(portal)).toMatchObject({ available: 0 });
  });

  it('refuses to expire at a moment in the future', async () => {
    const { Client } = (await import('pg')).default;
    const c = new Client({ connectionString: t.appUrl });
    await c.connect();
    try {
      await expect(c.query(`SELECT * FROM billing_expire(now() + interval '1 day')`)).rejects.toMatchObject({
        code: '22023',
      });
    } finally {
      await c.end();
    }
  });
});

describe('billing ledger: refunds and disputes', () => {
  const t = useLedgerDatabase(8);

  async function bought(portal: number, units: number, validityDays = 30) {
    const order = await t.newOrder(portal, units);
    await t.ledger.credit({
      portalId: portal,
      units,
      validityDays,
      orderId: order,
      provider: 'stripe',
      eventId: `cs_${order}`,
    });
    return order;
  }

  it('an unspent pack is taken back whole', async () => {
    const portal = await t.newPortal();
    const order = await bought(portal, 10);
    expect(
      await t.ledger.refund({ orderId: order, provider: 'stripe', eventId: 'ch_1.refunded' }),
    ).toMatchObject({
      outcome: 'reversed',
      reversed: 10,
      from_pack: 10,
      debt_added: 0,
    });
    expect(await t.balance(portal)).toEqual({ available: 0, reserved: 0, debt: 0 });
  });

  it('spent units come from the other packs first, then become debt the next units pay off', async () => {
    const portal = await t.newPortal();
    const a = await bought(portal, 10, 10);
    await bought(portal, 4, 60);
    const r = await t.ledger.reserve(portal, 'r-1', { units: 9 }); // all from a: it expires first
    await t.ledger.settle(r.reservationId!);
    const res = await t.ledger.refund({ orderId: a, provider: 'stripe', eventId: 'dp_1' }); // a dispute
    expect(res).toMatchObject({ reversed: 10, from_pack: 1, from_other_packs: 4, debt_added: 5 });
    expect(await t.balance(portal)).toEqual({ available: 0, reserved: 0, debt: 5 });
    // The next pack pays the debt first.
    const next = await grant(t.ledger, portal, 8);
    expect(next).toMatchObject({ outcome: 'credited', available: 3, debt: 0 });
    expect(await reconcile(t.admin)).toEqual([]);
  });

  it('units in flight at the refund count as spent; given back later, they pay the debt', async () => {
    const portal = await t.newPortal();
    const order = await bought(portal, 5);
    const r = await t.ledger.reserve(portal, 'r-2', { units: 2 });
    expect(await t.ledger.refund({ orderId: order })).toMatchObject({ from_pack: 3, debt_added: 2 });
    await t.ledger.release(r.reservationId!);
    expect(await t.balance(portal)).toEqual({ available: 0, reserved: 0, debt: 0 });
    expect(await reconcile(t.admin)).toEqual([]);
  });

  it('partial refunds converge on the cumulative total; repeated and late events change nothing', async () => {
    const portal = await t.newPortal();
    const order = await bought(portal, 10);
    const refund = (units: number, eventId: string) =>
      t.ledger.refund({ orderId: order, units, provider: 'stripe', eventId });
    expect(await refund(3, 'evt_a')).toMatchObject({ outcome: 'reversed', reversed: 3, reversed_total: 3 });
    expect(await refund(3, 'evt_a')).toMatchObject({ outcome: 'duplicate_event', reversed: 0 });
    expect(await refund(5, 'evt_b')).toMatchObject({ outcome: 'reversed', reversed: 2, reversed_total: 5 });
    // An older event (cumulative 3) delivered after the newer one: already covered.
    expect(await refund(3, 'evt_c')).toMatchObject({ outcome: 'nothing_to_reverse', reversed_total: 5 });
    expect(await t.balance(portal)).toEqual({ available: 5, reserved: 0, debt: 0 });
    await expect(refund(11, 'evt_d')).rejects.toMatchObject({ httpStatus: 400 });
  });

  it('units of the pack that expired unused are not owed', async () => {
    const portal = await t.newPortal();
    const order = await bought(portal, 6, 2);
    const r = await t.ledger.reserve(portal, 'r-3', { units: 2 });
    await t.ledger.settle(r.reservationId!);
    await t.admin.query(
      `UPDATE billing_lots SET expires_at = now() - interval '1 minute' WHERE order_id = $1`,
      [order],
    );
    await t.ledger.expire();
    expect(await t.ledger.refund({ orderId: order })).toMatchObject({
      reversed: 6,
      from_pack: 0,
      from_expired: 4,
      debt_added: 2,
    });
    expect(await t.balance(portal)).toEqual({ available: 0, reserved: 0, debt: 2 });
    expect(await reconcile(t.admin)).toEqual([]);
  });
});
