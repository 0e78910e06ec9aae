import { Kysely, PostgresDialect, PostgresQueryCompiler, type QueryCompiler, type RawBuilder } from 'kysely';
import pg from 'pg';
import { cleanValue } from './clean-text.js';
import type { DB } from './schema.js';

// int8 (bigserial ids, counts) as JS numbers: our ids stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));

export type Database = Kysely<DB>;

export function createDatabase(
  connectionString: string,
  opts: { max?: number } = {},
): { db: Database; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString,
    max: opts.max ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    // No JIT compilation: our statements are short, and a server built with LLVM (Debian's, the
    // usual managed ones) compiled the claim on a backlog, whose estimate passes jit_above_cost, at
    // 30–60 ms a time for a statement that runs in 2 (docs/performance.md, "JIT"). A startup
    // parameter: no statement of its own, and a server without JIT accepts it too.
    options: '-c jit=off',
  });
  // An idle client that loses its server (restart, failover) must not crash the process.
  pool.on('error', () => undefined);
  const db = new Kysely<DB>({ dialect: new CleanTextPostgresDialect({ pool }) });
  pools.set(db, pool);
  return { db, pool };
}

/**
 * Every value bound to a statement passes through the compiler's `addParameter`, whatever built it
 * (query builder, `sql` template, `executePrepared`), so cleaning there covers every text that reaches
 * the database (clean-text.ts). A Kysely plugin would see operation nodes instead, where values sit in
 * several node kinds, and would copy each statement's tree on every query.
 */
class CleanTextCompiler extends PostgresQueryCompiler {
  protected override addParameter(parameter: unknown): void {
    super.addParameter(cleanValue(parameter));
  }
}

class CleanTextPostgresDialect extends PostgresDialect {
  override createQueryCompiler(): QueryCompiler {
    return new CleanTextCompiler();
  }
}

const pools = new WeakMap<Kysely<DB>, pg.Pool>();

/**
 * Runs a hot statement as a named prepared statement: PostgreSQL parses and plans it once per
 * connection instead of on every call (the webhook's insert is a four-part CTE, and planning it was a
 * large share of the database's work per webhook). `name` must be unique per statement text.
 */
export async function executePrepared<R>(db: Kysely<DB>, name: string, query: RawBuilder<R>): Promise<R[]> {
  const pool = pools.get(db);
  if (!pool) return (await query.execute(db)).rows;
  const c = query.compile(db);
  const res = await pool.query<R & pg.QueryResultRow>({ name, text: c.sql, values: [...c.parameters] });
  return res.rows;
}
