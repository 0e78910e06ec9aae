import type { Kysely } from 'kysely';
import type { DB } from '../../src/shared/db/schema.js';

/**
 * What the CRM side of issue 13 writes (migrations/0018): a report's matched change, recorded at a
 * chosen instant. The digest tests insert them directly; the CRM events are not theirs.
 */
let seq = 0;
export async function addEvent(
  db: Kysely<DB>,
  e: {
    portalId: number;
    reportId: number;
    title: string;
    recordedAt: Date;
    companyId?: number | null;
    entityType?: 'deal' | 'lead';
    entityId?: number;
  },
): Promise<number> {
  seq += 1;
  const row = await db
    .insertInto('notification_events')
    .values({
      portal_id: e.portalId,
      report_id: e.reportId,
      entity_type: e.entityType ?? 'deal',
      entity_id: e.entityId ?? 1000 + seq,
      company_id: e.companyId ?? null,
      title: e.title,
      dedupe_key: `test:${seq}:${e.recordedAt.toISOString()}`,
      occurred_at: e.recordedAt,
      recorded_at: e.recordedAt,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}
