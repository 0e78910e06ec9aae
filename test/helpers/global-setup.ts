import path from 'node:path';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../src/shared/db/embedded.js';
import { migrate } from '../../src/shared/db/migrate.js';

/**
 * One PostgreSQL for the whole run: `DATABASE_URL` when set, else an embedded one kept in test/.tmp.
 * A template database is migrated once; each test file clones its own database from it.
 */
export const TEMPLATE_DB = 'wab24_test_template';

declare module 'vitest' {
  export interface ProvidedContext {
    pgAdminUrl: string;
  }
}

let embedded: EmbeddedDatabase | undefined;

export async function setup(project: TestProject): Promise<void> {
  let adminUrl = process.env.DATABASE_URL;
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
  project.provide('pgAdminUrl', adminUrl);
}

export async function teardown(): Promise<void> {
  await embedded?.stop();
}
