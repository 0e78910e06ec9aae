/**
 * Callbacks to the app (§3.1): one POST per attempt, a 10 s answer limit, retries on non-2xx.
 * Every attempt is recorded in `callbacks()` before it is made.
 */
import { request } from 'undici';
import type { SandboxState } from './state.js';
import type { CallbackRecord } from './types.js';
import { isObj, type Json } from './util.js';

const CALLBACK_TIMEOUT_MS = 10_000; // §3.1: no 2xx within 10 s ⇒ failed, retried
const USER_AGENT = 'Gupshup-Sandbox/1.0 (WhatsAppB24 tests)'; // §3.1: callbacks carry a User-Agent (value undocumented)

export const ok2xx = (s: number | null): boolean => s !== null && s >= 200 && s < 300;

export async function postOnce(
  s: SandboxState,
  appName: string,
  url: string,
  body: Json,
  attempt: number,
): Promise<number | null> {
  const rec: CallbackRecord = { appName, url, body, status: null, attempt, at: Date.now() };
  s.callbackLog.push(rec);
  try {
    const res = await request(url, {
      dispatcher: s.agent,
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': USER_AGENT },
      body: JSON.stringify(body),
      headersTimeout: CALLBACK_TIMEOUT_MS,
      bodyTimeout: CALLBACK_TIMEOUT_MS,
    });
    await res.body.dump();
    rec.status = res.statusCode;
  } catch (err) {
    rec.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  }
  const p = isObj(body.payload) ? body.payload.type : undefined;
  s.log(
    `[gupshup] callback ${String(body.type)}/${String(p)} → ${rec.status ?? rec.error ?? '?'} (attempt ${attempt})`,
  );
  return rec.status;
}

/**
 * First POST of a callback; resolves after that attempt. On non-2xx / error, further attempts run in
 * the background (Gupshup retries "after a brief interval", §3.1 — schedule undocumented, §11.1).
 */
export async function deliver(s: SandboxState, appName: string, body: Json): Promise<void> {
  const url = s.apps.get(appName)?.callbackUrl;
  if (s.closed) return;
  if (!url) {
    s.log(`[gupshup] no callback URL for ${appName}; dropped ${String(body.type)}`);
    return;
  }
  const status = await postOnce(s, appName, url, body, 1);
  if (ok2xx(status) || s.retry.attempts <= 1 || s.closed) return;
  void s.track(async () => {
    for (let attempt = 2; attempt <= s.retry.attempts; attempt++) {
      if (!(await s.sleep(s.retry.delayMs))) return;
      const current = s.apps.get(appName)?.callbackUrl;
      if (!current) return;
      if (ok2xx(await postOnce(s, appName, current, body, attempt))) return;
    }
  });
}
