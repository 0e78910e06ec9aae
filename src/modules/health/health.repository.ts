import { sql, type Kysely } from 'kysely';
import type { DB } from '../../shared/db/schema.js';

/** What the readiness check and the metrics read from the database. */
export class HealthRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** True when the database answers. */
  async ping(): Promise<boolean> {
    try {
      await sql`SELECT 1`.execute(this.db);
      return true;
    } catch {
      return false;
    }
  }

  /** Jobs by topic and status, open and dead only. */
  jobCounts() {
    return this.db
      .selectFrom('jobs')
      .select(['topic', 'status', (eb) => eb.fn.countAll<number>().as('n')])
      .where('status', 'in', ['pending', 'running', 'dead'])
      .groupBy(['topic', 'status'])
      .execute();
  }
}
