/** batch (§6.4): up to 50 string commands, `$result[key]…` references, `halt`, one request for §7. */
import qs from 'qs';
import { QS_OPTS } from './http.js';
import { takeFault, timeBlock } from './limits.js';
import { RestError, type Ctx, type Params, type Res } from './model.js';
import type { PortalState } from './state.js';
import { isObj, methodName, phpArray, phpEmpty, str, upperTop } from './util.js';

const BATCH_MAX = 50; // §6.4

export type Method = (s: PortalState, c: Ctx) => Res;

/** The batch's result lists, keyed by command as PHP arrays are. */
interface Collected {
  results: Map<string, unknown>;
  result: Array<[string, unknown]>;
  errors: Array<[string, unknown]>;
  totals: Array<[string, unknown]>;
  nexts: Array<[string, unknown]>;
  times: Array<[string, unknown]>;
}

export function mBatch(s: PortalState, c: Ctx, methods: Record<string, Method>): Res {
  if (c.inBatch) {
    throw new RestError(405, 'ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage');
  }
  const cmdRaw = c.p['CMD'];
  const entries: Array<[string, unknown]> = Array.isArray(cmdRaw)
    ? cmdRaw.map((v, i) => [String(i), v])
    : isObj(cmdRaw)
      ? Object.entries(cmdRaw)
      : [];
  if (entries.length > BATCH_MAX) {
    throw new RestError(400, 'ERROR_BATCH_LENGTH_EXCEEDED', 'Max batch length exceeded');
  }
  const halt = !phpEmpty(c.p['HALT']);
  const out: Collected = { results: new Map(), result: [], errors: [], totals: [], nexts: [], times: [] };
  for (const [key, value] of entries) {
    try {
      runCommand(s, c, methods, out, key, str(value));
    } catch (e) {
      if (!(e instanceof RestError)) throw e;
      out.errors.push([key, { error: e.code, error_description: e.description }]);
      if (halt) break;
    }
  }
  return {
    result: {
      result: phpArray(out.result),
      result_error: phpArray(out.errors),
      result_total: phpArray(out.totals),
      result_next: phpArray(out.nexts),
      result_time: phpArray(out.times),
    },
  };
}

/** One command `method?query` of the batch, run as the batch's user; its results go into `out`. */
function runCommand(
  s: PortalState,
  c: Ctx,
  methods: Record<string, Method>,
  out: Collected,
  key: string,
  value: string,
): void {
  const started = Date.now();
  const cmd = substituteResults(value, out.results);
  const q = cmd.indexOf('?');
  const method = methodName(q >= 0 ? cmd.slice(0, q) : cmd);
  const subParams = qs.parse(q >= 0 ? cmd.slice(q + 1) : '', QS_OPTS) as Params;
  if (method === 'batch') {
    throw new RestError(405, 'ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage');
  }
  const fault = takeFault(s, method, false);
  if (fault) throw new RestError(fault.status, fault.error, fault.description);
  const fn = methods[method];
  if (!fn) throw new RestError(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!');
  const r = fn(s, {
    p: upperTop(subParams),
    user: c.user,
    inBatch: true,
    ...(c.appCode ? { appCode: c.appCode } : {}),
  });
  out.results.set(key, r.result);
  out.result.push([key, r.result]);
  if (r.total !== undefined) out.totals.push([key, r.total]);
  if (r.next !== undefined) out.nexts.push([key, r.next]);
  out.times.push([key, timeBlock(s, method, started)]);
}

/** `$result[key][field]…` references to earlier sub-call results (§6.4). */
function substituteResults(cmd: string, results: Map<string, unknown>): string {
  return cmd.replace(/\$result\[([^\]]*)\]((?:\[[^\]]*\])*)/g, (whole, key: string, path: string) => {
    if (!results.has(key)) return whole;
    let v: unknown = results.get(key);
    for (const m of path.matchAll(/\[([^\]]*)\]/g)) {
      const k = m[1] ?? '';
      v = Array.isArray(v) ? v[Number(k)] : isObj(v) ? v[k] : undefined;
    }
    if (v === undefined || v === null || typeof v === 'object') return '';
    return encodeURIComponent(str(v));
  });
}
