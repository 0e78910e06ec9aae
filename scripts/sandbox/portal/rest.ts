/**
 * REST (§1.5): one call of `/rest/{method}` — injected faults first (an outage, then failNext),
 * the §7 bucket, the caller's token, the method; `{result, next?, total?, time}` or
 * `{error, error_description}` with the HTTP status, and the call recorded for `calls()`.
 */
import { currentOutage, takeFault, takeRateSlot, timeBlock } from './limits.js';
import { METHODS } from './methods.js';
import { RestError, type CallRecord, type Params } from './model.js';
import { authenticate } from './oauth.js';
import type { PortalState } from './state.js';
import { methodName, upperTop } from './util.js';

function recordCall(
  s: PortalState,
  method: string,
  start: number,
  params: unknown,
  status: number,
  error?: string,
): void {
  const entry: CallRecord = { method, status, at: start, params };
  if (error !== undefined) entry.error = error;
  s.callLog.push(entry);
  const limit = s.opts.callLogLimit;
  if (limit !== undefined && s.callLog.length > limit) {
    s.callLog.splice(0, s.callLog.length - limit);
  }
  s.log(`REST ${method} → ${status}${error ? ` ${error}` : ''}`);
}

export function rest(s: PortalState, rawMethod: string, params: Params): { status: number; body: unknown } {
  const method = methodName(rawMethod);
  const start = Date.now();
  const fail = (e: RestError) => {
    recordCall(s, method, start, params, e.status, e.code);
    return { status: e.status, body: { error: e.code, error_description: e.description } };
  };

  // injected faults first: a full outage, then failNext (neither fills the bucket)
  const down = currentOutage(s);
  if (down) return fail(new RestError(down.status, down.error, down.description));
  const fault = takeFault(s, method, true);
  if (fault) return fail(new RestError(fault.status, fault.error, fault.description));

  // §7 leaky bucket per portal: refuse without adding when full → 503 QUERY_LIMIT_EXCEEDED
  if (!takeRateSlot(s)) return fail(new RestError(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests'));

  try {
    const user = authenticate(s, params['auth']);
    const fn = method ? METHODS[method] : undefined;
    if (!fn) throw new RestError(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!');
    const token = typeof params['auth'] === 'string' ? params['auth'] : '';
    const appCode = s.accessTokens.get(token)?.appCode;
    const r = fn(s, { p: upperTop(params), user, inBatch: false, ...(appCode ? { appCode } : {}) });
    recordCall(s, method, start, params, 200);
    const body: Record<string, unknown> = { result: r.result };
    if (r.next !== undefined) body['next'] = r.next;
    if (r.total !== undefined) body['total'] = r.total;
    body['time'] = timeBlock(s, method, start);
    return { status: 200, body };
  } catch (e) {
    if (e instanceof RestError) return fail(e);
    throw e;
  }
}
