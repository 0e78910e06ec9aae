import { z } from 'zod';
import { ProviderError } from '../../shared/errors.js';
import {
  parseJson,
  transportFailure,
  TransportError,
  type HttpClient,
} from '../../shared/http/http-client.js';

/**
 * What an API key can tell about a Gupshup app (reference gupshup.md §0, §4.1, §5).
 * - Key check: the self-serve template list `GET /wa/app/{appId}/template` with `apikey` answers
 *   `{"status":"success","templates":[…]}` for a valid key of that app and 401 otherwise.
 * - Wallet: only the legacy `GET /sm/api/v2/wallet/balance` takes an API key (§5.2); it may be gone,
 *   so "not available" is a normal answer. Tier and phone quality need a partner token (§5.3): with an
 *   API key they are not available, and the pages say so.
 * - Live/Sandbox: a sandbox app sends from Gupshup's proxy number (§0).
 */
export const GUPSHUP_SANDBOX_NUMBER = '917834811114';

const templatesAnswer = z.object({ status: z.string(), templates: z.array(z.unknown()).optional() }).loose();
const walletAnswer = z.object({ status: z.string(), balance: z.coerce.number() }).loose();

export type KeyCheck = { ok: true; templates: number } | { ok: false; reason: 'rejected' | 'unknown_app' };

export class GupshupAppsClient {
  constructor(
    private readonly http: HttpClient,
    private readonly apiUrl: string,
    private readonly timeoutMs = 10_000,
  ) {}

  async #get(op: string, path: string, apiKey: string) {
    try {
      return await this.http.send({
        method: 'GET',
        url: `${this.apiUrl}${path}`,
        headers: { apikey: apiKey, accept: 'application/json' },
        timeoutMs: this.timeoutMs,
      });
    } catch (err) {
      if (err instanceof TransportError) {
        throw new ProviderError('gupshup', op, `Gupshup unreachable: ${err.message}`, transportFailure(err));
      }
      throw err;
    }
  }

  /** Checks an API key against the app it should belong to. Throws ProviderError when Gupshup is down. */
  async checkKey(appId: string, apiKey: string): Promise<KeyCheck> {
    const res = await this.#get('template.list', `/wa/app/${encodeURIComponent(appId)}/template`, apiKey);
    const body = templatesAnswer.safeParse(parseJson(res.text));
    if (res.status === 200 && body.success && body.data.status === 'success') {
      return { ok: true, templates: body.data.templates?.length ?? 0 };
    }
    if (res.status === 401 || res.status === 403) return { ok: false, reason: 'rejected' };
    if (res.status === 400 || res.status === 404) return { ok: false, reason: 'unknown_app' };
    throw new ProviderError('gupshup', 'template.list', `Gupshup answered HTTP ${res.status}`, {
      status: res.status,
      providerCode: String(res.status),
      retryable: res.status >= 500 || res.status === 429,
    });
  }

  /** Wallet balance in USD credits, or null when Gupshup does not give it for an API key. */
  async wallet(apiKey: string): Promise<number | null> {
    try {
      const res = await this.#get('wallet.balance', '/sm/api/v2/wallet/balance', apiKey);
      const body = walletAnswer.safeParse(parseJson(res.text));
      return res.status === 200 && body.success && body.data.status === 'success' ? body.data.balance : null;
    } catch (err) {
      if (err instanceof ProviderError) return null;
      throw err;
    }
  }
}
