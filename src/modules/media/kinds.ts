import contentDisposition from 'content-disposition';
import mime from 'mime-types';

/**
 * What a file is, for WhatsApp and for the browsers that open our links. WhatsApp's media limits are
 * in reference/gupshup.md §1.1 and §4.4: image JPEG/PNG ≤ 5 MB, video MP4/3GPP ≤ 16 MB, audio ≤ 16 MB,
 * documents ≤ 100 MB (any type).
 */
export type WhatsAppKind = 'image' | 'video' | 'audio' | 'file';

const MB = 1024 * 1024;

export const WHATSAPP_LIMITS: Record<WhatsAppKind, number> = {
  image: 5 * MB,
  video: 16 * MB,
  audio: 16 * MB,
  file: 100 * MB,
};

const NATIVE: Record<Exclude<WhatsAppKind, 'file'>, ReadonlySet<string>> = {
  image: new Set(['image/jpeg', 'image/png']),
  video: new Set(['video/mp4', 'video/3gpp']),
  // Meta's list of audio types (the reference gives only the size).
  audio: new Set(['audio/aac', 'audio/mp4', 'audio/mpeg', 'audio/amr', 'audio/ogg']),
};

/** `type/subtype` in lower case without parameters, or undefined for anything that is not one. */
export function baseMime(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const t = value.split(';')[0]?.trim().toLowerCase() ?? '';
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,127}$/.test(t) ? t : undefined;
}

/** The MIME type from what the sender said, else from the file name's extension. */
export function mimeOf(declared: unknown, name: string | undefined): string {
  const d = baseMime(declared);
  if (d && d !== 'application/octet-stream') return d;
  const guessed = name ? mime.lookup(name) : false;
  return guessed || d || 'application/octet-stream';
}

/**
 * How a file goes to WhatsApp: as its own kind when WhatsApp plays that type within the kind's limit,
 * else as a document (the customer still gets the file); refused only above the document limit.
 */
export function whatsappKind(
  mimeType: string,
  size: number,
): { kind: WhatsAppKind } | { refused: 'file_too_large'; limit: number } {
  const family = mimeType.split('/')[0];
  for (const kind of ['image', 'video', 'audio'] as const) {
    if (family === kind && NATIVE[kind].has(mimeType) && size <= WHATSAPP_LIMITS[kind]) return { kind };
  }
  if (size > WHATSAPP_LIMITS.file) return { refused: 'file_too_large', limit: WHATSAPP_LIMITS.file };
  return { kind: 'file' };
}

/** Types a browser shows in place without running anything. Everything else is a download. */
const INLINE = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'application/pdf']);
/** Types a browser would treat as a page or script: served as plain bytes. */
const ACTIVE =
  /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/xml|application\/xml|text\/javascript|application\/javascript)$/;

/** Response headers for serving a stored file: safe type, safe disposition, no sniffing. */
export function servingHeaders(mimeType: string, name: string, size: number): Record<string, string> {
  const type = baseMime(mimeType) ?? 'application/octet-stream';
  const safeType = ACTIVE.test(type) ? 'application/octet-stream' : type;
  const inline = INLINE.has(safeType) || /^(audio|video)\//.test(safeType);
  // An ASCII name for old clients, the real one as filename* (RFC 6266) when they differ.
  const ascii =
    name
      .normalize('NFKD')
      .replace(/[^\x20-\x7e]/g, '')
      .replace(/["\\;/%]/g, '_')
      .trim() || 'file';
  return {
    'content-type': safeType,
    'content-length': String(size),
    'content-disposition': contentDisposition(name, {
      type: inline ? 'inline' : 'attachment',
      fallback: ascii,
    }),
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
    'cache-control': 'private, max-age=3600',
    'referrer-policy': 'no-referrer',
  };
}

/** Where the registry's first extension is not the one people know (WhatsApp voice notes are OGG). */
const USUAL_EXTENSION: Record<string, string> = {
  'audio/ogg': 'ogg',
  'audio/mpeg': 'mp3',
  'audio/aac': 'aac',
};

/**
 * A file name fit for Bitrix24 and WhatsApp: no path, no control characters, Bitrix24 keeps only 50
 * characters and mangles `&` (reference/bitrix24.md §3.7), so it is shortened keeping the extension.
 */
export function cleanFileName(
  raw: string | undefined,
  mimeType: string,
  fallbackBase: string,
  max = 50,
): string {
  let name = (raw ?? '')
    .replace(/\s*\(files\)$/i, '') // Gupshup's "file1.pdf (files)" (reference/gupshup.md §3.3)
    .split(/[\\/]/)
    .pop()
    ?.replace(/\p{Cc}/gu, '')
    .replace(/&/g, '+')
    .trim();
  if (!name) {
    const ext = USUAL_EXTENSION[mimeType] ?? mime.extension(mimeType);
    name = ext ? `${fallbackBase}.${ext}` : fallbackBase;
  }
  if ([...name].length <= max) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= 10 ? name.slice(dot) : '';
  const base = [...name.slice(0, name.length - ext.length)].slice(0, max - [...ext].length).join('');
  return `${base}${ext}`;
}
