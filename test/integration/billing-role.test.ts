import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grant, useLedgerDatabase } from '../helpers/billing.js';

/**
 * The app's database role (docs/billing.md): not a superuser, a member of whatsappb24_app; it works
 * the relay's tables and the ledger's functions, and cannot write the ledger's tables, set a balance,
 * call the functions' internal steps or lift the rules. The append-only rule binds the owner too.
 */
describe('the app database role', () => {
  const t = useLedgerDatabase(4);
  let app: pg.Client;
  let portal: number;
  beforeAll(async () => {
    app = new pg.Client({ connectionString: t.appUrl });
    await app.connect();
    portal = await t.newPortal();
    await grant(t.ledger, portal, 10);
  });
  afterAll(async () => app?.end());

  it('is not a superuser and holds its rights through whatsappb24_app', async () => {
    const r = await app.query<{ rolsuper: boolean; rolcreaterole: boolean; member: boolean }>(
      `SELECT rolsuper, rolcreaterole, pg_has_role(current_user, 'whatsappb24_app', 'MEMBER') AS member
       FROM pg_roles WHERE rolname = current_user`,
    );
    expect(r.rows).toEqual([{ rolsuper: false, rolcreaterole: false, member: true }]);
  });

  it('reserves, settles, releases and reads through the functions', async () => {
    const res = await app.query<{ outcome: string; reservation_id: string }>(
      `SELECT * FROM billing_reserve($1, 'role-1', 2)`,
      [portal],
    );
    expect(res.rows[0]?.outcome).toBe('reserved');
    const id = res.rows[0]?.reservation_id;
    expect((await app.query(`SELECT outcome FROM billing_settle($1)`, [id])).rows).toEqual([
      { outcome: 'settled' },
    ]);
    const r2 = await app.query<{ reservation_id: string }>(`SELECT * FROM billing_reserve($1, 'role-2')`, [
      portal,
    ]);
    expect(
      (await app.query(`SELECT outcome FROM billing_release($1)`, [r2.rows[0]?.reservation_id])).rows,
    ).toEqual([{ outcome: 'released' }]);
    const b = await app.query(
      `SELECT available::int, reserved::int FROM billing_balances WHERE portal_id = $1`,
      [portal],
    );
    expect(b.rows).toEqual([{ available: 8, reserved: 0 }]);
    expect((await app.query('SELECT * FROM billing_reconcile()')).rows).toEqual([]);
  });

  it('works the relay tables as before', async () => {
    await app.query(`INSERT INTO jobs (topic, payload) VALUES ('role.test', '{}')`);
    const r = await app.query(`UPDATE jobs SET status = 'done' WHERE topic = 'role.test' RETURNING status`);
    expect(r.rows).toEqual([{ status: 'done' }]);
    await app.query(`DELETE FROM jobs WHERE topic = 'role.test'`);
  });

  const refused: Array<[string, string]> = [
    ['change a ledger entry', `UPDATE billing_ledger SET units = units + 1`],
    ['delete ledger entries', `DELETE FROM billing_ledger`],
    ['truncate the ledger', `TRUNCATE billing_ledger`],
    [
      'write a ledger entry by hand',
      `INSERT INTO billing_ledger (portal_id, kind, units, delta_available, delta_reserved)
       SELECT id, 'credit', 1000, 1000, 0 FROM portals LIMIT 1`,
    ],
    ['set a balance', `UPDATE billing_balances SET available = 1000000`],
    [
      'make a balance row',
      `INSERT INTO billing_balances (portal_id, available) SELECT id, 5 FROM portals LIMIT 1`,
    ],
    ['fill a lot', `UPDATE billing_lots SET remaining = units`],
    ['settle a reservation by hand', `UPDATE billing_reservations SET state = 'settled'`],
    ['mark an event applied', `UPDATE billing_provider_events SET applied_at = NULL`],
    ['call an internal step', `SELECT _billing_take(1, 1, NULL, false, 'x')`],
    [
      'switch the append-only rule off',
      `ALTER TABLE billing_ledger DISABLE TRIGGER billing_ledger_no_update`,
    ],
    ['become the owner', `SET ROLE postgres`],
    ['rewrite the migrations record', `DELETE FROM schema_migrations`],
  ];
  it.each(refused)('may not %s', async (_what, statement) => {
    await expect(app.query(statement)).rejects.toMatchObject({ code: '42501' });
    await expect(app.query(statement)).rejects.toThrow(/permission denied|must be owner|must be a member/);
  });

  it('even the owner cannot change or delete a ledger entry (the trigger says why)', async () => {
    await expect(t.admin.query('UPDATE billing_ledger SET units = units + 1')).rejects.toMatchObject({
      code: 'WB001',
      message: expect.stringMatching(/append-only: UPDATE is not allowed/) as unknown,
    });
    await expect(t.admin.query('DELETE FROM billing_ledger')).rejects.toMatchObject({ code: 'WB001' });
    await expect(t.admin.query('TRUNCATE billing_ledger CASCADE')).rejects.toMatchObject({ code: 'WB001' });
  });
});
