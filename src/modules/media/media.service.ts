import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import type { JobHandler } from '../../jobs/worker.js';
import type { Lang } from '../../shared/i18n.js';
import { inboundForBitrix, InboundMedia } from './inbound.js';
import { servingHeaders } from './kinds.js';
import type { MediaDeps } from './media-files.js';
import { outgoingMessage, OutboundMedia } from './outbound.js';
import type { OutgoingMessage } from './ports.js';
import { requestedRange } from './ranges.js';
import type { MediaSigner } from './signing.js';
import { scheduleSweep, sweepJob } from './sweep.js';

export { mediaKey, type MediaDeps, type StoredFile } from './media-files.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What `GET /media/:id` answers for a file we have: all of it, a part of it, or no part (416). */
export type MediaAnswer =
  { status: 200 | 206; body: Readable; headers: Record<string, string> } | { status: 416; size: number };

/**
 * Media on both sides of the relay (C4, C5): customers' files re-hosted for Bitrix24 (inbound.ts),
 * operators' files re-hosted for WhatsApp (outbound.ts), both served behind signed links and deleted
 * after the retention period (sweep.ts).
 */
export class MediaService {
  readonly #inbound: InboundMedia;
  readonly #outbound: OutboundMedia;

  constructor(private readonly d: MediaDeps) {
    this.#inbound = new InboundMedia(d);
    this.#outbound = new OutboundMedia(d);
  }

  get signer(): MediaSigner {
    return this.d.signer;
  }

  /**
   * A stored file for `GET /media/:id`, or the part of it `range` asks for (ranges.ts; `ifRange`: the
   * request has an If-Range), or null when there is none. The link was checked already.
   */
  async open(id: string, range?: string, ifRange = false): Promise<MediaAnswer | null> {
    if (!UUID.test(id)) return null;
    const row = await this.d.repo.findFile(id);
    if (!row) return null;
    const span = requestedRange(row.size, range, ifRange);
    if (span === 'unsatisfiable') return { status: 416, size: row.size };
    const file = await this.d.storage.get(row.id, span);
    if (!file) return null;
    const headers: Record<string, string> = {
      ...servingHeaders(row.mime, row.name, file.size),
      'accept-ranges': 'bytes',
    };
    if (!span) return { status: 200, body: file.body, headers };
    headers['content-length'] = String(span.end - span.start + 1);
    headers['content-range'] = `bytes ${span.start}-${span.end}/${file.size}`;
    return { status: 206, body: file.body, headers };
  }

  /**
   * Stores a file a caller uploaded (already checked for type and size) and returns its id; the
   * hourly sweep deletes it after the retention period unless a template keeps it as its sample.
   */
  async storeUpload(portalId: number, file: { bytes: Buffer; name: string; mime: string }): Promise<string> {
    const id = randomUUID();
    const { size } = await this.d.storage.put(id, Readable.from([file.bytes]));
    await this.d.repo.insertUpload({ id, portalId, name: file.name, mime: file.mime, size });
    await scheduleSweep(this.d.repo.db, 0);
    return id;
  }

  /** A stored file of the portal, or undefined. */
  async fileOf(
    portalId: number,
    id: string,
  ): Promise<{ id: string; mime: string; size: number } | undefined> {
    if (!UUID.test(id)) return undefined;
    return this.d.repo.fileOfPortal(portalId, id);
  }

  /** What `inbound.deliver` hands to `imconnector.send.messages` (see inbound.ts). */
  forBitrix(content: unknown, lang: Lang): { text: string; files?: Array<{ url: string; name: string }> } {
    return inboundForBitrix(this.d.signer, content, lang);
  }

  /** What goes to WhatsApp for one outbound part, neutral of the provider; null when nothing. */
  outgoing(content: unknown, text: string): OutgoingMessage | null {
    return outgoingMessage(this.d.signer, content, text);
  }

  /** The Gupshup `message` for one outbound part (reference/gupshup.md §1.1); null when nothing. */
  whatsappMessage(content: unknown, text: string): Record<string, unknown> | null {
    const m = this.outgoing(content, text);
    return m ? this.d.messageBody(m) : null;
  }

  inboundJob(): JobHandler {
    return this.#inbound.job();
  }

  outboundJob(): JobHandler {
    return this.#outbound.job();
  }

  sweepJob(): JobHandler {
    return sweepJob(this.d);
  }
}
