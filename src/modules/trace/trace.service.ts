import type { Kysely, Transaction } from 'kysely';
import type { DB } from '../../shared/db/schema.js';
import { insertTrace, selectTraceForMessages, type TraceRow } from './trace.repository.js';

type Executor = Kysely<DB> | Transaction<DB>;

/**
 * The relay trace the client asked for: one row per step of a message, per portal, with a level and,
 * for failures, the provider's code. It never holds message text or full phone numbers. Every module
 * writes and reads it through these two functions, passing its transaction when the step must be
 * recorded together with the change it describes. An entry's columns are defined once, in
 * trace.repository.ts.
 */
export type { TraceRow as TraceEntry } from './trace.repository.js';

const DETAIL_MAX = 500;

export async function writeTrace(db: Executor, ...entries: TraceRow[]): Promise<void> {
  if (entries.length === 0) return;
  await insertTrace(
    db,
    entries.map((e) => ({ ...e, detail: e.detail ? e.detail.slice(0, DETAIL_MAX) : null })),
  );
}

export async function traceForMessages(db: Executor, portalId: number, messageIds: number[]) {
  if (messageIds.length === 0) return [];
  return selectTraceForMessages(db, portalId, messageIds);
}
