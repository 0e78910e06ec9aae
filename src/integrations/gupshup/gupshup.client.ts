import { stringify } from 'qs';
import { z } from 'zod';
import { ProviderError } from '../../shared/errors.js';
import {
  parseJson,
  transportFailure,
  TransportError,
  type HttpClient,
  type HttpResponse,
} from '../../shared/http/http-client.js';

/**
 * Gupshup WhatsApp self-serve adapter (reference/gupshup.md §1, §2.1, §7).
 * `POST /wa/api/v1/msg` (session messages) and `POST /wa/api/v1/template/msg` (templates), header
 * `apikey`, form bodies with the JSON fields as strings. An accepted send
 * is 2xx + status≠"error" + a messageId (the body may come as text/html). The API has no idempotency
 * key, so a send whose answer we never saw is reported with `outcomeUnknown` and is NOT blindly retried
 * (docs/architecture.md, "Exactly once towards WhatsApp").
 */
interface SendTarget {
  apiKey: string;
  appName: string;
  source: string;
  destination: string;
}

export interface SendMessageInput extends SendTarget {
  message: Record<string, unknown>;
}

export interface SendTemplateInput extends SendTarget {
  template: { id: string; params: string[] };
  /** The media header of an image, video or document template (§2.1 `message`). */
  message?: Record<string, unknown> | undefined;
  /** Payloads echoed back when a quick-reply button (0-based index) is tapped. */
  postbackTexts?: Array<{ index: number; text: string }> | undefined;
}

type GupshupSendPath = '/wa/api/v1/msg' | '/wa/api/v1/template/msg';

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

  /** A session message (§1): `message` is the JSON of §1.1. */
  sendMessage(input: SendMessageInput): Promise<{ messageId: string }> {
    return this.#send('msg', '/wa/api/v1/msg', input, { message: JSON.stringify(input.message) });
  }

  /**
   * A template message (§2.1): `template` is `{"id","params"}` (Gupshup's template id, the values of
   * {{1}}…{{n}} in order), `message` the media header of an image, video or document template. Same
   * answers and the same unknown-outcome rule as `sendMessage`; allowed outside the 24-hour window.
   */
  sendTemplate(input: SendTemplateInput): Promise<{ messageId: string }> {
    return this.#send('template/msg', '/wa/api/v1/template/msg', input, {
      template: JSON.stringify(input.template),
      ...(input.message ? { message: JSON.stringify(input.message) } : {}),
      ...(input.postbackTexts?.length ? { postbackTexts: JSON.stringify(input.postbackTexts) } : {}),
    });
  }

  async #send(
    operation: string,
    path: GupshupSendPath,
    input: SendTarget,
    fields: Record<string, string>,
  ): Promise<{ messageId: string }> {
    let res;
    try {
      res = await this.http.send({
        method: 'POST',
        url: `${this.apiUrl}${path}`,
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
          ...fields,
        }),
        timeoutMs: this.timeoutMs,
      });
    } catch (err) {
      if (err instanceof TransportError) {
        throw new GupshupSendError(operation, err.message, transportFailure(err), err.outcomeUnknown);
      }
      throw err;
    }
    return answered(operation, res);
  }
}

/** Gupshup's answer to a send: its message id, or the error that says whether the message was taken. */
function answered(operation: string, res: HttpResponse): { messageId: string } {
  const body = parseJson(res.text);
  const ok = accepted.safeParse(body);
  if (res.status >= 200 && res.status < 300 && ok.success && ok.data.status !== 'error') {
    return { messageId: ok.data.messageId };
  }
  if (res.status >= 200 && res.status < 300) {
    // A 2xx we cannot read may still be an accepted message: never guess, reconcile.
    throw new GupshupSendError(
      operation,
      'Gupshup answered 2xx without a messageId',
      { retryable: true },
      true,
    );
  }
  const e = errorBody.safeParse(body);
  const reason = (e.success ? e.data.message : undefined) ?? `HTTP ${res.status}`;
  const retryAfter = Number(res.headers['retry-after']);
  throw new GupshupSendError(operation, `Gupshup refused the message: ${reason}`, {
    status: res.status,
    providerCode: String(res.status),
    retryable: res.status === 429 || res.status >= 500,
    throttled: res.status === 429,
    authFailure: res.status === 401,
    retryAfterMs: Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined,
  });
}
