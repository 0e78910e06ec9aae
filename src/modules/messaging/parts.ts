import { sql, type Kysely, type Transaction } from 'kysely';
import { enqueueJob } from '../../jobs/jobs.repository.js';
import type { DB } from '../../shared/db/schema.js';
import { mimeOf } from '../media/kinds.js';
import { bbcodeToWhatsApp } from './bbcode.js';
import { writeTrace } from '../trace/trace.service.js';

/**
 * An operator message from Bitrix24 can carry a text and several files; WhatsApp carries one file per
 * message, with an optional caption. Each WhatsApp message is its own row ("part"), sent and recorded
 * exactly once like any other (docs/architecture.md, "Operator files"):
 * - text only → one text message;
 * - one file and a text that fits a caption (≤ 1024 characters, not audio) → one file with the caption;
 * - otherwise → the text first (when there is one), then each file, in order, without captions.
 * The operator-name prefix Bitrix24 adds does not count as text: files alone stay files alone.
 */

/** A file as OnImConnectorMessageAdd describes it (reference/bitrix24.md §4.1; parsed defensively). */
export interface OperatorFile {
  name: string;
  type?: string;
  mime?: string;
  link?: string;
  downloadLink?: string;
  size?: number;
}

export interface PlannedPart {
  type: string;
  text: string;
  file?: OperatorFile;
}

const CAPTION_MAX = 1024;

const s = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() ? v.trim().slice(0, 2000) : typeof v === 'number' ? String(v) : undefined;

export function operatorFiles(raw: unknown[]): OperatorFile[] {
  const out: OperatorFile[] = [];
  for (const f of raw) {
    if (!f || typeof f !== 'object') continue;
    const o = f as Record<string, unknown>;
    const size = Number(o.size);
    const file: OperatorFile = { name: s(o.name) ?? 'file' };
    const type = s(o.type);
    const mime = s(o.mime);
    const link = s(o.link);
    const downloadLink = s(o.downloadLink) ?? s(o.download_link);
    if (type) file.type = type;
    if (mime) file.mime = mime;
    if (link) file.link = link;
    if (downloadLink) file.downloadLink = downloadLink;
    if (Number.isFinite(size) && size >= 0) file.size = size;
    out.push(file);
  }
  return out;
}

/** The operator's own words, without the `[b]Name:[/b][br]` prefix Bitrix24 may add. */
function ownWords(text: string): string {
  return bbcodeToWhatsApp(text)
    .replace(/^\*[^*\n]*:\*\n?/, '')
    .trim();
}

function guessedType(f: OperatorFile): string {
  const family = mimeOf(f.mime, f.name).split('/')[0];
  return family === 'image' || family === 'video' || family === 'audio' ? family : 'file';
}

export function planParts(text: string, files: OperatorFile[]): PlannedPart[] {
  if (files.length === 0) return [{ type: 'text', text }];
  const words = ownWords(text);
  const [only] = files;
  if (
    only &&
    files.length === 1 &&
    guessedType(only) !== 'audio' &&
    bbcodeToWhatsApp(text).length <= CAPTION_MAX
  ) {
    return [{ type: guessedType(only), text: words ? text : '', file: only }];
  }
  const parts: PlannedPart[] = words ? [{ type: 'text', text }] : [];
  for (const f of files) parts.push({ type: guessedType(f), text: '', file: f });
  return parts;
}

/**
 * The Gupshup ids of every part of one Bitrix24 message sent so far, in order: the delivery ack stores
 * them all on the Bitrix24 message (its `message.id` is an array, reference/bitrix24.md §3.9).
 */
export async function sentPartIds(
  db: Kysely<DB>,
  portalId: number,
  bitrixMessageId: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('messages')
    .select('gupshup_message_id')
    .where('portal_id', '=', portalId)
    .where('direction', '=', 'out')
    .where('bitrix_message_id', '=', bitrixMessageId)
    .where('gupshup_message_id', 'is not', null)
    .orderBy('part')
    .execute();
  return rows.flatMap((r) => (r.gupshup_message_id ? [r.gupshup_message_id] : []));
}

/**
 * Stores one operator message as its parts, inside the webhook's transaction: a row per part (unique
 * per Bitrix24 message and part, so a repeated event adds nothing), an `outbound.media` job before the
 * send for a file, an `outbound.send` job, all in the chat's order, and the trace. Returns how many
 * parts were new.
 */
export async function storeOperatorParts(
  trx: Transaction<DB>,
  at: { portalId: number; channelId: string; conversationId: number },
  m: { imMessageId: number; imChatId: number; text: string; files: unknown[]; userId: number | null },
): Promise<number> {
  const { portalId, channelId } = at;
  const chatKey = `out:${at.conversationId}`;
  const parts = planParts(m.text, operatorFiles(m.files));
  let stored = 0;
  for (const [part, p] of parts.entries()) {
    const row = await trx
      .insertInto('messages')
      .values({
        portal_id: portalId,
        channel_id: channelId,
        conversation_id: at.conversationId,
        direction: 'out',
        type: p.type,
        status: 'queued',
        content: JSON.stringify({ text: p.text, ...(p.file ? { file: p.file } : {}), operatorId: m.userId }),
        bitrix_message_id: m.imMessageId,
        bitrix_chat_id: m.imChatId,
        part,
      })
      .onConflict((oc) =>
        oc.columns(['portal_id', 'bitrix_message_id', 'part']).where('direction', '=', 'out').doNothing(),
      )
      .returning('id')
      .executeTakeFirst();
    if (!row) continue;
    stored++;
    const payload = { messageId: row.id, channelId };
    if (p.file) {
      await enqueueJob(trx, {
        topic: 'outbound.media',
        portalId,
        payload,
        dedupeKey: `outmedia:${row.id}`,
        chatKey,
      });
    }
    await enqueueJob(trx, { topic: 'outbound.send', portalId, payload, dedupeKey: `out:${row.id}`, chatKey });
    await writeTrace(
      trx,
      {
        portalId,
        channelId,
        messageId: row.id,
        direction: 'out',
        step: 'received',
        detail: `Bitrix24 message ${m.imMessageId}${parts.length > 1 ? `, part ${part + 1} of ${parts.length}` : ''}`,
      },
      { portalId, channelId, messageId: row.id, direction: 'out', step: 'queued' },
    );
  }
  return stored;
}

/** The columns a message gets when it fails for good: one definition for every way it can fail. */
export function failedColumns(code: string, detail: string) {
  return {
    status: 'failed',
    error_code: code,
    error_detail: detail.slice(0, 500),
    failed_at: sql<Date>`now()`,
    updated_at: sql<Date>`now()`,
  } as const;
}
