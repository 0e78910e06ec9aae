import { createHmac } from 'node:crypto';
import pg from 'pg';

/**
 * The database roles. Migrations run as the tables' owner; the app connects as a login role that is
 * a member of `whatsappb24_app` (created by migrations/0010_billing.sql), which may read and write the
 * relay's tables, only read the ledger's, and change the ledger only through the billing_* functions.
 * docs/billing.md shows the SQL an operator runs for an external PostgreSQL; for a cluster we run
 * ourselves (the embedded one, the tests, the demo) `appLoginUrl` does it.
 */
export const APP_ROLE = 'whatsappb24_app';
export const APP_LOGIN = 'whatsappb24';

/** The app login's password on a cluster we run: derived from APP_SECRET, stable across restarts. */
export function appLoginPassword(appSecret: string): string {
  return createHmac('sha256', appSecret).update('whatsappb24 database login').digest('hex');
}

/**
 * `ownerUrl` with the app's login role instead of the owner, after making sure that role exists, is
 * not a superuser, is a member of `whatsappb24_app` and has `password`. Needs an owner that may create
 * roles (a superuser of a cluster we started). Safe to run from many processes at once.
 */
export async function appLoginUrl(ownerUrl: string, password: string): Promise<string> {
  const url = new URL(ownerUrl);
  url.username = APP_LOGIN;
  url.password = password;
  const appUrl = url.toString();
  if (await canLogIn(appUrl)) return appUrl;
  const c = new pg.Client({ connectionString: ownerUrl });
  await c.connect();
  try {
    const pw = c.escapeLiteral(password);
    await c.query(`DO $$ BEGIN
        CREATE ROLE ${APP_LOGIN} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${pw} IN ROLE ${APP_ROLE};
      EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
      END $$`);
    if (!(await canLogIn(appUrl))) {
      await retryConcurrentUpdate(async () => {
        await c.query(`ALTER ROLE ${APP_LOGIN} WITH LOGIN NOSUPERUSER PASSWORD ${pw}`);
        await c.query(`GRANT ${APP_ROLE} TO ${APP_LOGIN}`);
      });
    }
  } finally {
    await c.end();
  }
  return appUrl;
}

/** Whether `url` connects: false when its role is missing or its password wrong; other faults throw. */
async function canLogIn(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url });
  try {
    await c.connect();
    return true;
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '28P01' || code === '28000') return false;
    throw err;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Two sessions changing one role at once: PostgreSQL refuses the second ("tuple concurrently updated"). */
async function retryConcurrentUpdate(fn: () => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await fn();
      return;
    } catch (err) {
      if (attempt >= 5 || !/concurrently/.test(String((err as Error).message))) throw err;
      await new Promise((r) => setTimeout(r, 20 * attempt));
    }
  }
}

/** Whether `url` connects as a superuser (which no ledger rule binds): start-up warns about it. */
export async function isSuperuser(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const r = await c.query<{ rolsuper: boolean }>(
      'SELECT rolsuper FROM pg_roles WHERE rolname = current_user',
    );
    return r.rows[0]?.rolsuper === true;
  } finally {
    await c.end();
  }
}
