import { readdirSync, readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/shared/db/migrate.js';
import { createTestDatabase } from '../helpers/db.js';

/**
 * The hand-written Kysely types (src/shared/db/schema.ts, billing-schema.ts) must match what the migrations build:
 * every table and column on both sides, and nullability.
 */
describe('typed schema vs migrated database', () => {
  let url: string;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    const db = await createTestDatabase();
    url = db.url;
    drop = db.drop;
  });
  afterAll(async () => drop?.());

  it('has the same tables, columns and nullability', async () => {
    // schema.ts holds the DB interface; a capability's tables may sit in a file of their own beside it.
    const src = readdirSync('src/shared/db')
      .filter((f) => f === 'schema.ts' || f.endsWith('-schema.ts'))
      .map((f) => readFileSync(`src/shared/db/${f}`, 'utf8'))
      .join('\n');
    const dbInterface = /export interface DB \{([^}]*)\}/.exec(src)?.[1] ?? '';
    const tables = [...dbInterface.matchAll(/(\w+): (\w+);/g)].map((m) => ({
      table: m[1] ?? '',
      iface: m[2] ?? '',
    }));
    expect(tables.length).toBeGreaterThan(5);
    const declared: Record<string, Record<string, boolean>> = {};
    for (const { table, iface } of tables) {
      const body = new RegExp(`export interface ${iface} \\{([^}]*)\\}`).exec(src)?.[1] ?? '';
      declared[table] = Object.fromEntries(
        [...body.matchAll(/^\s+(\w+): ([^;]+);/gm)].map((m) => [m[1] ?? '', /\| null\b/.test(m[2] ?? '')]),
      );
    }
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const rows = (
        await client.query<{ table_name: string; column_name: string; is_nullable: string }>(
          `SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
        )
      ).rows;
      const actual: Record<string, Record<string, boolean>> = {};
      for (const r of rows) (actual[r.table_name] ??= {})[r.column_name] = r.is_nullable === 'YES';
      expect(actual).toEqual(declared);
    } finally {
      await client.end();
    }
  });

  it('re-running the migrations changes nothing (forward-only, recorded)', async () => {
    expect(await migrate(url)).toEqual([]);
  });
});
