import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Dispatcher } from 'undici';
import type { Bitrix24Client } from '../../integrations/bitrix24/bitrix24.client.js';
import { enqueueJob } from '../../jobs/jobs.repository.js';
import type { JobHandler, JobOutcome } from '../../jobs/worker.js';
import type { DB, JobRow } from '../../shared/db/schema.js';
import type { Lang } from '../../shared/i18n.js';
import { t } from '../../shared/texts.js';
import { writeTrace } from '../trace/trace.service.js';
import { failedColumns, queueAgentNote } from '../messaging/messages.repository.js';
import type { OperatorFile } from '../messaging/outbound/parts.js';
import { fetchInto, MediaFetchError, type Fetched } from './fetcher.js';
import {
  cleanFileName,
  mimeOf,
  servingHeaders,
  WHATSAPP_LIMITS,
  whatsappKind,
  type WhatsAppKind,
} from './kinds.js';
import type { MediaSigner } from './signing.js';
import type { MediaStorage } from './storage.js';

const SWEEP_EVERY_MS = 3_600_000;

/**
 * Media on both sides of the relay (C4, C5).
 *
 * Inbound: Gupshup's FileManager links expire, so `inbound.media` downloads the file as soon as the
 * message is stored. It runs before the message's `inbound.deliver` (same chat key, enqueued first),
 * stores the bytes behind the storage port and records `content.files` on the message; delivery then
 * only adds signed links (`forBitrix`). A file that cannot be fetched for good (expired, gone, too big)
 * does not hold the chat: it is recorded as `content.mediaError`, the message goes with its text and
 * a line saying the file could not be fetched, and the trace says why.
 *
 * Outbound: `outbound.media` fetches an operator's file from Bitrix24 (its `link`, with the portal's
 * token as `auth=` if the portal asks for it, or its `downloadLink`), re-hosts it and records
 * `content.media`; `outbound.send` then sends our signed link (`whatsappMessage`). A file WhatsApp
 * cannot take is refused with a note in the chat.
 */

type InboundContent = {
  text?: string;
  payload?: Record<string, unknown>;
  files?: StoredFile[];
  mediaError?: { code: string; detail: string };
};

type OutboundContent = {
  text?: string;
  file?: OperatorFile;
  media?: StoredFile & { kind: WhatsAppKind };
};

export interface StoredFile {
  mediaId: string;
  name: string;
  mime: string;
  size: number;
}

export interface MediaDeps {
  db: Kysely<DB>;
  storage: MediaStorage;
  signer: MediaSigner;
  bitrix: Bitrix24Client;
  maxBytes: number;
  fetchTimeoutMs: number;
  allowPrivateHosts: boolean;
  /** Files older than this are deleted by the hourly `media.sweep`. */
  retentionDays: number;
  dispatcher?: Dispatcher | undefined;
  nudge: () => void;
}

/** A stable storage key per message and file: a job that runs twice writes the same file again. */
export function mediaKey(direction: 'in' | 'out', messageId: number, index: number): string {
  const h = createHash('sha256').update(`media:${direction}:${messageId}:${index}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

export class MediaService {
  constructor(private readonly d: MediaDeps) {}

  get signer(): MediaSigner {
    return this.d.signer;
  }

  // ---------------------------------------------------------------- serving

  /** A stored file for `GET /media/:id`, or null when there is none. The link was checked already. */
  async open(id: string) {
    if (!UUID.test(id)) return null;
    const row = await this.d.db
      .selectFrom('media')
      .select(['id', 'name', 'mime', 'size'])
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) return null;
    const file = await this.d.storage.get(row.id);
    if (!file) return null;
    return { body: file.body, headers: servingHeaders(row.mime, row.name, file.size) };
  }

  // ---------------------------------------------------------------- inbound

  /**
   * What `inbound.deliver` hands to `imconnector.send.messages`: the text (with a line when the file
   * could not be fetched) and signed links to the stored files, fresh at each delivery attempt.
   */
  forBitrix(content: unknown, lang: Lang): { text: string; files?: Array<{ url: string; name: string }> } {
    const c = (content ?? {}) as InboundContent;
    const text = c.text ?? '';
    const files = (c.files ?? []).map((f) => ({ url: this.d.signer.url(f.mediaId), name: f.name }));
    const expected = typeof c.payload?.url === 'string' || c.mediaError !== undefined;
    if (files.length) return { text: text || ' ', files };
    if (!expected) return { text: text || ' ' };
    const reason = c.mediaError?.code ?? 'not_fetched';
    const line = `⚠️ ${t(lang, 'media.unavailable').replace('{reason}', reason)}`;
    return { text: text ? `${text}\n${line}` : line };
  }

  inboundJob(): JobHandler {
    return this.#handler(
      (job) => this.#fetchInbound(job),
      (id, error) => this.#inboundFailed(id, 'retries_exhausted', error),
    );
  }

  #handler(
    run: (job: JobRow) => Promise<JobOutcome>,
    failed: (messageId: number, error: string) => Promise<JobOutcome>,
  ): JobHandler {
    return {
      run,
      onDead: async (job, error) => {
        const id = messageIdOf(job);
        if (id !== undefined) await failed(id, error);
      },
    };
  }

  /** The job's message, if it is one of `direction`. */
  async #message(job: JobRow, direction: 'in' | 'out') {
    const id = messageIdOf(job);
    if (id === undefined) return undefined;
    return this.d.db
      .selectFrom('messages')
      .select(['id', 'portal_id', 'channel_id', 'type', 'status', 'content'])
      .where('id', '=', id)
      .where('direction', '=', direction)
      .executeTakeFirst();
  }

  /** A download that may work later: traced, retried with the queue's backoff. */
  async #retryLater(
    m: { id: number; portal_id: number; channel_id: string },
    direction: 'in' | 'out',
    err: MediaFetchError,
  ): Promise<JobOutcome> {
    await writeTrace(this.d.db, {
      portalId: m.portal_id,
      channelId: m.channel_id,
      messageId: m.id,
      direction,
      step: 'media_retry',
      level: 'WARN',
      code: err.code,
      detail: err.message,
    });
    return { kind: 'retry', error: `media: ${err.message}` };
  }

  async #fetchInbound(job: JobRow): Promise<JobOutcome> {
    const m = await this.#message(job, 'in');
    if (!m) return { kind: 'dead', error: 'message not found' };
    const c = (m.content ?? {}) as InboundContent;
    if (c.files?.length || c.mediaError) return { kind: 'done' };
    const p = c.payload ?? {};
    const url = str(p.url);
    if (!url) return this.#inboundFailed(m.id, 'no_url', 'Gupshup sent no media link');
    const expiry = Number(p.urlExpiry);
    if (Number.isFinite(expiry) && expiry > 0 && expiry < Date.now()) {
      // Dead links are not polled: Gupshup answers 20+ bad fetches an hour with a 1-hour 429.
      return this.#inboundFailed(m.id, 'expired', 'the Gupshup link had expired before the download');
    }
    const key = mediaKey('in', m.id, 0);
    let fetched: Fetched;
    try {
      fetched = await fetchInto(this.d.storage, key, url, this.#fetchOptions());
    } catch (err) {
      if (!(err instanceof MediaFetchError)) throw err;
      // A passing fault is retried; when the worker's attempts run out, onDead records the failure.
      if (err.permanent) return this.#inboundFailed(m.id, err.code, err.message);
      return this.#retryLater(m, 'in', err);
    }
    const mime = mimeOf(p.contentType ?? fetched.contentType, str(p.name));
    const file: StoredFile = {
      mediaId: key,
      name: cleanFileName(str(p.name), mime, m.type === 'file' ? 'document' : m.type),
      mime,
      size: fetched.size,
    };
    await this.#record(m, 'in', file, { files: [file] }, null);
    return { kind: 'done' };
  }

  async #inboundFailed(messageId: number, code: string, detail: string): Promise<JobOutcome> {
    const m = await this.d.db
      .updateTable('messages')
      .set({
        content: sql`content || ${JSON.stringify({ mediaError: { code, detail: detail.slice(0, 300) } })}::jsonb`,
        updated_at: sql`now()`,
      })
      .where('id', '=', messageId)
      .where(sql<boolean>`NOT (content ? 'files')`)
      .returning(['portal_id', 'channel_id'])
      .executeTakeFirst();
    if (m) {
      await writeTrace(this.d.db, {
        portalId: m.portal_id,
        channelId: m.channel_id,
        messageId,
        direction: 'in',
        step: 'media_failed',
        level: 'WARN',
        code,
        detail: `${detail}; the message goes without the file`,
      });
    }
    return { kind: 'done' };
  }

  async #record(
    m: { id: number; portal_id: number; channel_id: string },
    direction: 'in' | 'out',
    file: StoredFile,
    patch: Record<string, unknown>,
    type: string | null,
  ): Promise<void> {
    await this.d.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('media')
        .values({
          id: file.mediaId,
          portal_id: m.portal_id,
          message_id: m.id,
          direction,
          name: file.name,
          mime: file.mime,
          size: file.size,
        })
        .onConflict((oc) =>
          oc.column('id').doUpdateSet({ name: file.name, mime: file.mime, size: file.size }),
        )
        .execute();
      await trx
        .updateTable('messages')
        .set({
          content: sql`content || ${JSON.stringify(patch)}::jsonb`,
          updated_at: sql`now()`,
          ...(type ? { type } : {}),
        })
        .where('id', '=', m.id)
        .execute();
      await writeTrace(trx, {
        portalId: m.portal_id,
        channelId: m.channel_id,
        messageId: m.id,
        direction,
        step: 'media_stored',
        detail: `${file.mime}, ${file.size} bytes`,
      });
      // Storing a file makes sure a sweep runs within the hour (one job per hour, whoever stores first).
      await this.#scheduleSweep(trx, 0);
    });
  }

  /** One sweep per hour slot, whoever asks first: the next full hour at least `afterMs` from now. */
  async #scheduleSweep(exec: Kysely<DB>, afterMs: number): Promise<void> {
    const hour = new Date(Math.ceil((Date.now() + afterMs) / SWEEP_EVERY_MS) * SWEEP_EVERY_MS);
    await enqueueJob(exec, {
      topic: 'media.sweep',
      portalId: null,
      payload: {},
      dedupeKey: `media.sweep:${hour.toISOString()}`,
      runAt: hour,
    });
  }

  /**
   * media.sweep: deletes files older than the retention period, bytes first, then their rows (a file
   * whose row is left is served as 404; a row whose bytes are gone is deleted again next time).
   */
  sweepJob(): JobHandler {
    return {
      run: async (_job, log) => {
        const batch = 500;
        const old = await this.d.db
          .selectFrom('media')
          .select('id')
          .where('created_at', '<', sql<Date>`now() - make_interval(days => ${this.d.retentionDays})`)
          .orderBy('created_at')
          .limit(batch)
          .execute();
        for (const r of old) await this.d.storage.delete(r.id);
        if (old.length) {
          await this.d.db
            .deleteFrom('media')
            .where(
              'id',
              'in',
              old.map((r) => r.id),
            )
            .execute();
          log.info({ deleted: old.length }, 'Media past retention deleted.');
        }
        if (old.length === batch) {
          return { kind: 'retry', error: 'more media past retention', delayMs: 100, countAttempt: false };
        }
        // Files are left that will expire later: the sweep comes back itself, so deletion does not
        // depend on new files arriving (it only starts with the first stored file).
        const left = await this.d.db.selectFrom('media').select('id').limit(1).executeTakeFirst();
        if (left) await this.#scheduleSweep(this.d.db, SWEEP_EVERY_MS);
        return { kind: 'done' };
      },
    };
  }

  #fetchOptions() {
    return {
      maxBytes: this.d.maxBytes,
      timeoutMs: this.d.fetchTimeoutMs,
      allowPrivateHosts: this.d.allowPrivateHosts,
      dispatcher: this.d.dispatcher,
    };
  }

  // ---------------------------------------------------------------- outbound

  /**
   * The Gupshup `message` for one outbound part (reference/gupshup.md §1.1): a text, or the re-hosted
   * file behind a signed link, with the text as its caption where WhatsApp shows one. Null when there
   * is nothing to send.
   */
  whatsappMessage(content: unknown, text: string): Record<string, unknown> | null {
    const c = (content ?? {}) as OutboundContent;
    if (!c.file) return text ? { type: 'text', text } : null;
    // outbound.media runs first (same chat, enqueued before): no media yet means it has not finished.
    if (!c.media) throw new Error('media_not_ready: the file is not re-hosted yet');
    const url = this.d.signer.url(c.media.mediaId);
    const caption = text ? { caption: text.slice(0, 1024) } : {};
    switch (c.media.kind) {
      case 'image':
        return { type: 'image', originalUrl: url, previewUrl: url, ...caption };
      case 'video':
        return { type: 'video', url, ...caption };
      case 'audio':
        return { type: 'audio', url };
      case 'file':
        return { type: 'file', url, filename: c.media.name, ...caption };
    }
  }

  outboundJob(): JobHandler {
    return this.#handler(
      (job) => this.#fetchOutbound(job),
      (id, error) => this.#refuse(id, 'file_unavailable', error),
    );
  }

  async #fetchOutbound(job: JobRow): Promise<JobOutcome> {
    const m = await this.#message(job, 'out');
    if (!m) return { kind: 'dead', error: 'message not found' };
    const c = (m.content ?? {}) as OutboundContent;
    if (!c.file || c.media || m.status !== 'queued') return { kind: 'done' };
    const f = c.file;
    const declaredMime = mimeOf(f.mime, f.name);
    if (f.size !== undefined && f.size > Math.min(this.d.maxBytes, WHATSAPP_LIMITS.file)) {
      return this.#refuse(m.id, 'file_too_large', `${f.size} bytes declared by Bitrix24`);
    }
    const portal = await this.d.bitrix.access(m.portal_id);
    const base = new URL(portal.clientEndpoint);
    const links = [f.link, f.downloadLink].flatMap((l) => {
      if (!l) return [];
      try {
        return [new URL(l, base.origin)];
      } catch {
        return [];
      }
    });
    if (links.length === 0) {
      return this.#refuse(m.id, 'file_unsupported', 'Bitrix24 gave no link to the file');
    }

    const key = mediaKey('out', m.id, 0);
    let fetched: Fetched | undefined;
    const errors: MediaFetchError[] = [];
    for (const link of links) {
      try {
        fetched = await this.#fetchFromPortal(m.portal_id, key, link, portal, base);
        break;
      } catch (err) {
        if (!(err instanceof MediaFetchError)) throw err;
        errors.push(err);
        if (err.code === 'too_large') return this.#refuse(m.id, 'file_too_large', err.message);
      }
    }
    if (!fetched) {
      // Refused for good only when every link failed for good; one passing fault is worth a retry.
      const passing = errors.find((e) => !e.permanent);
      if (passing) return this.#retryLater(m, 'out', passing);
      const detail = errors.map((e) => `${e.code}: ${e.message}`).join('; ');
      return this.#refuse(m.id, 'file_unavailable', detail || 'no usable link');
    }
    const mime =
      declaredMime !== 'application/octet-stream' ? declaredMime : mimeOf(fetched.contentType, f.name);
    if (fetched.size === 0) {
      await this.d.storage.delete(key);
      return this.#refuse(m.id, 'file_unsupported', 'the file is empty');
    }
    const verdict = whatsappKind(mime, fetched.size);
    if ('refused' in verdict) {
      await this.d.storage.delete(key);
      return this.#refuse(m.id, verdict.refused, `${fetched.size} bytes, over ${verdict.limit}`);
    }
    // WhatsApp audio has no caption: a file that turned out to be audio keeps its text as a document.
    const kind = verdict.kind === 'audio' && c.text ? 'file' : verdict.kind;
    const file: StoredFile = {
      mediaId: key,
      name: cleanFileName(f.name, mime, 'file'),
      mime,
      size: fetched.size,
    };
    await this.#record(m, 'out', file, { media: { ...file, kind } }, kind);
    return { kind: 'done' };
  }

  /**
   * Operator files: `link` is expected to be public, `downloadLink` is not, and neither is confirmed
   * (reference/bitrix24.md §4.1, §12). Try without credentials; when the portal itself answers 401/403,
   * try again with its access token as `auth=`. The token goes only to the portal's own host.
   */
  async #fetchFromPortal(
    portalId: number,
    key: string,
    link: URL,
    portal: { accessToken: string },
    base: URL,
  ): Promise<Fetched> {
    try {
      return await fetchInto(this.d.storage, key, link.href, this.#fetchOptions());
    } catch (err) {
      // The portal's token goes only to the portal itself, over the same scheme as its REST endpoint.
      const samePortal = link.host === base.host && link.protocol === base.protocol;
      if (!(err instanceof MediaFetchError) || err.code !== 'forbidden' || !samePortal) throw err;
    }
    let token = portal.accessToken;
    for (let i = 0; i < 2; i++) {
      const withAuth = new URL(link);
      withAuth.searchParams.set('auth', token);
      try {
        return await fetchInto(this.d.storage, key, withAuth.href, this.#fetchOptions());
      } catch (err) {
        if (!(err instanceof MediaFetchError) || err.status !== 401 || i > 0) throw err;
        token = (await this.d.bitrix.access(portalId, token)).accessToken;
      }
    }
    throw new MediaFetchError('forbidden', 'the portal refused the download', true);
  }

  async #refuse(messageId: number, code: string, detail: string): Promise<JobOutcome> {
    await this.d.db.transaction().execute(async (trx) => {
      const m = await trx
        .updateTable('messages')
        .set(failedColumns(code, detail))
        .where('id', '=', messageId)
        .where('status', '=', 'queued')
        .returning(['portal_id', 'channel_id'])
        .executeTakeFirst();
      if (!m) return;
      await queueAgentNote(trx, { messageId, portalId: m.portal_id, channelId: m.channel_id, code });
      await writeTrace(trx, {
        portalId: m.portal_id,
        channelId: m.channel_id,
        messageId,
        direction: 'out',
        step: 'file_refused',
        level: 'ERROR',
        code,
        detail,
      });
    });
    this.d.nudge();
    return { kind: 'done' };
  }
}

function messageIdOf(job: JobRow): number | undefined {
  const p = job.payload as { messageId?: unknown };
  return typeof p.messageId === 'number' ? p.messageId : undefined;
}
