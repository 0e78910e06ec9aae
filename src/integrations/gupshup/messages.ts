/**
 * Gupshup's `message` JSON for one session message (reference/gupshup.md §1.1), built from a
 * description that knows nothing of Gupshup: the modules say what goes to the customer (a text, or a
 * file behind a public link with an optional caption), this file says how Gupshup spells it.
 */
export type OutgoingMessage =
  | { type: 'text'; text: string }
  | { type: 'image' | 'video' | 'audio'; url: string; caption?: string }
  | { type: 'file'; url: string; filename: string; caption?: string };

/** WhatsApp shows at most this much of a media caption. */
const CAPTION_MAX = 1024;

export function gupshupMessage(m: OutgoingMessage): Record<string, unknown> {
  if (m.type === 'text') return { type: 'text', text: m.text };
  const caption = m.caption ? { caption: m.caption.slice(0, CAPTION_MAX) } : {};
  switch (m.type) {
    case 'image':
      return { type: 'image', originalUrl: m.url, previewUrl: m.url, ...caption };
    case 'video':
      return { type: 'video', url: m.url, ...caption };
    case 'audio':
      // WhatsApp audio has no caption.
      return { type: 'audio', url: m.url };
    case 'file':
      return { type: 'file', url: m.url, filename: m.filename, ...caption };
  }
}

/** What a template's media header shows: an image, a video or a PDF document behind a public link. */
export interface TemplateHeaderMedia {
  kind: 'image' | 'video' | 'document';
  url: string;
  filename?: string;
}

/**
 * The `message` field of a template send (reference/gupshup.md §2.1) for a media header:
 * `{"type":"image","image":{"link":…}}`, the same for video, and a document with its file name.
 */
export function gupshupTemplateHeader(h: TemplateHeaderMedia): Record<string, unknown> {
  if (h.kind === 'document') {
    return { type: 'document', document: { link: h.url, filename: h.filename ?? 'document.pdf' } };
  }
  return { type: h.kind, [h.kind]: { link: h.url } };
}
