/**
 * The OAuth server (§1.6) and the portal's tokens: the refresh grant at /oauth/token/, access tokens
 * for REST (§1.5), iframe pages (§1.2) and event `auth` blocks (§2.2).
 *
 * Every cloud portal shares one OAuth server (oauth.bitrix.info): a portal started with
 * `oauthServer` gives its refresh tokens to that portal's server, which exchanges them as its own
 * (its `oauthPeers`).
 */
import { RestError, type Params, type PortalUser } from './model.js';
import { takeFault } from './limits.js';
import type { PortalState } from './state.js';
import { defaultAdmin, userById } from './users.js';
import { hex, str } from './util.js';

export const APP_SCOPE =
  'imopenlines,imconnector,im,placement,user_brief,crm,department,bizproc,messageservice';

type OAuthAnswer = { status: number; body: unknown };

/** An OAuth server error (§1.6): `{ error, error_description }`. */
function oauthError(status: number, error: string, error_description: string): OAuthAnswer {
  return { status, body: { error, error_description } };
}

/** GET|POST /oauth/token/ (§1.6): only the refresh grant. */
export function oauthToken(s: PortalState, p: Params): OAuthAnswer {
  const fault = takeFault(s, 'oauth/token', false);
  if (fault) {
    return { status: fault.status, body: { error: fault.error, error_description: fault.description } };
  }
  const grant = str(p['grant_type']);
  if (!grant) return oauthError(400, 'invalid_request', 'grant_type is required');
  if (str(p['client_id']) !== s.opts.clientId || str(p['client_secret']) !== s.opts.clientSecret) {
    return oauthError(401, 'invalid_client', 'Invalid client credentials');
  }
  if (grant !== 'refresh_token') return oauthError(400, 'invalid_request', `Unsupported grant_type ${grant}`);
  const rt = str(p['refresh_token']);
  for (const portal of [s, ...s.oauthPeers]) {
    const r = exchangeRefresh(portal, rt, s.oauthUrl);
    if (r) return r;
  }
  return oauthError(400, 'invalid_grant', 'Invalid grant');
}

/** The refresh grant for one of this portal's refresh tokens; undefined when it is not one of ours. */
function exchangeRefresh(s: PortalState, rt: string, oauthUrl: string): OAuthAnswer | undefined {
  const info = rt ? s.refreshTokens.get(rt) : undefined;
  if (!info) return undefined;
  if (!info.valid || !s.installed) return oauthError(400, 'invalid_grant', 'Invalid grant');
  // each refresh returns a NEW refresh token; the old one is dead from now on (§1.6)
  info.valid = false;
  const t = newTokens(s, info.userId);
  s.refreshes += 1;
  s.log(`oauth: refresh for user ${info.userId}`);
  return {
    status: 200,
    body: {
      access_token: t.accessToken,
      expires: Math.floor(t.expiresAt / 1000),
      expires_in: s.ttlSec,
      scope: APP_SCOPE,
      domain: new URL(oauthUrl).host, // the OAuth server's host, not the portal (§1.6)
      server_endpoint: `${oauthUrl}/rest/`,
      status: 'L',
      client_endpoint: `${s.url}/rest/`,
      member_id: s.memberId,
      user_id: info.userId,
      refresh_token: t.refreshToken,
    },
  };
}

export function newTokens(
  s: PortalState,
  userId: number,
): { accessToken: string; refreshToken: string; expiresAt: number } {
  const accessToken = hex(16);
  const refreshToken = hex(16);
  const expiresAt = Date.now() + s.ttlSec * 1000;
  s.accessTokens.set(accessToken, { userId, expiresAt, forcedExpired: false, revoked: false });
  s.refreshTokens.set(refreshToken, { userId, valid: true });
  return { accessToken, refreshToken, expiresAt };
}

/** Token of `userId` put into event `auth` blocks (§2.2); reused while valid. */
export function eventAccessToken(s: PortalState, userId: number): { token: string; expiresAt: number } {
  const cached = s.eventTokens.get(userId);
  const info = cached ? s.accessTokens.get(cached) : undefined;
  if (cached && info && !info.revoked && !info.forcedExpired && info.expiresAt > Date.now() + 60_000) {
    return { token: cached, expiresAt: info.expiresAt };
  }
  const token = hex(16);
  const expiresAt = Date.now() + s.ttlSec * 1000;
  s.accessTokens.set(token, { userId, expiresAt, forcedExpired: false, revoked: false });
  s.eventTokens.set(userId, token);
  return { token, expiresAt };
}

export function revokeAll(s: PortalState): void {
  for (const t of s.accessTokens.values()) t.revoked = true;
  for (const r of s.refreshTokens.values()) r.valid = false;
  s.eventTokens.clear();
}

export function issueTokens(
  s: PortalState,
  o?: { userId?: number; appCode?: string },
): { accessToken: string; refreshToken: string; expiresIn: number } {
  const userId = o?.userId ?? defaultAdmin(s).ID;
  userById(s, userId);
  if (!s.installed) throw new Error('sandbox portal: the app is not installed');
  const t = newTokens(s, userId);
  const info = s.accessTokens.get(t.accessToken);
  if (info && o?.appCode) info.appCode = o.appCode;
  return { accessToken: t.accessToken, refreshToken: t.refreshToken, expiresIn: s.ttlSec };
}

export function expireAccessTokens(s: PortalState): void {
  for (const t of s.accessTokens.values()) t.forcedExpired = true;
  s.eventTokens.clear();
}

/** The user of a REST call's `auth` token (§1.5), or the 401 REST error. */
export function authenticate(s: PortalState, auth: unknown): PortalUser {
  const token = typeof auth === 'string' ? auth : '';
  const info = token ? s.accessTokens.get(token) : undefined;
  if (!info || info.revoked) throw new RestError(401, 'NO_AUTH_FOUND', 'Wrong authorization data');
  if (info.forcedExpired || info.expiresAt <= Date.now()) {
    throw new RestError(401, 'expired_token', 'The access token provided has expired.');
  }
  const user = s.users.find((u) => u.ID === info.userId);
  if (!user) throw new RestError(401, 'NO_AUTH_FOUND', 'Wrong authorization data');
  return user;
}
