/** How the portal (PHP) sees values: scalars as strings, `empty()`, arrays, keys, urlencode. */
import { randomBytes } from 'node:crypto';
import type { Params } from './model.js';

export const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Scalar → string the way PHP would see it. */
export function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? '1' : '';
  return '';
}

/** PHP `empty()` semantics (§3.4). */
export function phpEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '' || v === '0') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v)) return Object.keys(v).length === 0;
  return false;
}

export function toInt(v: unknown): number | null {
  const s = str(v).trim();
  if (!/^-?\d+$/.test(s)) return null;
  return Number(s);
}

/** A PHP array as a JS list: arrays as-is, objects by their values (form `MESSAGES[5]` etc.). */
export function listOf(v: unknown): unknown[] | null {
  if (Array.isArray(v)) return v as unknown[];
  if (isObj(v)) return Object.values(v);
  return null;
}

/** The core lower-cases every key inside MESSAGES recursively (§3). */
export function lowerKeysDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(lowerKeysDeep);
  if (isObj(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k.toLowerCase()] = lowerKeysDeep(x);
    return out;
  }
  return v;
}

export function upperTop(p: Params): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(p)) out[k === 'auth' ? k : k.toUpperCase()] = v;
  return out;
}

export function obj(v: unknown): Record<string, unknown> {
  return isObj(v) ? v : {};
}

export function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/**
 * PHP urlencode(): everything but [A-Za-z0-9_.-] is %-encoded, space → '+'. PHP strings are bytes:
 * a lone UTF-16 surrogate stands for the invalid UTF-8 bytes a PHP string may hold (ED A0 80 for
 * U+D800, as CESU-8/WTF-8 text has them), so the sandbox can send what encodeURIComponent refuses.
 */
function phpUrlencode(s: string): string {
  return s
    .split(/([\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff])/)
    .map((part, i) => (i % 2 === 1 ? loneSurrogateBytes(part.charCodeAt(0)) : encodeURIComponent(part)))
    .join('')
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

function loneSurrogateBytes(unit: number): string {
  return [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
    .map((b) => `%${b.toString(16).toUpperCase()}`)
    .join('');
}

/**
 * PHP http_build_query(): bracket keys, booleans as 1/0, null skipped, empty arrays absent —
 * exactly how Bitrix24 form-encodes outgoing events (§2.2).
 */
export function phpHttpBuildQuery(data: Record<string, unknown>): string {
  const pairs: string[] = [];
  const walk = (v: unknown, key: string): void => {
    if (v === null || v === undefined) return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${key}[${i}]`));
      return;
    }
    if (typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, `${key}[${k}]`);
      return;
    }
    const s = typeof v === 'boolean' ? (v ? '1' : '0') : str(v);
    pairs.push(`${phpUrlencode(key)}=${phpUrlencode(s)}`);
  };
  for (const [k, v] of Object.entries(data)) walk(v, k);
  return pairs.join('&');
}

/** PHP json_encode of an array with these keys: a list when keys are 0..n-1, `[]` when empty. */
export function phpArray(entries: Array<[string, unknown]>): unknown {
  if (entries.length === 0) return [];
  if (entries.every(([k], i) => k === String(i))) return entries.map(([, v]) => v);
  return Object.fromEntries(entries);
}

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export function methodName(raw: string): string {
  let m = raw.trim().toLowerCase();
  if (m.endsWith('.json')) m = m.slice(0, -5);
  return m;
}

export function likeToRegExp(pattern: string): RegExp {
  const esc = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%/g, '.*')
    .replace(/_/g, '.');
  return new RegExp(`^${esc}$`, 'is');
}
