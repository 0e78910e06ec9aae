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
  /** How templates created through the API are reviewed (§4, §3.7); default { mode: 'approve', delayMs: 300 }. */
  templateReview?: TemplateReview;
  log?: (line: string) => void;
}

/** §4.4 statuses seen. */
export type TemplateStatus =
  | 'PENDING'
  | 'APPROVED'
  | 'REJECTED'
  | 'FAILED'
  | 'PAUSED'
  | 'DISABLED'
  | 'DELETED'
  | 'IN_APPEAL'
  | 'PENDING_DELETION'
  | 'LIMIT_EXCEEDED';

/**
 * What happens to a template created through the API: approved or rejected (with `reason`, default
 * INVALID_FORMAT) `delayMs` after creation (default 300), or left PENDING until `setTemplateStatus`.
 */
export interface TemplateReview {
  mode: 'approve' | 'reject' | 'manual';
  delayMs?: number;
  reason?: string;
}

/** §4.2: one template as the list/get APIs give it; `containerMeta` and `meta` are JSON strings. */
export interface SandboxTemplate {
  id: string;
  appId: string;
  externalId: string;
  elementName: string;
  languageCode: string;
  languagePolicy: string;
  category: string;
  oldCategory?: string;
  templateType: string;
  status: TemplateStatus;
  reason?: string;
  data: string;
  containerMeta: string;
  meta: string;
  vertical: string;
  namespace: string;
  wabaId: string;
  quality: string;
  buttonSupported?: string;
  priority: number;
  retry: number;
  stage: string;
  createdOn: number;
  modifiedOn: number;
}

/** §4.3 create fields under their form names; `buttons` may be given as an array here. */
export interface TemplateFields {
  elementName: string;
  languageCode: string;
  category: string;
  templateType: string;
  vertical: string;
  content: string;
  header: string;
  footer: string;
  buttons: string | Array<Record<string, unknown>>;
  example: string;
  exampleHeader: string;
  enableSample: boolean | string;
  exampleMedia: string;
  mediaId: string;
  mediaUrl: string;
  allowTemplateCategoryChange: boolean | string;
  addSecurityRecommendation: boolean | string;
}

/** A template made in the Gupshup console (`addConsoleTemplate`): APPROVED unless `status` says otherwise. */
export type ConsoleTemplateFields = Partial<TemplateFields> & {
  elementName: string;
  languageCode: string;
  content: string;
  category: string;
  status?: TemplateStatus;
  reason?: string;
};

/** What the customer sees of a template send (§2.1): placeholders filled with `params`. */
export interface RenderedTemplate {
  id: string;
  elementName: string;
  languageCode: string;
  category: string;
  templateType: string;
  header?: string;
  body: string;
  footer?: string;
  buttons: string[];
  /** header, body and footer joined by newlines. */
  text: string;
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
  /** For template sends of a known template of the app: the filled-in template (§2.1). */
  rendered?: RenderedTemplate;
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
  /**
   * Whether the callback subscription includes billing-events (mode `BILLING`, §3.9: selected
   * explicitly on subscriptions made after Feb 2025); default on.
   */
  setBillingEvents(on: boolean): void;
  failNext(o: { times: number; status: number; body?: Record<string, unknown> }): void;
  setWalletEmpty(appName: string, empty: boolean): void;
  /** Makes a FileManager link (an inbound media `url`) answer 404 from now on, as an expired one does. */
  expireMedia(url: string): void;
  /** GET/HEAD requests for FileManager links, with the status answered. */
  mediaRequests(): Array<{ path: string; status: number; at: number }>;
  settle(timeoutMs?: number): Promise<void>;
  /** Stored templates in the list-API shape (§4.2), of one app or of all. */
  templates(appId?: string): SandboxTemplate[];
  /** How templates created from now on are reviewed. */
  setTemplateReview(opts: TemplateReview): void;
  /** Changes a template's status and posts its `template-event` status-update (§3.7). */
  setTemplateStatus(
    templateId: string,
    status: TemplateStatus,
    opts?: { reason?: string; description?: string },
  ): void;
  /** A template made in the Gupshup console: stored (APPROVED by default), no callback. */
  addConsoleTemplate(appId: string, fields: ConsoleTemplateFields): SandboxTemplate;
  /** Deleted in the console: every language of it leaves the list; a `deleted` status-update per language (§3.7). */
  deleteConsoleTemplate(appId: string, elementName: string): void;
}
