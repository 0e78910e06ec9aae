import type { Kysely, Transaction } from 'kysely';
import type { DB, TraceLevel } from '../../shared/db/schema.js';
import type { TraceStep } from './trace-steps.js';

type Executor = Kysely<DB> | Transaction<DB>;

/** The `trace` table; nothing else reads or writes it. Callers go through trace.service.ts. */
export interface TraceRow {
  portalId: number;
  channelId?: string | null;
  messageId?: number | null;
  direction?: 'in' | 'out' | null;
  step: TraceStep;
  level?: TraceLevel;
  code?: string | null;
  detail?: string | null;
}

export async function insertTrace(db: Executor, entries: TraceRow[]): Promise<void> {
  await db
    .insertInto('trace')
    .values(
      entries.map((e) => ({
        portal_id: e.portalId,
        channel_id: e.channelId ?? null,
        message_id: e.messageId ?? null,
        direction: e.direction ?? null,
        step: e.step,
        level: e.level ?? 'INFO',
        code: e.code ?? null,
        detail: e.detail ?? null,
      })),
    )
    .execute();
}

export function selectTraceForMessages(db: Executor, portalId: number, messageIds: number[]) {
  return db
    .selectFrom('trace')
    .select(['message_id', 'step', 'level', 'code', 'detail', 'created_at'])
    .where('portal_id', '=', portalId)
    .where('message_id', 'in', messageIds)
    .orderBy('id')
    .execute();
}
