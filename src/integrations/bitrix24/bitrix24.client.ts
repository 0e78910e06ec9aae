import { stringify } from 'qs';
import { z } from 'zod';
import type { Bitrix24Method } from '../catalog.js';
import { ProviderError } from '../../shared/errors.js';
import {
  parseJson,
  transportFailure,
  TransportError,
  type HttpClient,
} from '../../shared/http/http-client.js';
import { RateLimitedError, type Budget, type RateLimiter } from '../../shared/rate-limiter.js';

/**
 * Bitrix24 REST adapter (reference/bitrix24.md §1.5–§1.6, §3, §7).
 * Calls go to `{client_endpoint}{method}` as JSON with the token in `auth`. Errors arrive as
 * `{ error, error_description }` with an HTTP status; some methods also fail inside an HTTP 200
 * (`imconnector.register` → result.result:false, `send.messages` → per-element SUCCESS:false), which the
 * callers check. `expired_token` triggers one serialized refresh (see `TokenStore.refreshSerialized`).
 */

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  expiresAt: Date;
  clientEndpoint?: string | undefined;
  serverEndpoint?: string | undefined;
  /** Who Bitrix24's OAuth server says these tokens belong to (reference §1.6); absent on stored sets. */
  memberId?: string | undefined;
  userId?: number | undefined;
}

/** Where the portal's tokens live; the portals repository implements it. */
export interface TokenStore {
  getAccess(portalId: number): Promise<{ clientEndpoint: string; accessToken: string; budget: Budget }>;
  /**
   * Runs `refresh` with the current refresh token while holding the portal's row lock, unless another
   * caller already replaced `staleAccessToken`; returns the access token to retry with.
   */
  refreshSerialized(
    portalId: number,
    staleAccessToken: string,
    refresh: (refreshToken: string) => Promise<TokenSet>,
  ): Promise<string>;
}

const errorBody = z.object({ error: z.string(), error_description: z.string().optional() }).loose();
const tokenResponse = z
  .object({
    access_token: z.string().min(1),
    refresh_token: z.string().min(1),
    expires_in: z.coerce.number().optional(),
    expires: z.coerce.number().optional(),
    client_endpoint: z.string().optional(),
    server_endpoint: z.string().optional(),
    member_id: z.string().optional(),
    user_id: z.coerce.number().int().positive().optional().catch(undefined),
  })
  .loose();

export const RETRYABLE_CODES: ReadonlySet<string> = new Set([
  'QUERY_LIMIT_EXCEEDED',
  'OPERATION_TIME_LIMIT',
  'OVERLOAD_LIMIT',
  'INTERNAL_SERVER_ERROR',
  'ERROR_UNEXPECTED_ANSWER',
]);
const EXPIRED_CODES = new Set(['expired_token', 'invalid_token']);
const THROTTLE_CODES = new Set(['QUERY_LIMIT_EXCEEDED', 'OPERATION_TIME_LIMIT']);

/**
 * Our own bucket stops a fifth short of the portal's block level (40 of 50, 200 of 250): calls made
 * with a page's own token (install, frontend-auth checks) and other apps on the same egress IP are
 * not paced by it but fill the same portal bucket.
 */
export function localBudget(portal: Budget): Budget {
  return { perSec: portal.perSec, burst: Math.max(1, portal.burst - Math.ceil(portal.burst * 0.2)) };
}

export interface CallOptions {
  /** Work nobody is waiting on: it gives way to message delivery in the portal's rate budget. */
  background?: boolean;
}

/**
 * A call's parameters, or a function that builds them once the call has its slot in the rate budget:
 * work gathered while waiting for the slot goes out in the same call (the outbound read-back).
 */
export type CallParams = Record<string, unknown> | (() => Promise<Record<string, unknown>>);

export interface Bitrix24ClientOptions {
  oauthUrl: string;
  clientId: string;
  clientSecret: string;
  timeoutMs?: number;
  /** Shared per-portal pacing (reference §7); without it calls are not paced (unit tests). */
  limiter?: RateLimiter;
  /** Longest a call waits for a slot before giving the work back to the queue. */
  maxRateWaitMs?: number;
}

export class Bitrix24Client {
  constructor(
    private readonly http: HttpClient,
    private readonly tokens: TokenStore,
    private readonly opts: Bitrix24ClientOptions,
  ) {}

  /** Calls a method with the portal's stored tokens, refreshing once on `expired_token`. */
  async call<T = unknown>(
    portalId: number,
    method: Bitrix24Method,
    params: CallParams = {},
    opts: CallOptions = {},
  ): Promise<T> {
    const { clientEndpoint, accessToken, budget: full } = await this.tokens.getAccess(portalId);
    // Background work (chat assignment) only uses the lower half of the bucket: the rest stays for
    // delivering messages, so a wave of new customers delays assignments, not messages.
    const budget = opts.background
      ? { perSec: full.perSec, burst: Math.max(2, Math.floor(full.burst / 2)) }
      : full;
    const paced = (token: string) => this.#paced<T>(portalId, budget, clientEndpoint, token, method, params);
    try {
      return await paced(accessToken);
    } catch (err) {
      if (!(err instanceof ProviderError) || !EXPIRED_CODES.has(err.providerCode ?? '')) throw err;
      const fresh = await this.tokens.refreshSerialized(portalId, accessToken, (rt) => this.refresh(rt));
      return paced(fresh);
    }
  }

  async #paced<T>(
    portalId: number,
    budget: Budget,
    clientEndpoint: string,
    accessToken: string,
    method: Bitrix24Method,
    params: CallParams,
  ): Promise<T> {
    const limiter = this.opts.limiter;
    const built = () => (typeof params === 'function' ? params() : Promise.resolve(params));
    if (!limiter) return this.callWithToken<T>(clientEndpoint, accessToken, method, await built());
    const key = `b24:${portalId}`;
    try {
      await limiter.acquire(key, localBudget(budget), this.opts.maxRateWaitMs ?? 2_000);
    } catch (err) {
      if (!(err instanceof RateLimitedError)) throw err;
      throw new ProviderError('bitrix24', method, err.message, {
        providerCode: 'LOCAL_RATE_LIMIT',
        retryable: true,
        throttled: true,
        retryAfterMs: Math.ceil(err.waitMs),
      });
    }
    try {
      return await this.callWithToken<T>(clientEndpoint, accessToken, method, await built());
    } catch (err) {
      // The portal's bucket is fuller than ours thought (other callers share it): every instance waits.
      if (err instanceof ProviderError && err.providerCode === 'QUERY_LIMIT_EXCEEDED') {
        await limiter.fill(key, localBudget(budget)).catch(() => undefined);
      }
      throw err;
    }
  }

  /**
   * Calls made with a token before the portal was stored (the install's setup) count against its
   * rate budget too: the portal's bucket is Bitrix24's, whoever spent it.
   */
  async spentUnpaced(portalId: number, calls: number): Promise<void> {
    const limiter = this.opts.limiter;
    if (!limiter || calls <= 0) return;
    const { budget } = await this.tokens.getAccess(portalId);
    await limiter.spend(`b24:${portalId}`, calls, localBudget(budget));
  }

  /**
   * The portal's REST endpoint and a current access token, for downloads that authenticate with
   * `auth=` (operator files). Pass the token that was refused to get a refreshed one.
   */
  async access(portalId: number, refused?: string): Promise<{ clientEndpoint: string; accessToken: string }> {
    const a = await this.tokens.getAccess(portalId);
    if (refused === undefined || a.accessToken !== refused) return a;
    const fresh = await this.tokens.refreshSerialized(portalId, refused, (rt) => this.refresh(rt));
    return { clientEndpoint: a.clientEndpoint, accessToken: fresh };
  }

  /** `app.info` with the portal's stored tokens: answers only while the app is installed (§1.8, §6.2). */
  appInfo(portalId: number): Promise<unknown> {
    return this.call(portalId, 'app.info');
  }

  /** `profile` (scope basic) of the token's user: ID, ADMIN, NAME, LAST_NAME (reference §6). */
  async profile(clientEndpoint: string, accessToken: string): Promise<Record<string, unknown>> {
    const p = await this.callWithToken<unknown>(clientEndpoint, accessToken, 'profile');
    return p && typeof p === 'object' ? (p as Record<string, unknown>) : {};
  }

  /** The `CODE` of the application a token was issued to (`app.info`, reference §6.2). */
  async appCode(clientEndpoint: string, accessToken: string): Promise<string | undefined> {
    const a = await this.callWithToken<unknown>(clientEndpoint, accessToken, 'app.info');
    const code = a && typeof a === 'object' ? (a as { CODE?: unknown }).CODE : undefined;
    return typeof code === 'string' ? code : undefined;
  }

  /** One REST call with an explicit token (install page, frontend auth checks). */
  async callWithToken<T = unknown>(
    clientEndpoint: string,
    accessToken: string,
    method: Bitrix24Method,
    params: Record<string, unknown> = {},
  ): Promise<T> {
    const url = `${clientEndpoint.replace(/\/?$/, '/')}${method}`;
    let res;
    try {
      res = await this.http.send({
        method: 'POST',
        url,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ ...params, auth: accessToken }),
        timeoutMs: this.opts.timeoutMs ?? 30_000,
      });
    } catch (err) {
      if (err instanceof TransportError) {
        throw new ProviderError('bitrix24', method, err.message, transportFailure(err));
      }
      throw err;
    }
    const body = parseJson(res.text);
    const asError = errorBody.safeParse(body);
    if (res.status >= 400 || asError.success) {
      const code = asError.success ? asError.data.error : `HTTP_${res.status}`;
      const description = asError.success ? (asError.data.error_description ?? '') : res.text.slice(0, 200);
      throw new ProviderError(
        'bitrix24',
        method,
        `${method}: ${code}${description ? ` (${description})` : ''}`,
        {
          status: res.status,
          providerCode: code,
          retryable: RETRYABLE_CODES.has(code) || res.status >= 500 || res.status === 429,
          throttled: THROTTLE_CODES.has(code),
          authFailure: res.status === 401 && !EXPIRED_CODES.has(code),
          retryAfterMs:
            code === 'QUERY_LIMIT_EXCEEDED' ? 1_000 : code === 'OPERATION_TIME_LIMIT' ? 10_000 : undefined,
        },
      );
    }
    if (!body || typeof body !== 'object' || !('result' in body)) {
      throw new ProviderError('bitrix24', method, `${method}: answer without result`, {
        status: res.status,
        providerCode: 'BAD_ANSWER',
        retryable: true,
      });
    }
    return (body as { result: T }).result;
  }

  /**
   * Exchanges a refresh token (reference §1.6). POSTed form-encoded, as the official SDK does, so the
   * client secret never sits in a URL. Each answer carries a NEW refresh token; the old one is dead.
   */
  async refresh(refreshToken: string): Promise<TokenSet> {
    let res;
    try {
      res = await this.http.send({
        method: 'POST',
        url: `${this.opts.oauthUrl}/oauth/token/`,
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: stringify({
          grant_type: 'refresh_token',
          client_id: this.opts.clientId,
          client_secret: this.opts.clientSecret,
          refresh_token: refreshToken,
        }),
        timeoutMs: this.opts.timeoutMs ?? 30_000,
      });
    } catch (err) {
      if (err instanceof TransportError) {
        throw new ProviderError('bitrix24', 'oauth.refresh', err.message, transportFailure(err));
      }
      throw err;
    }
    const body = parseJson(res.text);
    const ok = tokenResponse.safeParse(body);
    if (res.status >= 400 || !ok.success) {
      const e = errorBody.safeParse(body);
      const code = e.success ? e.data.error : `HTTP_${res.status}`;
      throw new ProviderError('bitrix24', 'oauth.refresh', `token refresh failed: ${code}`, {
        status: res.status,
        providerCode: code,
        retryable: res.status >= 500,
        authFailure: res.status < 500,
      });
    }
    const t = ok.data;
    const expiresAt = t.expires
      ? new Date(t.expires * 1000)
      : new Date(Date.now() + (t.expires_in ?? 3600) * 1000);
    return {
      accessToken: t.access_token,
      refreshToken: t.refresh_token,
      expiresAt,
      clientEndpoint: t.client_endpoint,
      serverEndpoint: t.server_endpoint,
      memberId: t.member_id,
      userId: t.user_id,
    };
  }
}
