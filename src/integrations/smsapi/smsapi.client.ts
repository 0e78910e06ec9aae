/**
 * SMSAPI (reference payments-and-sms.md §4) over our HttpClient (undici), not the official `smsapi`
 * package: that client calls the global `fetch` with no time-out or abort signal (a hung SMSAPI would
 * hold a job forever), trims the message (so what we counted is not what is sent), has no
 * `check_idx`/error-code typing, and would bypass the one door for outbound HTTP
 * (shared/http/http-client.ts: dispatcher, transport errors that say whether the request went out).
 * What we need is three calls, so this is the "~40-line own wrapper" §4.7 allows.
 *
 * Errors come back with HTTP 200 and `error` in the body (§4.3): they are SmsapiError with the code.
 * 101/102 (authorization) and 103 (points) are not retryable; 53 (duplicate `idx` with `check_idx`)
 * is flagged `duplicate` — the message went out earlier, the caller records it as sent. HTTP 5xx/429,
 * network faults and time-outs are retryable: with `check_idx=1` a repeat cannot send twice.
 * The token and the message text never go into an error or a log line.
 */
import type { z } from 'zod';
import { ProviderError } from '../../shared/errors.js';
import { HttpClient, parseJson, TransportError } from '../../shared/http/http-client.js';
import { parseDeliveryReports, type DeliveryReport } from './smsapi.reports.js';
import { errorBody, profileBody, senderNamesBody, sendBody } from './smsapi.shapes.js';

export { parseDeliveryReports, SmsapiReportError, type DeliveryReport } from './smsapi.reports.js';

/** Default SMSAPI host for smsapi.pl accounts (§4.1; config SMSAPI_BASE_URL). */
export const SMSAPI_DEFAULT_BASE_URL = 'https://api.smsapi.pl';

export interface SmsapiSendRequest {
  /** Digits with the country code, no `+` (§4.2). */
  to: string;
  message: string;
  from: string;
  /** Our id, echoed in the delivery report; sent with `check_idx=1` (§4.2). */
  idx: string;
  notifyUrl?: string | undefined;
  /** Validate and price, do not send (`test=1`). */
  test?: boolean | undefined;
  /** SMSAPI's own accent stripping (`normalize=1`). */
  normalize?: boolean | undefined;
  /** Refuse (error 12) above this many parts; SMSAPI allows at most 6. */
  maxParts?: number | undefined;
  timeoutMs: number;
}

export interface SmsapiSent {
  id: string;
  points: number;
  parts: number;
  /** SMSAPI's status at submit, usually QUEUE. */
  status: string;
}

export interface SmsapiInvalidNumber {
  number: string | null;
  message: string | null;
  code: number | null;
}

const AUTH_CODES = new Set([101, 102]);
const POINTS_CODE = 103;
const DUPLICATE_IDX = 53;

/** A refusal or failure of SMSAPI; `code` is SMSAPI's error number when it gave one. */
export class SmsapiError extends ProviderError {
  readonly code: number | null;
  readonly invalidNumbers: SmsapiInvalidNumber[] | undefined;
  /** Error 53: this `idx` was sent within 24 h — treat as already sent. */
  readonly duplicate: boolean;

  constructor(
    operation: string,
    message: string,
    o: { code: number | null; retryable: boolean; status?: number; invalidNumbers?: SmsapiInvalidNumber[] },
  ) {
    super('smsapi', operation, message, {
      status: o.status,
      providerCode: o.code === null ? undefined : String(o.code),
      retryable: o.retryable,
      authFailure: (o.code !== null && AUTH_CODES.has(o.code)) || o.status === 401 || o.status === 403,
    });
    this.name = 'SmsapiError';
    this.code = o.code;
    this.invalidNumbers = o.invalidNumbers;
    this.duplicate = o.code === DUPLICATE_IDX;
  }

  /** Not enough points on the SMSAPI account (103). */
  get noPoints(): boolean {
    return this.code === POINTS_CODE;
  }
}

export class SmsapiClient {
  readonly #base: string;
  readonly #http: HttpClient;

  constructor(o: { baseUrl: string; http?: HttpClient }) {
    this.#base = o.baseUrl.replace(/\/+$/, '');
    this.#http = o.http ?? new HttpClient();
  }

  async send(token: string, r: SmsapiSendRequest): Promise<SmsapiSent> {
    const form = new URLSearchParams({
      to: r.to,
      message: r.message,
      from: r.from,
      format: 'json',
      encoding: 'utf-8',
      details: '1',
      idx: r.idx,
      check_idx: '1',
    });
    if (r.notifyUrl) form.set('notify_url', r.notifyUrl);
    if (r.test) form.set('test', '1');
    if (r.normalize) form.set('normalize', '1');
    if (r.maxParts !== undefined) form.set('max_parts', String(r.maxParts));
    const body = await this.#call('sms.send', token, 'POST', '/sms.do', r.timeoutMs, form.toString());
    const ok = this.#shape('sms.send', sendBody, body);
    const first = ok.list[0]!;
    return {
      id: first.id,
      points: ok.list.reduce((sum, m) => sum + m.points, 0),
      parts: first.parts ?? ok.parts ?? 1,
      status: first.status,
    };
  }

  async profile(token: string, timeoutMs: number): Promise<{ points: number; paymentType: string | null }> {
    const body = await this.#call('profile', token, 'GET', '/profile', timeoutMs);
    const p = this.#shape('profile', profileBody, body);
    return { points: p.points ?? 0, paymentType: p.payment_type ?? null };
  }

  async senderNames(
    token: string,
    timeoutMs: number,
  ): Promise<Array<{ sender: string; status: string; isDefault: boolean }>> {
    const body = await this.#call('sendernames', token, 'GET', '/sms/sendernames', timeoutMs);
    return this.#shape('sendernames', senderNamesBody, body).collection.map((s) => ({
      sender: s.sender,
      status: s.status,
      isDefault: s.is_default ?? false,
    }));
  }

  /** The delivery-report callback's query or form body (§4.4); see smsapi.reports.ts. */
  parseDeliveryReports(input: unknown): DeliveryReport[] {
    return parseDeliveryReports(input);
  }

  async #call(
    op: string,
    token: string,
    method: 'GET' | 'POST',
    path: string,
    timeoutMs: number,
    form?: string,
  ): Promise<unknown> {
    let res;
    try {
      res = await this.#http.send({
        method,
        url: `${this.#base}${path}`,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(form !== undefined
            ? { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' }
            : {}),
        },
        ...(form !== undefined ? { body: form } : {}),
        timeoutMs,
      });
    } catch (err) {
      if (!(err instanceof TransportError)) throw err;
      throw new SmsapiError(op, `SMSAPI unreachable: ${err.message}`, {
        code: null,
        retryable: err.retryable,
      });
    }
    const json = parseJson(res.text);
    const refused = errorBody.safeParse(json);
    if (refused.success) throw this.#refusal(op, refused.data, res.status);
    // Legacy plain-text refusal (§4.3), should `format=json` ever be ignored.
    const legacy = /^ERROR:(\d+)/.exec(res.text.trim());
    if (legacy) throw this.#refusal(op, { error: Number(legacy[1]), message: '' }, res.status);
    if (res.status === 401 || res.status === 403) {
      throw new SmsapiError(op, `SMSAPI refused the token (HTTP ${res.status})`, {
        code: null,
        status: res.status,
        retryable: false,
      });
    }
    if (res.status < 200 || res.status >= 300) {
      throw new SmsapiError(op, `SMSAPI answered HTTP ${res.status}`, {
        code: null,
        status: res.status,
        retryable: res.status >= 500 || res.status === 429 || res.status === 408,
      });
    }
    return json;
  }

  #refusal(op: string, e: z.infer<typeof errorBody>, status: number): SmsapiError {
    const invalid = e.invalid_numbers?.map((n) => ({
      number: n.number ?? n.submitted_number ?? null,
      message: n.message ?? null,
      code: n.error_code ?? null,
    }));
    return new SmsapiError(op, `SMSAPI error ${e.error}${e.message ? `: ${e.message}` : ''}`, {
      code: e.error,
      status,
      // SMSAPI looked at the request and said no: the same request gets the same answer (unless
      // the refusal came with a server fault's status).
      retryable: status >= 500,
      ...(invalid ? { invalidNumbers: invalid } : {}),
    });
  }

  #shape<T extends z.ZodType>(op: string, schema: T, body: unknown): z.infer<T> {
    const r = schema.safeParse(body);
    if (r.success) return r.data;
    // A 2xx that is not SMSAPI's shape (a proxy page, a truncated body): the outcome is unknown, and
    // a repeat is safe with check_idx.
    throw new SmsapiError(op, 'SMSAPI answered with an unexpected body', { code: null, retryable: true });
  }
}
