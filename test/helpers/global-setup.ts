import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/shared/db/embedded.js';
import { migrate } from '../../src/shared/db/migrate.js';

/**
 * One PostgreSQL for the whole run: `DATABASE_URL` when set, else an embedded one kept in test/.tmp.
 * A template database is migrated once; each test file clones its own database from it.
 *
 * Only the Vitest projects that need a database list this file (vitest.config.ts), and Vitest runs it
 * once per such project: the first one starts PostgreSQL, the others share it, the last one stops it.
 */
export const TEMPLATE_DB = 'wab24_test_template';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

interface SharedPostgres {
  ready: Promise<{ adminUrl: string; embedded?: EmbeddedDatabase }>;
  users: number;
}

// Each project may load this module on its own, so the shared instance lives on globalThis.
const KEY = Symbol.for('whatsappb24.test.postgres');
const store = globalThis as typeof globalThis & { [KEY]?: SharedPostgres };

async function startPostgres(): Promise<{ adminUrl: string; embedded?: EmbeddedDatabase }> {
  let adminUrl = process.env.DATABASE_URL;
  let embedded: EmbeddedDatabase | undefined;
  if (!adminUrl) {
    embedded = await startEmbeddedPostgres(path.resolve('test/.tmp'));
    adminUrl = embedded.url;
  }
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    // Databases left by an interrupted earlier run.
    const stale = await client.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE 'wab24_t_%' OR datname = $1`,
      [TEMPLATE_DB],
    );
    for (const r of stale.rows) await client.query(`DROP DATABASE IF EXISTS "${r.datname}" WITH (FORCE)`);
    await client.query(`CREATE DATABASE "${TEMPLATE_DB}"`);
  } finally {
    await client.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${TEMPLATE_DB}`;
  await migrate(url.toString());
  return embedded ? { adminUrl, embedded } : { adminUrl };
}

export async function setup(project: TestProject): Promise<void> {
  const shared = (store[KEY] ??= { ready: startPostgres(), users: 0 });
  shared.users++;
  project.provide('pgAdminUrl', (await shared.ready).adminUrl);
}

export async function teardown(): Promise<void> {
  const shared = store[KEY];
  if (!shared || --shared.users > 0) return;
  delete store[KEY];
  await (await shared.ready.catch(() => undefined))?.embedded?.stop();
}
