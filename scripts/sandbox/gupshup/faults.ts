/**
 * Injected faults: HTTP-level answers of the send API (outage, rate limit, §1.2, §7) and failed
 * deliveries of the next messages (§3.4 failed events, §8 codes).
 */
import type { ServerResponse } from 'node:http';
import type { Failure } from './events.js';
import { respond } from './http.js';
import type { DeliveryFailure, SandboxState } from './state.js';
import type { DeliveryFailureSpec } from './types.js';
import { errorBody, type Json } from './util.js';

export function failNext(s: SandboxState, o: { times: number; status: number; body?: Json }): void {
  for (let i = 0; i < o.times; i++) {
    s.httpFaults.push(o.body ? { status: o.status, body: o.body } : { status: o.status });
  }
}

export function failNextDelivery(s: SandboxState, o: DeliveryFailureSpec): void {
  // Default stage: Gupshup codes (500, 1000–4999) fail Gupshup-side (sync shape); Meta codes
  // (470…, 13xxxx) fail WhatsApp-side (async shape). §3.4, §8.
  const gupshupCode = o.code === 500 || (o.code >= 1000 && o.code < 5000);
  const f: DeliveryFailure = {
    code: o.code,
    reason: o.reason,
    stage: o.stage ?? (gupshupCode ? 'sync' : 'async'),
  };
  if (o.destination !== undefined) f.destination = o.destination;
  s.deliveryFailures.push(f);
}

/** Answers the next injected HTTP fault, if there is one; true when it did. */
export function answerFault(s: SandboxState, res: ServerResponse, path: string): boolean {
  const fault = s.httpFaults.shift();
  if (!fault) return false;
  if (fault.body) respond(s, res, path, fault.status, fault.body);
  else if (fault.status === 429) respond(s, res, path, 429, errorBody('Too Many Requests'));
  else if (fault.status >= 500) {
    // Sandbox choice: an outage answers like a gateway would — HTML, not JSON.
    const html = `<html><body><h1>${fault.status} Service Unavailable</h1></body></html>`;
    respond(s, res, path, fault.status, html, 'text/html');
  } else respond(s, res, path, fault.status, errorBody('Error'));
  return true;
}

/** The first injected delivery failure for this destination, taken off the list. */
export function takeDeliveryFailure(s: SandboxState, destination: string): Failure | undefined {
  const idx = s.deliveryFailures.findIndex(
    (f) => f.destination === undefined || f.destination === destination,
  );
  if (idx < 0) return undefined;
  const [f] = s.deliveryFailures.splice(idx, 1);
  return { code: f!.code, reason: f!.reason, stage: f!.stage };
}
