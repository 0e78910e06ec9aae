import { mimeOf } from '../../media/kinds.js';
import { operatorText } from './operator-text.js';

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

function guessedType(f: OperatorFile): string {
  const family = mimeOf(f.mime, f.name).split('/')[0];
  return family === 'image' || family === 'video' || family === 'audio' ? family : 'file';
}

export function planParts(text: string, files: OperatorFile[]): PlannedPart[] {
  if (files.length === 0) return [{ type: 'text', text }];
  const { whatsapp, words } = operatorText(text);
  const [only] = files;
  if (only && files.length === 1 && guessedType(only) !== 'audio' && whatsapp.length <= CAPTION_MAX) {
    return [{ type: guessedType(only), text: words ? text : '', file: only }];
  }
  const parts: PlannedPart[] = words ? [{ type: 'text', text }] : [];
  for (const f of files) parts.push({ type: guessedType(f), text: '', file: f });
  return parts;
}
