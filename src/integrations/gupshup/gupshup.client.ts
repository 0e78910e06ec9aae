import { stringify } from 'qs';
import { z } from 'zod';
import { ProviderError } from '../../shared/errors.js';
import {
  parseJson,
  transportFailure,
  TransportError,
  type HttpClient,
} from '../../shared/http/http-client.js';

/**
 * Gupshup WhatsApp self-serve adapter (reference/gupshup.md §1, §7).
 * `POST /wa/api/v1/msg`, header `apikey`, form body with `message` as a JSON string. An accepted send
 * is 2xx + status≠"error" + a messageId (the body may come as text/html). The API has no idempotency
 * key, so a send whose answer we never saw is reported with `outcomeUnknown` and is NOT blindly retried
 * (docs/architecture.md, "Exactly once towards WhatsApp").
 */
export interface SendMessageInput {
  apiKey: string;
  appName: string;
  source: string;
  destination: string;
  message: Record<string, unknown>;
}

export class GupshupSendError extends ProviderError {
  constructor(
    operation: string,
    message: string,
    opts: ConstructorParameters<typeof ProviderError>[3],
    readonly outcomeUnknown = false,
  ) {
    super('gupshup', operation, message, opts);
  }
}

const accepted = z.object({ status: z.string().optional(), messageId: z.string().min(1) }).loose();
const errorBody = z.object({ message: z.string().optional(), status: z.string().optional() }).loose();

export class GupshupClient {
  constructor(
    private readonly http: HttpClient,
    private readonly apiUrl: string,
    private readonly timeoutMs = 20_000,
  ) {}

  async sendMessage(input: SendMessageInput): Promise<{ messageId: string }> {
    let res;
    try {
      res = await this.http.send({
        method: 'POST',
        url: `${this.apiUrl}/wa/api/v1/msg`,
        headers: {
          apikey: input.apiKey,
          'content-type': 'application/x-www-form-urlencoded',
          'cache-control': 'no-cache',
        },
        body: stringify({
          channel: 'whatsapp',
          source: input.source,
          destination: input.destination,
          'src.name': input.appName,
          message: JSON.stringify(input.message),
        }),
        timeoutMs: this.timeoutMs,
      });
    } catch (err) {
      if (err instanceof TransportError) {
        throw new GupshupSendError('msg', err.message, transportFailure(err), err.outcomeUnknown);
      }
      throw err;
    }
    const body = parseJson(res.text);
    const ok = accepted.safeParse(body);
    if (res.status >= 200 && res.status < 300 && ok.success && ok.data.status !== 'error') {
      return { messageId: ok.data.messageId };
    }
    if (res.status >= 200 && res.status < 300) {
      // A 2xx we cannot read may still be an accepted message: never guess, reconcile.
      throw new GupshupSendError(
        'msg',
        'Gupshup answered 2xx without a messageId',
        { retryable: true },
        true,
      );
    }
    const e = errorBody.safeParse(body);
    const reason = (e.success ? e.data.message : undefined) ?? `HTTP ${res.status}`;
    const retryAfter = Number(res.headers['retry-after']);
    throw new GupshupSendError('msg', `Gupshup refused the message: ${reason}`, {
      status: res.status,
      providerCode: String(res.status),
      retryable: res.status === 429 || res.status >= 500,
      throttled: res.status === 429,
      authFailure: res.status === 401,
      retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
    });
  }
}
