import type { Bitrix24Client, TokenSet } from '../../integrations/bitrix24/bitrix24.client.js';
import {
  AppError,
  ForbiddenError,
  isRefusedAddress,
  NOT_PUBLIC_HOST,
  ProviderError,
  UnauthorizedError,
  ValidationError,
} from '../../shared/errors.js';
import type { Log as Logger } from '../../shared/logger.js';

/**
 * Install credentials are proven by Bitrix24's OAuth server, never by the host the caller names
 * (docs/security.md). Whoever posts an install page or an ONAPPINSTALL claims a portal (`member_id`,
 * a domain) and hands us a refresh token. We exchange that token at the configured `B24_OAUTH_URL`
 * with our own client_id/client_secret (reference bitrix24.md §1.6): only Bitrix24 can answer, and its
 * answer names the real portal (`member_id`, `client_endpoint`) and user. The claim must match it, and
 * the user must be a portal admin (`profile` → ADMIN, asked at the proven endpoint with the proven
 * token). The rotated tokens it returns are the ones kept.
 */
export interface InstallClaim {
  memberId: string;
  refreshToken: string;
  /** The portal host the caller names (iframe `DOMAIN`, event `auth[domain]`). */
  domain: string;
}

export interface ProvenInstall {
  memberId: string;
  domain: string;
  clientEndpoint: string;
  serverEndpoint: string | undefined;
  userId: number | null;
  tokens: TokenSet;
}

export async function proveInstall(
  client: Bitrix24Client,
  claim: InstallClaim,
  checkHost: (host: string) => void,
  log: Logger,
): Promise<ProvenInstall> {
  const tokens = await exchange(client, claim, log);
  const refuse = (why: string): never => {
    log.warn({ memberId: claim.memberId, why }, 'Install refused: the OAuth server contradicts the claim.');
    throw new ForbiddenError(`The installation credentials do not belong to this portal (${why})`);
  };
  if (tokens.memberId !== claim.memberId) refuse('member_id differs');
  let endpoint: URL;
  try {
    endpoint = new URL(tokens.clientEndpoint ?? '');
  } catch {
    return refuse('no client_endpoint');
  }
  if (endpoint.protocol !== 'https:' && endpoint.protocol !== 'http:') refuse('client_endpoint scheme');
  if (endpoint.host.toLowerCase() !== claim.domain.trim().toLowerCase()) refuse('domain differs');
  checkHost(endpoint.host);
  const clientEndpoint = endpoint.toString();
  const profile = await askProfile(client, clientEndpoint, tokens.accessToken);
  if (!isAdmin(profile.ADMIN)) {
    log.warn({ memberId: claim.memberId }, 'Install refused: the user is not a portal administrator.');
    throw new ForbiddenError('Only a Bitrix24 administrator can install or re-install the application');
  }
  const id = Number(profile.ID);
  return {
    memberId: claim.memberId,
    domain: endpoint.host.toLowerCase(),
    clientEndpoint,
    serverEndpoint: tokens.serverEndpoint,
    userId: Number.isSafeInteger(id) && id > 0 ? id : (tokens.userId ?? null),
    tokens,
  };
}

export function isAdmin(v: unknown): boolean {
  return v === true || v === 'Y' || v === 'true' || v === 1;
}

async function exchange(client: Bitrix24Client, claim: InstallClaim, log: Logger): Promise<TokenSet> {
  try {
    return await client.refresh(claim.refreshToken);
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    if (err.retryable) {
      log.warn({ code: err.providerCode }, 'Install not checked: the Bitrix24 OAuth server did not answer.');
      throw new AppError(
        'upstream_unavailable',
        'The Bitrix24 OAuth server could not confirm the installation; try again in a minute',
        503,
      );
    }
    log.warn(
      { memberId: claim.memberId, code: err.providerCode },
      'Install refused: the OAuth server did not accept the refresh token.',
    );
    throw new UnauthorizedError(
      `Bitrix24 did not confirm these installation credentials (${err.providerCode ?? 'refused'}); open the application from the portal again`,
    );
  }
}

async function askProfile(
  client: Bitrix24Client,
  clientEndpoint: string,
  accessToken: string,
): Promise<{ ID?: unknown; ADMIN?: unknown }> {
  try {
    const p = await client.callWithToken<unknown>(clientEndpoint, accessToken, 'profile');
    return p && typeof p === 'object' ? p : {};
  } catch (err) {
    if (isRefusedAddress(err)) throw new ValidationError(NOT_PUBLIC_HOST);
    if (err instanceof ProviderError && !err.retryable) {
      throw new UnauthorizedError('The portal did not accept the installation credentials');
    }
    if (err instanceof ProviderError) {
      throw new AppError('upstream_unavailable', 'The portal did not answer; try again in a minute', 503);
    }
    throw err;
  }
}
