import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { DB } from '../../shared/db/schema.js';
import { ValidationError, describeIssues } from '../../shared/errors.js';
import { traceForMessages } from '../trace/trace.service.js';

/** GET /api/v1/messages: the message trace, newest first, without message text. */
export const messagesQuery = z.object({
  channelId: z.uuid().optional(),
  direction: z.enum(['in', 'out']).optional(),
  status: z
    .string()
    .regex(/^[a-z_]{1,32}$/)
    .optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.coerce.number().int().positive().optional(),
  /** Days (UTC), both included: `from=2026-11-01&to=2026-11-23`. */
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
});

const DAY_MS = 86_400_000;

export async function listMessages(db: Kysely<DB>, portalId: number, query: unknown) {
  // Forms send empty fields for "any": they filter nothing.
  const given = Object.fromEntries(
    Object.entries((query ?? {}) as Record<string, unknown>).filter(([, v]) => v !== ''),
  );
  const parsed = messagesQuery.safeParse(given);
  if (!parsed.success) throw new ValidationError(describeIssues(parsed.error.issues));
  const q = parsed.data;
  let sel = db
    .selectFrom('messages')
    .select([
      'id',
      'channel_id',
      'direction',
      'part',
      'type',
      'status',
      'wa_message_id',
      'gupshup_message_id',
      'bitrix_message_id',
      'bitrix_chat_id',
      'error_code',
      'error_detail',
      'created_at',
      'sent_at',
      'delivered_at',
      'read_at',
      'failed_at',
    ])
    .where('portal_id', '=', portalId)
    .orderBy('id', 'desc')
    .limit(q.limit + 1);
  if (q.channelId) sel = sel.where('channel_id', '=', q.channelId);
  if (q.direction) sel = sel.where('direction', '=', q.direction);
  if (q.status) sel = sel.where('status', '=', q.status);
  if (q.cursor) sel = sel.where('id', '<', q.cursor);
  if (q.from) sel = sel.where('created_at', '>=', new Date(`${q.from}T00:00:00Z`));
  if (q.to) sel = sel.where('created_at', '<', new Date(Date.parse(`${q.to}T00:00:00Z`) + DAY_MS));
  const rows = await sel.execute();
  const page = rows.slice(0, q.limit);
  const history = await traceForMessages(
    db,
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
