/**
 * REST limits (§7) and injected faults: the leaky bucket per portal, the `time` block with its
 * `operating` sum, faults for the next calls of a method (`failNext`), a full outage, and elements of
 * `imconnector.send.messages` refused inside an HTTP 200 (§3.7).
 */
import type { Fault } from './model.js';
import type { PortalState } from './state.js';
import { isoSeconds, methodName } from './util.js';

export const DEFAULT_DESCRIPTIONS: Record<string, string> = {
  QUERY_LIMIT_EXCEEDED: 'Too many requests',
  OPERATION_TIME_LIMIT: 'Method is blocked due to operation time limit.',
  OVERLOAD_LIMIT: 'REST API is blocked due to overload.',
  INTERNAL_SERVER_ERROR: 'Internal server error',
  ERROR_UNEXPECTED_ANSWER: 'Server returned an unexpected response.',
  PORTAL_DELETED: 'Portal was deleted',
  expired_token: 'The access token provided has expired.',
  invalid_token: 'The access token provided is invalid.',
  NO_AUTH_FOUND: 'Wrong authorization data',
  ACCESS_DENIED: 'Access denied!',
};

/** §7 leaky bucket: false (and nothing added) when it is full. */
export function takeRateSlot(s: PortalState): boolean {
  if (!s.rate) return true;
  const now = Date.now();
  s.bucket = Math.max(0, s.bucket - ((now - s.bucketAt) / 1000) * s.rate.drainPerSec);
  s.bucketAt = now;
  if (s.bucket + 1 > s.rate.burst) return false;
  s.bucket += 1;
  return true;
}

/** `time` block of every successful response (§1.5, §7). */
export function timeBlock(s: PortalState, method: string, startMs: number): Record<string, unknown> {
  const finish = Date.now();
  const processing = Math.max(0.0001, (finish - startMs) / 1000);
  const nowSec = Math.floor(finish / 1000);
  let op = s.operating.get(method);
  if (!op || nowSec - op.windowStart >= 600) {
    op = { windowStart: nowSec, sum: 0 };
    s.operating.set(method, op);
  }
  op.sum += processing;
  return {
    start: startMs / 1000,
    finish: finish / 1000,
    duration: processing,
    processing,
    date_start: isoSeconds(startMs),
    date_finish: isoSeconds(finish),
    operating_reset_at: op.windowStart + 600,
    operating: Math.round(op.sum * 1e6) / 1e6,
  };
}

export function takeFault(s: PortalState, method: string, allowWildcard: boolean): Fault | null {
  const i = s.faults.findIndex((f) => f.method === method || (allowWildcard && f.method === '*'));
  if (i < 0) return null;
  const f = s.faults[i];
  if (!f) return null;
  f.remaining -= 1;
  if (f.remaining <= 0) s.faults.splice(i, 1);
  return f;
}

/** The outage still running, if any (an ended one is cleared). */
export function currentOutage(s: PortalState): { status: number; error: string; description: string } | null {
  if (!s.outageState) return null;
  if (Date.now() < s.outageState.until) {
    const o = s.outageState;
    return { status: o.status, error: o.error, description: DEFAULT_DESCRIPTIONS[o.error] ?? o.error };
  }
  s.outageState = null;
  return null;
}

/** The error of the next element refused inside an HTTP 200 (§3.7), if one is due. */
export function takeElementRefusal(s: PortalState): string | undefined {
  const refusal = s.elementRefusals[0];
  if (!refusal) return undefined;
  refusal.remaining -= 1;
  if (refusal.remaining <= 0) s.elementRefusals.shift();
  return refusal.error;
}

export function failNext(
  s: PortalState,
  o: { method: string; times: number; status: number; error: string; description?: string },
): void {
  if (o.times <= 0) return;
  s.faults.push({
    method: o.method === '*' ? '*' : o.method === 'oauth/token' ? o.method : methodName(o.method),
    remaining: o.times,
    status: o.status,
    error: o.error,
    description: o.description ?? DEFAULT_DESCRIPTIONS[o.error] ?? o.error,
  });
}

/** The next `count` elements of `imconnector.send.messages` fail with `error`, the call itself is 200. */
export function refuseNextElements(s: PortalState, o: { count: number; error?: string }): void {
  if (o.count > 0) {
    s.elementRefusals.push({ remaining: o.count, error: o.error ?? 'CONNECTOR_PROXY_NO_ADD_USER' });
  }
}

export function outage(s: PortalState, o: { ms: number; status?: number; error?: string }): void {
  s.outageState = {
    until: Date.now() + o.ms,
    status: o.status ?? 503,
    error: o.error ?? 'QUERY_LIMIT_EXCEEDED',
  };
}

export function setRate(s: PortalState, r: { drainPerSec: number; burst: number } | null): void {
  s.rate = r ? { ...r } : null;
  s.bucket = 0;
  s.bucketAt = Date.now();
}
