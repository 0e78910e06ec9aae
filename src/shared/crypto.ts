import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';

/**
 * Secrets at rest are AES-256-GCM with a key derived from APP_SECRET (HKDF, so the same secret never
 * doubles as the HMAC key). Format: `v1.<iv>.<tag>.<ciphertext>`, base64url parts.
 */
export class SecretBox {
  readonly #encKey: Buffer;
  readonly #macKey: Buffer;

  /**
   * `boundTo`: keys of one installation (HKDF salt = the portal's member id, its own info string), so
   * what they seal only opens with the same APP_SECRET *and* the same portal (docs/sms.md).
   */
  constructor(appSecret: string, boundTo?: { memberId: string; purpose: string }) {
    const ikm = Buffer.from(appSecret, 'utf8');
    const salt = boundTo ? Buffer.from(boundTo.memberId, 'utf8') : Buffer.alloc(0);
    const tag = boundTo ? `/${boundTo.purpose}` : '';
    this.#encKey = Buffer.from(hkdfSync('sha256', ikm, salt, `whatsappb24/enc/v1${tag}`, 32));
    this.#macKey = Buffer.from(hkdfSync('sha256', ikm, salt, `whatsappb24/mac/v1${tag}`, 32));
  }

  encrypt(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#encKey, iv);
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [
      'v1',
      iv.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
      ct.toString('base64url'),
    ].join('.');
  }

  decrypt(sealed: string): string {
    const [v, iv, tag, ct] = sealed.split('.');
    if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('Unknown secret format');
    const decipher = createDecipheriv('aes-256-gcm', this.#encKey, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  }

  /** Keyed digest for values we only ever compare (bearer tokens, application tokens, callback secrets). */
  mac(value: string): string {
    return createHmac('sha256', this.#macKey).update(value).digest('base64url');
  }

  /** Constant-time check of `value` against a stored `mac(...)`. */
  verifyMac(value: string, storedMac: string): boolean {
    return safeEqual(this.mac(value), storedMac);
  }
}

export function safeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  return ab.length === bb.length && timingSafeEqual(ab, bb);
}

export function randomToken(bytes = 24): string {
  return randomBytes(bytes).toString('base64url');
}

export function sha256(value: string): string {
  return createHash('sha256').update(value).digest('hex');
}
