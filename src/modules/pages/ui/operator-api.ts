import { fill } from './billing-format.js';
import { notice } from './dom.js';
import { T } from './page.js';

/**
 * The operator API (/api/v1/operator/…, OPERATOR_TOKEN) for the operator page. The token is typed
 * in the page and kept in this module's memory only: no cookie, no storage; a reload asks again.
 */
let token = '';
export const setOperatorToken = (t: string): void => {
  token = t;
};

export class OperatorError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/** `path` under /api/v1/operator; a refusal becomes an OperatorError with the server's message. */
export async function operatorCall<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { authorization: 'Bearer ' + token };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch('/api/v1/operator' + path, {
    method,
    headers,
    body: body === undefined ? null : JSON.stringify(body),
  });
  const data = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  if (res.status === 401) throw new OperatorError(T('op.badToken'), 401);
  if (!res.ok) throw new OperatorError(data?.error?.message ?? 'HTTP ' + res.status, res.status);
  return data as T;
}

export const operatorFailure = (key: 'op.failed' | 'op.loadFailed', e: unknown) =>
  notice('error', fill(T(key), { error: e instanceof Error ? e.message : String(e) }));
