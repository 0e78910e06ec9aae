import { sha256 } from '../../shared/crypto.js';
import { ForbiddenError, UnauthorizedError } from '../../shared/errors.js';
import type { ApiPrincipal, TokensService } from './tokens.service.js';

/**
 * The app's own pages call the JSON API with the Bitrix24 frontend auth they were opened with
 * (SPEC "JSON API auth"), in one header: `X-B24-Auth: DOMAIN=…&member_id=…&AUTH_ID=…`.
 * The server checks it with the portal (`profile`) and remembers the answer for a minute, keyed by a
 * digest of the three values, so a page's burst of calls costs one `profile`. The AUTH_ID is the
 * viewing user's own short-lived token (Bitrix24 hands it to the iframe); it is never stored or logged.
 * Chosen over a signed session of our own: nothing new to leak, and a user whose rights change in
 * Bitrix24 is re-checked within a minute.
 */
export const FRONTEND_AUTH_HEADER = 'x-b24-auth';
const CACHE_MS = 60_000;
const CACHE_MAX = 5_000;

export class FrontendAuth {
  readonly #cache = new Map<string, { p: ApiPrincipal; until: number }>();

  constructor(private readonly tokens: TokensService) {}

  async authenticate(header: string): Promise<ApiPrincipal> {
    const q = new URLSearchParams(header);
    const DOMAIN = q.get('DOMAIN') ?? '';
    const member_id = q.get('member_id') ?? '';
    const AUTH_ID = q.get('AUTH_ID') ?? '';
    if (!DOMAIN || !member_id || !AUTH_ID || header.length > 2_000) {
      throw new UnauthorizedError('X-B24-Auth needs DOMAIN, member_id and AUTH_ID');
    }
    const key = sha256(`${DOMAIN}\n${member_id}\n${AUTH_ID}`);
    const hit = this.#cache.get(key);
    if (hit && hit.until > Date.now()) return hit.p;
    const who = await this.tokens.verifyFrontendAuth({ DOMAIN, AUTH_ID, member_id });
    const p: ApiPrincipal = {
      portalId: who.portalId,
      tokenId: null,
      userId: who.userId,
      admin: who.admin,
      via: 'frontend',
    };
    if (this.#cache.size >= CACHE_MAX) this.#cache.clear();
    this.#cache.set(key, { p, until: Date.now() + CACHE_MS });
    return p;
  }
}

/** Portal admins only (SPEC: roles, channel changes and tokens); bearer tokens were made by an admin. */
export function requireAdmin(p: ApiPrincipal): void {
  if (!p.admin) throw new ForbiddenError('Only a portal administrator can do this');
}
