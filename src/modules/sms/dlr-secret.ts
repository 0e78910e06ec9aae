import { safeEqual, type SecretBox } from '../../shared/crypto.js';

const SHAPE = /^([1-9]\d{0,15})\.([A-Za-z0-9_-]{32})$/;

/**
 * The path secret of a portal's delivery-report URL (`/webhooks/smsapi/<secret>`, docs/sms.md):
 * `<portal id>.<mac>`, the mac (APP_SECRET's key) of the portal's stored nonce
 * (`sms_settings.dlr_secret`). The row alone — a copied or leaked database — does not give the URL,
 * and a callback is checked by its portal's id, then compared in constant time (never looked up by
 * the secret itself).
 */
export class DlrSecrets {
  constructor(
    private readonly d: {
      box: SecretBox;
      /** The portal's stored nonce; undefined when it has no SMS settings. */
      nonce: (portalId: number) => Promise<string | undefined>;
    },
  ) {}

  of(portalId: number, nonce: string): string {
    return `${portalId}.${this.d.box.mac(`smsapi-dlr:${portalId}:${nonce}`).slice(0, 32)}`;
  }

  /** The portal a callback's secret belongs to, or undefined (the route's 404). */
  async portalOf(secret: string): Promise<number | undefined> {
    const m = SHAPE.exec(secret);
    if (!m) return undefined;
    const portalId = Number(m[1]);
    if (!Number.isSafeInteger(portalId)) return undefined;
    const nonce = await this.d.nonce(portalId);
    return nonce !== undefined && safeEqual(this.of(portalId, nonce), secret) ? portalId : undefined;
  }
}
