import type { FastifyBodyParser } from 'fastify';
import { parse as parseQs } from 'qs';
import { AppError } from '../errors.js';

/**
 * Bitrix24 nests form keys up to 6 levels (reference §2.2): qs with room to spare. Each key and value
 * is decoded on its own; invalid UTF-8 in one becomes U+FFFD there instead of leaving it percent-encoded.
 */
export function parseForm(body: string): Record<string, unknown> {
  return parseQs(body, {
    depth: 10,
    arrayLimit: 1000,
    parameterLimit: 5000,
    allowDots: false,
    decoder: decodeFormComponent,
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * A form key or value, '+' as a space. Where decodeURIComponent gives up (invalid UTF-8, such as the
 * bytes of a lone surrogate, %ED%A0%80), the percent-escapes are decoded to bytes and the bytes read
 * as UTF-8 with U+FFFD for each invalid one; qs alone would keep the whole text percent-encoded.
 */
export function decodeFormComponent(raw: string): string {
  const s = raw.replaceAll('+', ' ');
  try {
    return decodeURIComponent(s);
  } catch {
    const src = Buffer.from(s, 'utf8');
    const bytes = Buffer.alloc(src.length);
    let n = 0;
    for (let i = 0; i < src.length; i++) {
      const hex = src[i] === 0x25 ? src.toString('latin1', i + 1, i + 3) : '';
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        bytes[n++] = Number.parseInt(hex, 16);
        i += 2;
      } else {
        bytes[n++] = src[i] ?? 0;
      }
    }
    return utf8.decode(bytes.subarray(0, n));
  }
}

/** Fastify's parser for application/x-www-form-urlencoded bodies (registered with parseAs: 'string'). */
export const formBodyParser: FastifyBodyParser<string> = (_req, body, done) => {
  try {
    done(null, parseForm(body));
  } catch {
    done(new AppError('bad_request', 'Malformed form body', 400), undefined);
  }
};
