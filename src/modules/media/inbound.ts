import type { JobOutcome } from '../../jobs/worker.js';
import type { Lang } from '../../shared/i18n.js';
import { t } from '../../shared/texts.js';
import { MediaFetchError, type Fetched } from './fetcher.js';
import { cleanFileName, mimeOf } from './kinds.js';
import type { MediaMessage } from './media.repository.js';
import { MediaJob, mediaKey, type StoredFile } from './media-files.js';
import type { MediaSigner } from './signing.js';

/**
 * Inbound: Gupshup's FileManager links expire, so `inbound.media` downloads the file as soon as the
 * message is stored. It runs before the message's `inbound.deliver` (same chat key, enqueued first),
 * stores the bytes behind the storage port and records `content.files` on the message; delivery then
 * only adds signed links (`forBitrix`). A file that cannot be fetched for good (expired, gone, too big)
 * does not hold the chat: it is recorded as `content.mediaError`, the message goes with its text and
 * a line saying the file could not be fetched, and the trace says why.
 */
type InboundContent = {
  text?: string;
  payload?: Record<string, unknown>;
  files?: StoredFile[];
  mediaError?: { code: string; detail: string };
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/**
 * What `inbound.deliver` hands to `imconnector.send.messages`: the text (with a line when the file
 * could not be fetched) and signed links to the stored files, fresh at each delivery attempt.
 */
export function inboundForBitrix(
  signer: MediaSigner,
  content: unknown,
  lang: Lang,
): { text: string; files?: Array<{ url: string; name: string }> } {
  const c = (content ?? {}) as InboundContent;
  const text = c.text ?? '';
  const files = (c.files ?? []).map((f) => ({ url: signer.url(f.mediaId), name: f.name }));
  const expected = typeof c.payload?.url === 'string' || c.mediaError !== undefined;
  if (files.length) return { text: text || ' ', files };
  if (!expected) return { text: text || ' ' };
  const reason = c.mediaError?.code ?? 'not_fetched';
  const line = `⚠️ ${t(lang, 'media.unavailable').replace('{reason}', reason)}`;
  return { text: text ? `${text}\n${line}` : line };
}

/** `inbound.media`: re-hosts the file of a customer's message. */
export class InboundMedia extends MediaJob {
  protected readonly direction = 'in';

  protected failed(messageId: number, error: string): Promise<JobOutcome> {
    return this.#noFile(messageId, 'retries_exhausted', error);
  }

  protected async fetch(m: MediaMessage): Promise<JobOutcome> {
    const c = (m.content ?? {}) as InboundContent;
    if (c.files?.length || c.mediaError) return { kind: 'done' };
    const p = c.payload ?? {};
    const url = str(p.url);
    if (!url) return this.#noFile(m.id, 'no_url', 'Gupshup sent no media link');
    const expiry = Number(p.urlExpiry);
    if (Number.isFinite(expiry) && expiry > 0 && expiry < Date.now()) {
      // Dead links are not polled: Gupshup answers 20+ bad fetches an hour with a 1-hour 429.
      return this.#noFile(m.id, 'expired', 'the Gupshup link had expired before the download');
    }
    const key = mediaKey('in', m.id, 0);
    let fetched: Fetched;
    try {
      fetched = await this.download(key, url);
    } catch (err) {
      if (!(err instanceof MediaFetchError)) throw err;
      // A passing fault is retried; when the worker's attempts run out, onDead records the failure.
      if (err.permanent) return this.#noFile(m.id, err.code, err.message);
      return this.retryLater(m, err);
    }
    const mime = mimeOf(p.contentType ?? fetched.contentType, str(p.name));
    const file: StoredFile = {
      mediaId: key,
      name: cleanFileName(str(p.name), mime, m.type === 'file' ? 'document' : m.type),
      mime,
      size: fetched.size,
    };
    await this.record(m, file, { files: [file] }, null);
    return { kind: 'done' };
  }

  async #noFile(messageId: number, code: string, detail: string): Promise<JobOutcome> {
    const m = await this.d.repo.markFetchFailed(messageId, { code, detail: detail.slice(0, 300) });
    if (m) {
      await this.d.trace(this.d.repo.db, {
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
}
