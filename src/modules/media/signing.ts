import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/**
 * Links to re-hosted media: `PUBLIC_URL/media/:id?exp=<unix s>&sig=<HMAC-SHA256>`. Bitrix24 and
 * Gupshup fetch them without credentials, so the link itself is the credential: it names one file,
 * expires, and cannot be forged without APP_SECRET (the key is derived from it with HKDF, apart from
 * the keys that encrypt tokens). Checked in constant time.
 */
export class MediaSigner {
  readonly #key: Buffer;

  constructor(
    appSecret: string,
    private readonly publicUrl: string,
    private readonly ttlSec: number,
  ) {
    this.#key = Buffer.from(
      hkdfSync('sha256', Buffer.from(appSecret, 'utf8'), Buffer.alloc(0), 'whatsappb24/media-url/v1', 32),
    );
  }

  #sig(id: string, exp: number): Buffer {
    return createHmac('sha256', this.#key).update(`${id}.${exp}`).digest();
  }

  /** A link valid for the configured time from `nowMs`. */
  url(id: string, nowMs = Date.now()): string {
    const exp = Math.floor(nowMs / 1000) + this.ttlSec;
    return `${this.publicUrl}/media/${encodeURIComponent(id)}?exp=${exp}&sig=${this.#sig(id, exp).toString('base64url')}`;
  }

  /** True only for an unexpired link this app signed for exactly this id. */
  verify(id: string, exp: unknown, sig: unknown, nowMs = Date.now()): boolean {
    if (typeof exp !== 'string' || typeof sig !== 'string' || !/^\d{1,12}$/.test(exp)) return false;
    const e = Number(exp);
    if (e * 1000 < nowMs) return false;
    // Compared as the canonical text: base64url has several spellings of the same last byte.
    const given = Buffer.from(sig, 'utf8');
    const want = Buffer.from(this.#sig(id, e).toString('base64url'), 'utf8');
    return given.length === want.length && timingSafeEqual(given, want);
  }
}
