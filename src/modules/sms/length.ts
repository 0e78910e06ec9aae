/**
 * How long an SMS is, the way the network counts it: GSM-7 (160 characters alone, 153 per part when
 * split) or UCS-2 (70 / 67) as soon as one character is outside GSM-7; extended GSM characters
 * (€ [ ] { } ^ ~ \ |) take two septets and never straddle two parts; an emoji takes two UCS-2 units.
 * Counting is sms-segments-calculator's (reference payments-and-sms.md §4.5); this file only adds
 * the part ceiling and the "no accents" option.
 *
 * Pure and without Node imports: the admin page's browser script counts live with the same code
 * the server uses to refuse.
 */
import { SegmentedMessage } from 'sms-segments-calculator';

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsLength {
  encoding: SmsEncoding;
  /** Septets (GSM-7, extended characters count 2) or UTF-16 units (UCS-2, an emoji counts 2). */
  chars: number;
  /** 0 for an empty text. */
  parts: number;
  /** Characters per part at this length: 160/70 in one part, 153/67 once split. */
  perPart: number;
  maxParts: number;
  overLimit: boolean;
  /** What will be sent: the text, transliterated when `noAccents`. */
  text: string;
  /** With `noAccents`: the parts of the text as written and as it will be sent. */
  saving?: { partsBefore: number; partsAfter: number };
}

/**
 * SMSAPI refuses more than 6 parts (`max_parts` ≤ 6, error 12; reference §4.2, §4.5), although the
 * seed's program allowed 7 — docs/sms.md, "Length".
 */
export const SMS_MAX_PARTS = 6;

const PER_PART: Record<SmsEncoding, { single: number; multi: number }> = {
  'GSM-7': { single: 160, multi: 153 },
  'UCS-2': { single: 70, multi: 67 },
};

/** Letters without a decomposition into base + accent. */
const EXTRA: Record<string, string> = { ł: 'l', Ł: 'L', đ: 'd', Đ: 'D' };

/** Combining diacritical marks (not variation selectors: an emoji keeps its U+FE0F). */
const COMBINING = /^[\u0300-\u036f]$/u;
const MARKS = /\p{M}+/gu;

/** Per character, remembered: the page counts on every key press, and a text has few distinct ones. */
function remembered<T>(f: (ch: string) => T): (ch: string) => T {
  const seen = new Map<string, T>();
  return (ch) => {
    let v = seen.get(ch);
    if (v === undefined) {
      v = f(ch);
      if (seen.size < 10_000) seen.set(ch, v);
    }
    return v;
  };
}

/** Whether one character is in GSM-7 (basic or extension table). */
const isGsm = remembered((ch) => new SegmentedMessage(ch).encodingName === 'GSM-7');

/** One character without its accent, or as the library's "smart encoding" writes it. */
const plainOf = remembered((ch): string => {
  if (COMBINING.test(ch)) return ''; // a stray accent on its own
  const smart = new SegmentedMessage(ch, 'auto', true).graphemes.join('');
  if (smart !== ch) return smart;
  if (ch.length > 1 || isGsm(ch)) return ch;
  const plain = EXTRA[ch] ?? ch.normalize('NFD').replace(MARKS, '');
  return plain !== '' && plain !== ch && [...plain].every(isGsm) ? plain : ch;
});

/**
 * Polish, Spanish and Portuguese (and other Latin) diacritics → GSM-7: every character outside GSM-7
 * loses its accent (ą→a, ł→l, ó→o, ã→a, ç→c, Á→A …); typographic quotes and dashes become plain ones
 * (the library's "smart encoding" map). Letters GSM-7 already has stay as written (é ñ ü à è ì ò ù
 * Ñ Ü Ç ¿ ¡), so Spanish keeps its ñ. Anything else (emoji, Cyrillic) is left alone.
 */
export function transliterate(text: string): string {
  let out = '';
  // NFC first: a decomposed "ó" (o + U+0301, as macOS types it) is one letter.
  for (const ch of text.normalize('NFC')) out += plainOf(ch);
  return out;
}

function count(text: string): { encoding: SmsEncoding; chars: number; parts: number } {
  if (text === '') return { encoding: 'GSM-7', chars: 0, parts: 0 };
  const m = new SegmentedMessage(text);
  const encoding = m.encodingName;
  return { encoding, chars: m.messageSize / (encoding === 'GSM-7' ? 7 : 16), parts: m.segmentsCount };
}

export function smsLength(text: string, opts: { noAccents?: boolean; maxParts?: number } = {}): SmsLength {
  const maxParts = opts.maxParts ?? SMS_MAX_PARTS;
  const sent = opts.noAccents ? transliterate(text) : text;
  const c = count(sent);
  const per = PER_PART[c.encoding];
  const result: SmsLength = {
    encoding: c.encoding,
    chars: c.chars,
    parts: c.parts,
    perPart: c.parts > 1 ? per.multi : per.single,
    maxParts,
    overLimit: c.parts > maxParts,
    text: sent,
  };
  if (opts.noAccents) result.saving = { partsBefore: count(text).parts, partsAfter: c.parts };
  return result;
}

/** The characters that make a text UCS-2, each once, in order (the page says why a text is UCS-2). */
export function nonGsmChars(text: string): string[] {
  return text === '' ? [] : [...new Set(new SegmentedMessage(text).getNonGsmCharacters())];
}
