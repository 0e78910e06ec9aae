/**
 * What an inbound WhatsApp message reads like in the open line (reference/gupshup.md §3.3). Text goes
 * as is; the other types become a readable line so the agent never sees an empty bubble. (Media files
 * themselves are re-hosted by the media step; this is the text that goes with them.)
 */
type Obj = Record<string, unknown>;
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.trim() ? v.trim() : typeof v === 'number' ? String(v) : undefined;

const MEDIA_LABEL: Record<string, string> = {
  image: '🖼️ Image',
  video: '🎬 Video',
  audio: '🎤 Audio',
  voice: '🎤 Audio',
  file: '📄 Document',
  document: '📄 Document',
  sticker: '🏷️ Sticker',
};

export function inboundText(type: string, p: Obj): string {
  switch (type) {
    case 'text':
      return str(p.text) ?? '';
    case 'image':
    case 'video':
    case 'audio':
    case 'voice':
    case 'file':
    case 'document':
    case 'sticker': {
      const label = MEDIA_LABEL[type] ?? type;
      const name =
        type === 'file' || type === 'document' ? str(p.name)?.replace(/\s*\(files\)$/, '') : undefined;
      const caption = str(p.caption);
      return [name ? `${label}: ${name}` : label, caption].filter(Boolean).join('\n');
    }
    case 'location': {
      const lat = str(p.latitude);
      const lng = str(p.longitude);
      const place = [str(p.name), str(p.address)].filter(Boolean).join(', ');
      const link = lat && lng ? `https://maps.google.com/?q=${lat},${lng}` : '';
      return ['📍 Location', place, link].filter(Boolean).join('\n');
    }
    case 'contact': {
      const contacts = Array.isArray(p.contacts) ? (p.contacts as Obj[]) : [];
      const lines = contacts.map((c) => {
        const n = (c.name ?? {}) as Obj;
        const name =
          str(n.formattedName) ??
          str(n.formatted_name) ??
          [str(n.firstName) ?? str(n.first_name), str(n.lastName) ?? str(n.last_name)]
            .filter(Boolean)
            .join(' ');
        const phones = Array.isArray(c.phones)
          ? (c.phones as Obj[]).map((ph) => str(ph.phone)).filter(Boolean)
          : [];
        return [name || 'Contact', ...phones].join(' · ');
      });
      return ['👤 Contact', ...lines].join('\n');
    }
    case 'list_reply':
    case 'button_reply':
      return str(p.title) ?? str(p.reply) ?? str(p.postbackText) ?? '';
    case 'quick_reply':
      return str(p.text) ?? str(p.title) ?? str(p.postbackText) ?? '';
    case 'reaction': {
      const emoji = str(p.emoji);
      return emoji ? `Reaction: ${emoji}` : 'Reaction removed';
    }
    default:
      return `[${type}]`;
  }
}
