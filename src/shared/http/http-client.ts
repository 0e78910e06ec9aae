import { errors as undiciErrors, request, type Dispatcher } from 'undici';
import { isBlockedAddressError } from './ssrf-guard.js';

/**
 * The one door for outbound HTTP (Bitrix24, Gupshup). undici with an injected Dispatcher, a timeout on
 * every call, bodies read once. Callers get status + text and decide what an answer means; transport
 * failures come back as `TransportError`, which says whether the request may have reached the server.
 * The dispatcher is the SSRF-guarded Agent (composition root) unless private hosts are allowed.
 */
export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** `blocked_address`: the SSRF guard refused the host; nothing was sent and trying again cannot help. */
export type TransportCode = 'blocked_address';

export class TransportError extends Error {
  readonly code: TransportCode | undefined;
  constructor(
    message: string,
    /** True when the request may have been received (timeouts, resets after sending). */
    readonly outcomeUnknown: boolean,
    options?: ErrorOptions & { code?: TransportCode },
  ) {
    super(message, options);
    this.name = 'TransportError';
    this.code = options?.code;
  }
  /** False when the same request can never get through (a refused address). */
  get retryable(): boolean {
    return this.code !== 'blocked_address';
  }
}

/**
 * What adapters put on the ProviderError they make of a TransportError: a refused address is not
 * retried (the job dead-letters at once) and carries `blocked_address` for callers to answer 4xx.
 */
export function transportFailure(err: TransportError): { retryable: boolean; providerCode?: string } {
  return err.code ? { retryable: err.retryable, providerCode: err.code } : { retryable: err.retryable };
}

const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']);

export class HttpClient {
  constructor(private readonly dispatcher: Dispatcher | undefined = undefined) {}

  async send(req: HttpRequest): Promise<HttpResponse> {
    const timeout = req.timeoutMs ?? 15_000;
    try {
      const res = await request(req.url, {
        method: req.method,
        headers: req.headers ?? {},
        body: req.body ?? null,
        headersTimeout: timeout,
        bodyTimeout: timeout,
        ...(this.dispatcher ? { dispatcher: this.dispatcher } : {}),
      });
      const text = await res.body.text();
      return { status: res.statusCode, headers: res.headers, text };
    } catch (err) {
      const host = new URL(req.url).host;
      if (isBlockedAddressError(err)) {
        throw new TransportError(`${req.method} ${host}: refused, not a public address`, false, {
          cause: err,
          code: 'blocked_address',
        });
      }
      const code = (err as { code?: string }).code ?? '';
      const causeCode = (err as { cause?: { code?: string } }).cause?.code ?? '';
      const notSent =
        NOT_SENT_CODES.has(code) ||
        NOT_SENT_CODES.has(causeCode) ||
        err instanceof undiciErrors.ConnectTimeoutError;
      throw new TransportError(
        `${req.method} ${host}: ${code || causeCode || (err as Error).message}`,
        !notSent,
        {
          cause: err,
        },
      );
    }
  }
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
