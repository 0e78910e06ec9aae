import type { JobRow } from '../../shared/db/schema.js';
import { ProviderError } from '../../shared/errors.js';
import type { MessagesRepository } from './messages.repository.js';

/** What the relay's job handlers share: the message a job is about, dead letters, retry traces. */

/** Longest an upstream call can take (client time-out plus margin). */
export const IN_FLIGHT_CALL_MS = 45_000;

export function messageIdOf(job: JobRow): number | undefined {
  const p = job.payload as { messageId?: unknown };
  return typeof p.messageId === 'number' ? p.messageId : undefined;
}

/** The code a worker error starts with (`channel_inactive: …`), else `retries_exhausted`. */
export function codeOf(error: string): string {
  const m = /^([a-z_]+):/.exec(error);
  return m?.[1] ?? 'retries_exhausted';
}

/**
 * A message whose job was dead-lettered: marked `dead` (unless it was delivered after all), traced,
 * and for an operator message the agents get a note in the chat.
 */
export async function deadLetter(repo: MessagesRepository, job: JobRow, error: string): Promise<void> {
  const id = messageIdOf(job);
  if (id === undefined || job.portal_id === null) return;
  const m = await repo.markDead(id, error);
  if (!m) return;
  if (m.direction === 'out') await repo.queueNoteFor(id, codeOf(error));
  await repo.trace({
    portalId: job.portal_id,
    channelId: m.channel_id,
    messageId: id,
    direction: m.direction,
    step: 'dead_lettered',
    level: 'ERROR',
    code: codeOf(error),
    detail: error,
  });
}

/** An upstream call failed: a retry is scheduled, or (refused for good) the message failed. */
export async function traceRetry(
  repo: MessagesRepository,
  m: { portal_id: number; channel_id: string; id: number },
  direction: 'in' | 'out',
  err: unknown,
): Promise<void> {
  const e = err instanceof ProviderError ? err : undefined;
  await repo.trace({
    portalId: m.portal_id,
    channelId: m.channel_id,
    messageId: m.id,
    direction,
    step: e && !e.retryable ? 'failed' : 'retry_scheduled',
    level: e && !e.retryable ? 'ERROR' : 'WARN',
    code: e?.providerCode ?? null,
    detail: e ? `${e.provider}: ${e.message}` : err instanceof Error ? err.message : String(err),
  });
}
