import { z } from 'zod';
import { politely } from '../../integrations/bitrix24/rate-retry.js';
import { randomToken, type SecretBox } from '../../shared/crypto.js';
import type { TokensRepository } from './tokens.repository.js';
import type { PortalLookup, ProfileReader } from './ports.js';
import {
  ForbiddenError,
  isRefusedAddress,
  NOT_PUBLIC_HOST,
  ProviderError,
  UnauthorizedError,
  ValidationError,
  describeIssues,
  AppError,
} from '../../shared/errors.js';

/**
 * Per-portal bearer tokens for the JSON API (SPEC "JSON API auth"). Created from a portal admin's
 * frontend auth (checked with `profile` on that portal), stored as an HMAC, shown once.
 */
export const createTokenInput = z.object({
  DOMAIN: z.string().trim().min(1).max(255),
  AUTH_ID: z.string().trim().min(1).max(512),
  member_id: z.string().trim().min(1).max(128),
  label: z.string().trim().max(100).optional(),
});

export interface ApiPrincipal {
  portalId: number;
  /** The bearer token used, or null for a page's frontend auth. */
  tokenId: number | null;
  /** The Bitrix24 user behind a frontend auth; null for bearer tokens. */
  userId: number | null;
  /** Portal admin (frontend auth: `profile.ADMIN`); bearer tokens are created by admins only. */
  admin: boolean;
  via: 'token' | 'frontend';
}

export class TokensService {
  constructor(
    private readonly repo: TokensRepository,
    private readonly portals: PortalLookup,
    private readonly box: SecretBox,
    private readonly bitrix: ProfileReader,
    /** What `app.info` reports for our application (B24_APP_CODE, else the client id). */
    private readonly appCode: string,
  ) {}

  /**
   * Checks a Bitrix24 frontend auth (what an iframe page is opened with) against the portal it claims
   * to come from, with `profile`. Returns the portal and whether the user is a portal admin.
   */
  async verifyFrontendAuth(input: {
    DOMAIN: string;
    AUTH_ID: string;
    member_id: string;
  }): Promise<{ portalId: number; userId: number | null; admin: boolean; name: string }> {
    const portal = await this.portals.findByMemberId(input.member_id);
    if (
      !portal ||
      portal.status !== 'installed' ||
      portal.domain.toLowerCase() !== input.DOMAIN.toLowerCase()
    ) {
      throw new UnauthorizedError('Unknown portal: install the app first');
    }
    let profile: { ID?: unknown; ADMIN?: unknown; NAME?: unknown; LAST_NAME?: unknown };
    try {
      // `profile` answers any app's token of this portal; `app.info` says whether it was issued to us.
      const [p, code] = await Promise.all([
        politely(() => this.bitrix.profile(portal.client_endpoint, input.AUTH_ID)),
        politely(() => this.bitrix.appCode(portal.client_endpoint, input.AUTH_ID)),
      ]);
      if (code !== this.appCode) {
        throw new UnauthorizedError('This AUTH_ID was issued to another application');
      }
      profile = p;
    } catch (err) {
      if (isRefusedAddress(err)) throw new ValidationError(NOT_PUBLIC_HOST);
      if (err instanceof ProviderError && (err.status === 401 || err.status === 403)) {
        throw new UnauthorizedError('The portal did not accept this AUTH_ID');
      }
      if (err instanceof ProviderError) {
        throw new AppError(
          'upstream_unavailable',
          'Bitrix24 could not check the credentials; try again',
          503,
        );
      }
      throw err;
    }
    const admin = profile.ADMIN === true || profile.ADMIN === 'Y' || profile.ADMIN === 'true';
    const name = [profile.NAME, profile.LAST_NAME].filter((v) => typeof v === 'string' && v).join(' ');
    return { portalId: portal.id, userId: Number(profile.ID) || null, admin, name };
  }

  async create(body: unknown): Promise<{ id: number; token: string }> {
    const parsed = createTokenInput.safeParse(body ?? {});
    if (!parsed.success) throw new ValidationError(describeIssues(parsed.error.issues));
    const i = parsed.data;
    const who = await this.verifyFrontendAuth(i);
    if (!who.admin) throw new ForbiddenError('Only a portal administrator can create API tokens');
    const token = `wab24_${randomToken(24)}`;
    const id = await this.repo.insert({
      portalId: who.portalId,
      tokenMac: this.box.mac(token),
      prefix: token.slice(0, 10),
      label: i.label ?? null,
      createdByUserId: who.userId,
    });
    return { id, token };
  }

  async authenticate(authorization: string | undefined): Promise<ApiPrincipal> {
    const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!m?.[1]) throw new UnauthorizedError('Send Authorization: Bearer <token>');
    const row = await this.repo.findByMac(this.box.mac(m[1]));
    if (!row || row.revoked_at || row.status !== 'installed') {
      throw new UnauthorizedError('Unknown or revoked token');
    }
    await this.repo.touch(row.id);
    return { portalId: row.portal_id, tokenId: row.id, userId: null, admin: true, via: 'token' };
  }

  async list(portalId: number) {
    const rows = await this.repo.list(portalId);
    return rows.map((r) => ({
      id: r.id,
      prefix: r.prefix,
      label: r.label,
      createdAt: r.created_at.toISOString(),
      lastUsedAt: r.last_used_at?.toISOString() ?? null,
      revokedAt: r.revoked_at?.toISOString() ?? null,
    }));
  }

  revoke(portalId: number, id: number): Promise<boolean> {
    return this.repo.revoke(portalId, id);
  }
}
