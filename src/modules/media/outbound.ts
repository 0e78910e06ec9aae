import type { JobOutcome } from '../../jobs/worker.js';
import type { OperatorFile } from '../messaging/outbound/parts.js';
import { MediaFetchError, type Fetched } from './fetcher.js';
import { cleanFileName, mimeOf, WHATSAPP_LIMITS, whatsappKind, type WhatsAppKind } from './kinds.js';
import type { MediaMessage } from './media.repository.js';
import { MediaJob, mediaKey, type StoredFile } from './media-files.js';
import type { OperatorFileLink, OutgoingMessage } from './ports.js';
import type { MediaSigner } from './signing.js';

/**
 * Outbound: `outbound.media` fetches an operator's file from Bitrix24 (its `link`, with the portal's
 * token as `auth=` if the portal asks for it, or its `downloadLink`), re-hosts it and records
 * `content.media`; `outbound.send` then sends our signed link (`outgoingMessage`). A file WhatsApp
 * cannot take is refused with a note in the chat.
 */
type OutboundContent = {
  text?: string;
  file?: OperatorFile;
  media?: StoredFile & { kind: WhatsAppKind };
};

/**
 * What goes to WhatsApp for one outbound part: a text, or the re-hosted file behind a signed link,
 * with the text as its caption. Null when there is nothing to send.
 */
export function outgoingMessage(signer: MediaSigner, content: unknown, text: string): OutgoingMessage | null {
  const c = (content ?? {}) as OutboundContent;
  if (!c.file) return text ? { type: 'text', text } : null;
  // outbound.media runs first (same chat, enqueued before): no media yet means it has not finished.
  if (!c.media) throw new Error('media_not_ready: the file is not re-hosted yet');
  const url = signer.url(c.media.mediaId);
  const caption = text ? { caption: text } : {};
  if (c.media.kind === 'file') return { type: 'file', url, filename: c.media.name, ...caption };
  return { type: c.media.kind, url, ...caption };
}

/** `outbound.media`: re-hosts an operator's file, or refuses it with a note in the chat. */
export class OutboundMedia extends MediaJob {
  protected readonly direction = 'out';

  protected async fetch(m: MediaMessage): Promise<JobOutcome> {
    const c = (m.content ?? {}) as OutboundContent;
    if (!c.file || c.media || m.status !== 'queued') return { kind: 'done' };
    const f = c.file;
    if (f.size !== undefined && f.size > Math.min(this.d.maxBytes, WHATSAPP_LIMITS.file)) {
      return this.#refuse(m.id, 'file_too_large', `${f.size} bytes declared by Bitrix24`);
    }
    const links = await this.d.operatorFiles.links(m.portal_id, f);
    if (links.length === 0) {
      return this.#refuse(m.id, 'file_unsupported', 'Bitrix24 gave no link to the file');
    }
    const key = mediaKey('out', m.id, 0);
    const fetched = await this.#downloadAny(m, key, links);
    if ('kind' in fetched) return fetched;
    return this.#keep(m, c, f, key, fetched);
  }

  /** The first link that downloads; else the outcome: refused for good, or retried for a passing fault. */
  async #downloadAny(m: MediaMessage, key: string, links: OperatorFileLink[]): Promise<Fetched | JobOutcome> {
    const errors: MediaFetchError[] = [];
    for (const link of links) {
      try {
        return await this.#download(key, link);
      } catch (err) {
        if (!(err instanceof MediaFetchError)) throw err;
        errors.push(err);
        if (err.code === 'too_large') return this.#refuse(m.id, 'file_too_large', err.message);
      }
    }
    // Refused for good only when every link failed for good; one passing fault is worth a retry.
    const passing = errors.find((e) => !e.permanent);
    if (passing) return this.retryLater(m, passing);
    const detail = errors.map((e) => `${e.code}: ${e.message}`).join('; ');
    return this.#refuse(m.id, 'file_unavailable', detail || 'no usable link');
  }

  /**
   * Operator files: try without credentials; when the portal itself answers 401/403, try again with
   * its credentials, and once more with fresh ones if those are refused (401).
   */
  async #download(key: string, link: OperatorFileLink): Promise<Fetched> {
    try {
      return await this.download(key, link.url);
    } catch (err) {
      if (!(err instanceof MediaFetchError) || err.code !== 'forbidden' || !link.authorized) throw err;
    }
    try {
      return await this.download(key, await link.authorized(false));
    } catch (err) {
      if (!(err instanceof MediaFetchError) || err.status !== 401) throw err;
    }
    return this.download(key, await link.authorized(true));
  }

  /** Keeps a downloaded file WhatsApp can take, as the kind it goes as; refuses the others. */
  async #keep(
    m: MediaMessage,
    c: OutboundContent,
    f: OperatorFile,
    key: string,
    fetched: Fetched,
  ): Promise<JobOutcome> {
    const declaredMime = mimeOf(f.mime, f.name);
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
    // A template's header keeps the message a template (templates/template-outbound.ts reads media).
    await this.record(m, file, { media: { ...file, kind } }, m.type === 'template' ? null : kind);
    return { kind: 'done' };
  }

  /** The worker's attempts ran out: the file is refused like one that is gone. */
  protected failed(messageId: number, error: string): Promise<JobOutcome> {
    return this.#refuse(messageId, 'file_unavailable', error);
  }

  async #refuse(messageId: number, code: string, detail: string): Promise<JobOutcome> {
    await this.d.repo.inTransaction(async (trx) => {
      const m = await this.d.repo.failQueued(trx, messageId, code, detail);
      if (!m) return;
      await this.d.agentNote(trx, { messageId, portalId: m.portal_id, channelId: m.channel_id, code });
      await this.d.trace(trx, {
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
