import type { Kysely, Transaction } from 'kysely';
import { enqueueJob } from '../../jobs/jobs.repository.js';
import type { DB } from '../../shared/db/schema.js';

/**
 * Queues the system note that tells the agents, in their open-line chat, what happened to a message
 * (the `chat.notify` job, texts in shared/texts.ts). One note per message and code; `variant` tells
 * apart notes that may repeat for one message (a second edit with new text).
 */
export async function queueAgentNote(
  exec: Kysely<DB> | Transaction<DB>,
  n: { messageId: number; portalId: number; channelId: string; code: string; variant?: string },
): Promise<void> {
  await enqueueJob(exec, {
    topic: 'chat.notify',
    portalId: n.portalId,
    payload: { messageId: n.messageId, channelId: n.channelId, code: n.code },
    dedupeKey: `note:${n.messageId}:${n.code}${n.variant ? `:${n.variant}` : ''}`,
  });
}
