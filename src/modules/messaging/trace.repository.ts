import type { Kysely, Transaction } from 'kysely';
import type { DB, TraceLevel } from '../../shared/db/schema.js';

type Executor = Kysely<DB> | Transaction<DB>;

/**
 * The relay trace the client asked for: one row per step of a message, per portal, with a level and,
 * for failures, the provider's code. It never holds message text or full phone numbers.
 */
export interface TraceEntry {
  portalId: number;
  channelId?: string | null;
  messageId?: number | null;
  direction?: 'in' | 'out' | null;
  step: string;
  level?: TraceLevel;
  code?: string | null;
  detail?: string | null;
}

export async function writeTrace(db: Executor, ...entries: TraceEntry[]): Promise<void> {
  if (entries.length === 0) return;
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
        detail: e.detail ? e.detail.slice(0, 500) : null,
      })),
    )
    .execute();
}

export async function traceForMessages(db: Executor, portalId: number, messageIds: number[]) {
  if (messageIds.length === 0) return [];
  return db
    .selectFrom('trace')
    .select(['message_id', 'step', 'level', 'code', 'detail', 'created_at'])
    .where('portal_id', '=', portalId)
    .where('message_id', 'in', messageIds)
    .orderBy('id')
    .execute();
}
