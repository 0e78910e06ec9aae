/** Apps and their API keys: registering them, their callback URL, and the APIs a key alone opens. */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { deliver } from './callbacks.js';
import { apiKeyOf, respond } from './http.js';
import type { SandboxState } from './state.js';
import type { SandboxApp, SandboxGupshup } from './types.js';
import { errorBody, type Json } from './util.js';

export function addApp(s: SandboxState, o: Parameters<SandboxGupshup['addApp']>[0]): SandboxApp {
  const app: SandboxApp = {
    appName: o.appName,
    appId: o.appId ?? randomUUID(),
    apiKey: o.apiKey,
    sourceNumber: o.sourceNumber,
    callbackUrl: o.callbackUrl ?? null,
    walletEmpty: false,
  };
  s.apps.set(app.appName, app);
  return app;
}

/** §3.5: `sandbox-start` with phone "callbackSetPhone" when a callback URL is set. */
export function setCallbackUrl(s: SandboxState, appName: string, url: string): void {
  const app = s.requireApp(appName);
  app.callbackUrl = url;
  const body: Json = {
    app: appName,
    timestamp: Date.now(),
    version: 2,
    type: 'user-event',
    payload: { phone: 'callbackSetPhone', type: 'sandbox-start' },
  };
  void s.track(() => deliver(s, appName, body));
}

/** §5.2 legacy wallet: only needs the app's `apikey`. (Templates, §4.1: template-api.ts.) */
export function handleWallet(s: SandboxState, req: IncomingMessage, res: ServerResponse, path: string): void {
  const app = s.appByKey(apiKeyOf(req));
  if (!app) return respond(s, res, path, 401, errorBody('Authentication Failed'));
  // Sandbox choice: every app has 25.5 credits unless its wallet was emptied.
  return respond(s, res, path, 200, { balance: app.walletEmpty ? 0 : 25.5, status: 'success' });
}
