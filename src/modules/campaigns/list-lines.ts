/**
 * The small rules of a list's lines (docs/campaigns.md, "Lists"): which header names the phone, the
 * name and the parameters, and how a dialer row's `hsm:<code>:<p1>:<p2>` splits (`\:` is a colon and
 * `\\` a backslash inside a value).
 */

/** A header or keyword as compared: lower case, accents and spaces gone ("Teléfono " → "telefono"). */
export function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[\s_-]+/g, '')
    .trim();
}

const PHONE_NAMES = new Set([
  'phone',
  'telefono',
  'numero',
  'celular',
  'movil',
  'telefone',
  'mobile',
  'whatsapp',
  'tel',
]);
const NAME_NAMES = new Set(['name', 'nombre', 'nome']);

export interface HeaderMap {
  phone?: number;
  name?: number;
  /** Parameter number (1-based) → column index. */
  params: Map<number, number>;
}

/** The columns of a header row; the first column named like a phone (or a name) counts. */
export function mapHeader(record: string[]): HeaderMap {
  const h: HeaderMap = { params: new Map() };
  record.forEach((raw, column) => {
    const f = fold(raw);
    if (PHONE_NAMES.has(f)) h.phone ??= column;
    else if (NAME_NAMES.has(f)) h.name ??= column;
    else {
      const m = /^(?:param|parametro|p|var)(\d{1,2})$/.exec(f) ?? /^\{\{(\d{1,2})\}\}$/.exec(f);
      const n = m ? Number(m[1]) : 0;
      if (n >= 1 && !h.params.has(n)) h.params.set(n, column);
    }
  });
  return h;
}

/** `hsm:code:a\:b:c\\d` → ['hsm', 'code', 'a:b', 'c\d']; a backslash before anything else stays. */
export function splitDialer(text: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    const next = text[i + 1];
    if (ch === '\\' && (next === ':' || next === '\\')) {
      cur += next;
      i += 1;
    } else if (ch === ':') {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts;
}

/** The stop keywords (contract): an inbound text that is only one of them opts the customer out. */
const STOP_WORDS = new Set(['stop', 'baja', 'parar', 'sair', 'cancelar', 'unsubscribe']);

export function isStopKeyword(text: string): boolean {
  if (text.length > 40) return false;
  const f = fold(text).replace(/[.!¡?¿'"]+/g, '');
  return STOP_WORDS.has(f);
}
