/** The sandbox's public API: what tests, the stack and the bench use (re-exported by index.ts). */

export interface SandboxGupshupOptions {
  port?: number;
  host?: string; // default 0 / '127.0.0.1'
  /** Delay range before each message-event callback; default [20, 80] (real Gupshup ≈5 s, §3.1). */
  eventDelayMs?: [number, number];
  /** Probability 0..1 that a message-event/billing-event callback is posted twice; default 0. */
  duplicateEvents?: number;
  /** When true, a message's status events are delivered in shuffled order; default false. */
  reorderEvents?: boolean;
  /** Deterministic PRNG for delays/duplicates/shuffles; default 1. */
  seed?: number;
  /** Re-POST when the receiver answers non-2xx / times out (10 s); default { attempts: 3, delayMs: 200 }.
   *  `attempts` counts every POST including the first. */
  callbackRetry?: { attempts: number; delayMs: number };
  log?: (line: string) => void;
}

export interface SandboxApp {
  appName: string;
  appId: string;
  apiKey: string;
  sourceNumber: string;
  callbackUrl: string | null;
  walletEmpty: boolean;
}

export interface SentMessage {
  messageId: string;
  whatsappMessageId: string;
  appName: string;
  source: string;
  destination: string;
  message: Record<string, unknown>;
  at: number;
  /** For media messages by URL: what fetching the URL gave (set once the fetch is done). */
  media?: { url: string; status: number | null; bytes: number; contentType: string | null; error?: string };
}

export interface CallbackRecord {
  appName: string;
  url: string;
  body: Record<string, unknown>;
  status: number | null;
  error?: string;
  attempt: number;
  at: number;
}

export interface CustomerMessage {
  appName: string;
  from: string;
  name?: string;
  text?: string;
  type?: string;
  payload?: Record<string, unknown>;
  /** sandbox extension: the inbound `context` block (§3.3) for replies/quotes. */
  context?: Record<string, unknown>;
  times?: number;
  timestamp?: number;
}

export interface DeliveryFailureSpec {
  destination?: string;
  code: number;
  reason: string;
  stage?: 'sync' | 'async';
}

export type StatusType = 'enqueued' | 'sent' | 'delivered' | 'read';

export interface SandboxGupshup {
  readonly url: string;
  close(): Promise<void>;
  addApp(o: {
    appName: string;
    apiKey: string;
    sourceNumber: string;
    appId?: string;
    callbackUrl?: string;
  }): SandboxApp;
  setCallbackUrl(appName: string, url: string): void;
  sent(filter?: { appName?: string; destination?: string }): SentMessage[];
  requests(): Array<{ path: string; status: number; at: number }>;
  /** `type` matches the envelope type (`message-event`, `message`, …) or the payload type (`delivered`, `sandbox-start`, …). */
  callbacks(filter?: { appName?: string; type?: string }): CallbackRecord[];
  customerSends(o: CustomerMessage): Promise<{ id: string; statuses: Array<number | null> }>;
  failNextDelivery(o: DeliveryFailureSpec): void;
  setStatusFlow(flow: StatusType[]): void;
  failNext(o: { times: number; status: number; body?: Record<string, unknown> }): void;
  setWalletEmpty(appName: string, empty: boolean): void;
  /** Makes a FileManager link (an inbound media `url`) answer 404 from now on, as an expired one does. */
  expireMedia(url: string): void;
  /** GET/HEAD requests for FileManager links, with the status answered. */
  mediaRequests(): Array<{ path: string; status: number; at: number }>;
  settle(timeoutMs?: number): Promise<void>;
}
