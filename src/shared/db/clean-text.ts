/**
 * What PostgreSQL cannot store, made storable: a lone UTF-16 surrogate (JSON allows `"\ud800"`, a
 * form may carry its bytes) and NUL (U+0000) become U+FFFD. `text` refuses NUL; `jsonb` refuses both
 * as characters and as the `\ud800` / `\u0000` escapes JSON.stringify writes for them. Applied to every
 * bound parameter by the query compiler (database.ts), so every text from a webhook, a form, a
 * provider's answer or our own code is covered however it reaches a statement.
 */

const REPLACEMENT = '\ufffd';
/** A JSON escape jsonb refuses: NUL or a surrogate (a lone one; a valid pair also matches, harmlessly). */
const JSON_BAD_ESCAPE = /\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})/;

/** A bound parameter with every string in it cleaned; the same value when there was nothing to clean. */
export function cleanValue(value: unknown): unknown {
  // Nearly every value is clean: a walk that allocates nothing decides that first (the webhook path
  // binds whole payloads, and copying them on every statement fed the garbage collector).
  return isClean(value) ? value : cleanDeep(value);
}

function isClean(value: unknown): boolean {
  if (typeof value === 'string') return isCleanText(value);
  if (Array.isArray(value)) return value.every(isClean);
  if (value !== null && typeof value === 'object' && isPlainObject(value)) {
    for (const k in value) {
      if (!Object.hasOwn(value, k)) continue;
      if (!isCleanText(k) || !isClean((value as Record<string, unknown>)[k])) return false;
    }
  }
  return true;
}

function isCleanText(s: string): boolean {
  return s.isWellFormed() && !s.includes('\0') && !(s.includes('\\u') && JSON_BAD_ESCAPE.test(s));
}

function cleanDeep(value: unknown): unknown {
  if (typeof value === 'string') return cleanText(value);
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v: unknown = value[i];
      const c = cleanValue(v);
      if (c !== v) (out ??= value.slice())[i] = c;
    }
    return out ?? value;
  }
  if (value !== null && typeof value === 'object' && isPlainObject(value)) {
    const entries = Object.entries(value);
    let changed = false;
    const cleaned = entries.map(([k, v]): [string, unknown] => {
      const ck = cleanText(k);
      const cv = cleanValue(v);
      if (ck !== k || cv !== v) changed = true;
      return [ck, cv];
    });
    // fromEntries defines own properties: a `__proto__` key stays a key.
    return changed ? Object.fromEntries(cleaned) : value;
  }
  // Numbers, Dates, Buffers, null: nothing to clean.
  return value;
}

export function cleanText(s: string): string {
  let out = s.isWellFormed() ? s : s.toWellFormed();
  if (out.includes('\0')) out = out.replaceAll('\0', REPLACEMENT);
  if (out.includes('\\u') && JSON_BAD_ESCAPE.test(out)) out = cleanJsonText(out);
  return out;
}

/**
 * A JSON document written before it reached us (JSON.stringify for a jsonb column) holding an escape
 * jsonb refuses: parsed, cleaned and written again. Text that is not JSON is left as it is; there the
 * six characters `\ud800` are what somebody typed, and a text column stores them fine.
 */
function cleanJsonText(s: string): string {
  const first = s.trimStart()[0];
  if (first !== '{' && first !== '[' && first !== '"') return s;
  let parsed: unknown;
  try {
    parsed = JSON.parse(s);
  } catch {
    return s;
  }
  return JSON.stringify(cleanValue(parsed));
}

function isPlainObject(v: object): boolean {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}
