import { z } from 'zod';
import { enqueueJob } from '../../jobs/jobs.repository.js';
import { ConflictError, NotFoundError } from '../../shared/errors.js';
import { writeTrace } from '../trace/trace.service.js';
import type { MessagesFilter, MessagesRepository } from './messages.repository.js';

/**
 * Every status a message can have: inbound `received → delivered` (to Bitrix24), outbound
 * `queued → sending → submitted → enqueued → sent → delivered → read` (Gupshup's events), and the
 * ends `failed`, `dead` (dead-lettered, replayable), `skipped` (nothing to send), `deleted` (deleted
 * in Bitrix24 before it went). The log's filter takes only these; the pages translate each one.
 */
export const MESSAGE_STATUSES = [
  'received',
  'queued',
  'sending',
  'submitted',
  'enqueued',
  'sent',
  'delivered',
  'read',
  'failed',
  'dead',
  'skipped',
  'deleted',
] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/**
 * GET /api/v1/messages: the message trace, newest first, without message text. Every filter is
 * checked: a value that cannot match (a status that does not exist, `to` before `from`) or a filter
 * that does not exist (a misspelt name) is a 400, not an empty page that looks like "no messages".
 */
const messagesQuery = z
  .strictObject({
    channelId: z.uuid().optional(),
    direction: z.enum(['in', 'out']).optional(),
    status: z.enum(MESSAGE_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
    /** Days (UTC), both included: `from=2026-11-01&to=2026-11-23`. */
    from: z.iso.date().optional(),
    to: z.iso.date().optional(),
  })
  .refine((q) => !q.from || !q.to || q.from <= q.to, {
    message: 'the last day is before `from`',
    path: ['to'],
  });

/** Forms send empty fields for "any": they filter nothing. */
export const messagesQueryInput = z.preprocess(
  (v) => (v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).filter(([, x]) => x !== '')) : v),
  messagesQuery,
);

export async function listMessages(repo: MessagesRepository, portalId: number, q: MessagesFilter) {
  const rows = await repo.page(portalId, q);
  const page = rows.slice(0, q.limit);
  const history = await repo.history(
    portalId,
    page.map((r) => r.id),
  );
  const byMessage = new Map<number, typeof history>();
  for (const h of history) {
    if (h.message_id === null) continue;
    const list = byMessage.get(h.message_id) ?? [];
    list.push(h);
    byMessage.set(h.message_id, list);
  }
  return {
    items: page.map((r) => ({
      id: r.id,
      channelId: r.channel_id,
      direction: r.direction,
      part: r.part,
      type: r.type,
      status: r.status,
      ids: {
        whatsapp: r.wa_message_id,
        gupshup: r.gupshup_message_id,
        bitrixMessage: r.bitrix_message_id,
        bitrixChat: r.bitrix_chat_id,
      },
      error: r.error_code || r.error_detail ? { code: r.error_code, detail: r.error_detail } : null,
      createdAt: r.created_at.toISOString(),
      sentAt: r.sent_at?.toISOString() ?? null,
      deliveredAt: r.delivered_at?.toISOString() ?? null,
      readAt: r.read_at?.toISOString() ?? null,
      failedAt: r.failed_at?.toISOString() ?? null,
      history: (byMessage.get(r.id) ?? []).map((h) => ({
        step: h.step,
        level: h.level,
        code: h.code,
        detail: h.detail,
        at: h.created_at.toISOString(),
      })),
    })),
    nextCursor: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/**
 * POST /api/v1/messages/:id/replay: a dead-lettered message goes back to the queue with a fresh
 * retry budget. Its in-flight mark is kept, so a send whose outcome was never known is still
 * reconciled rather than repeated.
 */
export function replayMessage(
  repo: MessagesRepository,
  portalId: number,
  id: number,
): Promise<{ id: number; status: string }> {
  return repo.transaction(async (trx) => {
    const m = await repo.lockForReplay(trx, portalId, id);
    if (!m) throw new NotFoundError('Message not found');
    if (m.status !== 'dead') {
      throw new ConflictError(`Only dead-lettered messages can be replayed; this one is ${m.status}`);
    }
    const status = m.direction === 'in' ? 'received' : 'queued';
    await repo.requeue(trx, id, status);
    // A new job, not the old one revived: it queues behind the chat's newer messages, so the rule
    // "one message of a chat in flight at a time" (which Gupshup reconciliation relies on) holds.
    const old = await repo.lastDeadJob(trx, m.direction, id);
    if (!old) throw new ConflictError('The message has no dead job to replay');
    await enqueueJob(trx, {
      topic: old.topic,
      portalId,
      payload: old.payload as Record<string, unknown>,
      dedupeKey: `${m.direction}:${id}:replay:${Date.now()}`,
      ...(old.chat_key ? { chatKey: old.chat_key } : {}),
    });
    await writeTrace(trx, {
      portalId,
      channelId: m.channel_id,
      messageId: id,
      direction: m.direction,
      step: 'replayed',
      level: 'WARN',
      detail: 'replay requested through the API',
    });
    return { id, status };
  });
}
