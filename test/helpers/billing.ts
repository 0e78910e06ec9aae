import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { STACK_APP_SECRET } from '../../scripts/stack.js';
import { BillingRepository } from '../../src/modules/billing/billing.repository.js';
import { LedgerService } from '../../src/modules/billing/ledger.service.js';
import { appLoginPassword, appLoginUrl } from '../../src/shared/db/app-role.js';
import { createDatabase, type Database } from '../../src/shared/db/database.js';
import { createTestDatabase } from './db.js';

export interface LedgerBench {
  /** The database's owner (a superuser): for set-up and for looking behind the app's back. */
  admin: pg.Pool;
  /** The app's own login role (member of whatsappb24_app), as the app connects. */
  appUrl: string;
  db: Database;
  ledger: LedgerService;
  newPortal(): Promise<number>;
  newOrder(portalId: number, units: number): Promise<number>;
  balance(portalId: number): Promise<{ available: number; reserved: number; debt: number }>;
}

/**
 * A database of its own for a ledger test file, the app's Kysely pool on it as the app's login role
 * (`poolMax` connections: the concurrency tests need many) and the LedgerService on that pool. The
 * login role is cluster-wide: every test uses the stack's password for it.
 */
export function useLedgerDatabase(poolMax = 40): LedgerBench {
  const state: Partial<LedgerBench> & { drop?: () => Promise<void> } = {};
  beforeAll(async () => {
    const t = await createTestDatabase();
    state.drop = t.drop;
    state.admin = new pg.Pool({ connectionString: t.url, max: 4 });
    // pool.end() resolves before its clients' sockets close; the DROP DATABASE … WITH (FORCE) that
    // follows may then end one of them with 57P01, which the pool re-emits: without a listener, an
    // uncaught error that fails the run (seen once in CI).
    state.admin.on('error', () => undefined);
    state.admin.on('connect', (c) => c.on('error', () => undefined));
    state.appUrl = await appLoginUrl(t.url, appLoginPassword(STACK_APP_SECRET));
    state.db = createDatabase(state.appUrl, { max: poolMax }).db;
    state.ledger = new LedgerService(new BillingRepository(state.db));
  });
  afterAll(async () => {
    await state.db?.destroy();
    await state.admin?.end();
    await state.drop?.();
  });
  const admin = () => {
    if (!state.admin) throw new Error('useLedgerDatabase(): only inside tests');
    return state.admin;
  };
  return {
    get admin() {
      return admin();
    },
    get appUrl() {
      return state.appUrl ?? '';
    },
    get db() {
      return state.db as Database;
    },
    get ledger() {
      return state.ledger as LedgerService;
    },
    async newPortal() {
      const r = await admin().query<{ id: string }>(
        `INSERT INTO portals (member_id, domain, client_endpoint, status)
         VALUES ($1, $2, 'https://example.bitrix24.es/rest/', 'installed') RETURNING id`,
        [randomUUID(), `p${randomUUID().slice(0, 8)}.bitrix24.es`],
      );
      return Number(r.rows[0]?.id);
    },
    async newOrder(portalId, units) {
      const r = await admin().query<{ id: string }>(
        `INSERT INTO billing_orders (portal_id, kind, units, validity_days, amount_minor, currency, provider, status)
         VALUES ($1, 'pack', $2, 30, 1500, 'USD', 'stripe', 'paid') RETURNING id`,
        [portalId, units],
      );
      return Number(r.rows[0]?.id);
    },
    async balance(portalId) {
      const r = await admin().query<{ available: string; reserved: string; debt: string }>(
        'SELECT available, reserved, debt FROM billing_balances WHERE portal_id = $1',
        [portalId],
      );
      const b = r.rows[0];
      return {
        available: Number(b?.available ?? 0),
        reserved: Number(b?.reserved ?? 0),
        debt: Number(b?.debt ?? 0),
      };
    },
  };
}

/** billing_reconcile() as the operator runs it: rows where the ledger disagrees with itself. */
export async function reconcile(admin: pg.Pool): Promise<unknown[]> {
  return (await admin.query<Record<string, unknown>>('SELECT * FROM billing_reconcile()')).rows;
}

/** A grant from the operator: a credit keyed by a fresh event id. */
export function grant(ledger: LedgerService, portalId: number, units: number, validityDays = 30) {
  return ledger.credit({ portalId, units, validityDays, provider: 'operator', eventId: randomUUID() });
}
