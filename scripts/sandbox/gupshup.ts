/**
 * Sandbox Gupshup — a local stand-in for Gupshup's WhatsApp self-serve API (v2 "Gupshup format").
 *
 * It follows /work/shared/reference/gupshup.md (§ numbers below point into it) and never imports from
 * src/: the app under test must meet the reference, not its own assumptions.
 *
 * Surfaces:
 *  - POST /wa/api/v1/msg           session messages (§1), form-urlencoded + `apikey` header
 *  - POST /wa/api/v1/template/msg  template messages (§2.1)
 *  - GET  /fm/<token>              "FileManager" media for inbound customer media (§3.3; links expire)
 *  - GET  /wa/app/{appId}/template self-serve template list with `apikey` (§4.1): how a key is checked
 *  - GET  /sm/api/v2/wallet/balance legacy wallet balance with `apikey` (§5.2)
 *  - outbound media: a session message with a media URL (§1.1: "Gupshup fetches it") is fetched after
 *    the send is accepted; a link that does not answer 200, or a file over WhatsApp's size limit for
 *    its type (§4.4), fails the message (1010/1011, §8) instead of delivering it.
 *  - outgoing v2 callbacks (§3.2–§3.6): message-events, billing-events, inbound messages, user-events,
 *    with delays, retries on non-2xx (§3.1), optional duplicates and reordering.
 *
 * Choices where the reference is silent are marked "sandbox choice".
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

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
  customerSends(o: {
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
  }): Promise<{ id: string; statuses: Array<number | null> }>;
  failNextDelivery(o: { destination?: string; code: number; reason: string; stage?: 'sync' | 'async' }): void;
  setStatusFlow(flow: Array<'enqueued' | 'sent' | 'delivered' | 'read'>): void;
  failNext(o: { times: number; status: number; body?: Record<string, unknown> }): void;
  setWalletEmpty(appName: string, empty: boolean): void;
  /** Makes a FileManager link (an inbound media `url`) answer 404 from now on, as an expired one does. */
  expireMedia(url: string): void;
  /** GET/HEAD requests for FileManager links, with the status answered. */
  mediaRequests(): Array<{ path: string; status: number; at: number }>;
  settle(timeoutMs?: number): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

type Json = Record<string, unknown>;
type StatusType = 'enqueued' | 'sent' | 'delivered' | 'read';

const MSG_PATH = '/wa/api/v1/msg';
const TEMPLATE_PATH = '/wa/api/v1/template/msg';
const MEDIA_PREFIX = '/fm/';
const WALLET_PATH = '/sm/api/v2/wallet/balance';
const TEMPLATE_LIST = /^\/wa\/app\/([^/]+)\/template$/;
const CALLBACK_TIMEOUT_MS = 10_000; // §3.1: no 2xx within 10 s ⇒ failed, retried
const MAX_BODY_BYTES = 2 * 1024 * 1024;
const USER_AGENT = 'Gupshup-Sandbox/1.0 (WhatsAppB24 tests)'; // §3.1: callbacks carry a User-Agent (value undocumented)
const MEDIA_TTL_MS = 60 * 60 * 1000; // sandbox choice: FileManager links valid 1 h (§3.3 only says they expire)
const MB = 1024 * 1024;
/** §4.4 WhatsApp media limits by session message type (sticker: the animated limit). */
const MEDIA_LIMITS: Record<string, number> = {
  image: 5 * MB,
  video: 16 * MB,
  audio: 16 * MB,
  file: 100 * MB,
  sticker: 500 * 1024,
};
const MEDIA_FETCH_TIMEOUT_MS = 10_000; // sandbox choice

/** mulberry32: small deterministic PRNG. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function isObj(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.trim().length > 0;
}

function charLen(s: string): number {
  return [...s].length;
}

/** WhatsApp (Cloud API) message id look-alike: `wamid.` + base64 (§0 ids table). */
function newWamid(): string {
  return `wamid.HBgM${randomBytes(24).toString('base64').replace(/[+/=]/g, 'A')}`;
}

// ITU calling codes are a prefix code: 1 and 7 are one digit, these are two, everything else three.
const TWO_DIGIT_CODES = new Set(
  '20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98'.split(
    ' ',
  ),
);

/** §3.3 sender block: `country_code` + `dial_code` (national part). */
function splitPhone(phone: string): { country_code: string; dial_code: string } {
  let n = 3;
  if (phone.startsWith('1') || phone.startsWith('7')) n = 1;
  else if (TWO_DIGIT_CODES.has(phone.slice(0, 2))) n = 2;
  return { country_code: phone.slice(0, n), dial_code: phone.slice(n) };
}

const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/** Bytes served for inbound media the sandbox invents (sandbox choice: tiny but type-plausible files). */
function defaultMedia(type: string): { contentType: string; data: Buffer; name?: string } {
  switch (type) {
    case 'image':
      return { contentType: 'image/png', data: PNG_1X1 };
    case 'file':
      return {
        contentType: 'application/pdf',
        data: Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'),
        name: 'document.pdf',
      };
    case 'audio':
      return { contentType: 'audio/ogg; codecs=opus', data: Buffer.from('OggS sandbox audio') };
    case 'video':
      return { contentType: 'video/mp4', data: Buffer.from('\0\0\0\x18ftypmp42 sandbox video') };
    case 'sticker':
      return { contentType: 'image/webp', data: Buffer.from('RIFF\0\0\0\0WEBPVP8 sandbox sticker') };
    default:
      return { contentType: 'application/octet-stream', data: Buffer.from('sandbox media') };
  }
}

function errorBody(message: string): Json {
  return { message, status: 'error' };
}

interface MetaFailure {
  code: number;
  reason: string;
}

type Validation = { ok: true; message: Json; meta?: MetaFailure } | { ok: false; error: string };

function parseJsonField(
  raw: string | null,
  field: string,
): { ok: true; value: unknown } | { ok: false; error: string } {
  if (raw === null || raw.trim() === '') return { ok: false, error: `Missing ${field}` };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false, error: `Invalid ${field}: malformed JSON` };
  }
}

function hasMediaRef(m: Json, urlKey: string): boolean {
  return isNonEmptyString(m[urlKey]) || isNonEmptyString(m.id);
}

/**
 * §1.1 shapes. Structural problems (bad JSON, missing fields, unknown type) are refused synchronously
 * with 400 — sandbox choice for Gupshup's undocumented wording: `{"message":"Invalid Message: …","status":"error"}`.
 * WhatsApp content limits (text > 4096 chars, interactive limits, caption > 1024) are Meta-side: Gupshup
 * accepts the request (2xx) and Meta's rejection comes back as a `failed` message-event (§1.2 "Accepted ≠ sent").
 */
function validateSessionMessage(raw: string | null): Validation {
  const parsed = parseJsonField(raw, 'Message');
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  if (!isObj(m)) return { ok: false, error: 'Invalid Message: expected a JSON object' };
  const bad = (why: string): Validation => ({ ok: false, error: `Invalid Message: ${why}` });
  const invalid = (why: string): MetaFailure => ({
    code: 131009,
    reason: `Parameter value is not valid: ${why}`,
  });
  let meta: MetaFailure | undefined;
  const caption = m.caption;
  if (caption !== undefined && typeof caption !== 'string') return bad('caption must be a string');
  if (typeof caption === 'string' && charLen(caption) > 1024) {
    meta = invalid('caption longer than 1024 characters');
  }

  switch (m.type) {
    case 'text': {
      if (!isNonEmptyString(m.text)) return bad('text is required');
      // §1.1: WhatsApp body max 4096 chars → Meta refuses: (#100) Invalid parameter.
      if (charLen(m.text) > 4096) {
        meta = {
          code: 100,
          reason: "Invalid parameter: Param text['body'] must be at most 4096 characters long",
        };
      }
      break;
    }
    case 'image':
      if (!hasMediaRef(m, 'originalUrl')) return bad('image needs originalUrl or id');
      break;
    case 'file':
      if (!hasMediaRef(m, 'url')) return bad('file needs url or id');
      break;
    case 'audio':
    case 'video':
    case 'sticker':
      if (!hasMediaRef(m, 'url')) return bad(`${m.type} needs url or id`);
      break;
    case 'location': {
      const lon = Number(m.longitude);
      const lat = Number(m.latitude);
      if (
        m.longitude === undefined ||
        m.latitude === undefined ||
        !Number.isFinite(lon) ||
        !Number.isFinite(lat)
      ) {
        return bad('location needs numeric longitude and latitude');
      }
      if (Math.abs(lat) > 90 || Math.abs(lon) > 180) meta = invalid('coordinates out of range');
      break;
    }
    case 'contact':
      if (!isObj(m.contact)) return bad('contact object is required');
      break;
    case 'list': {
      if (!isNonEmptyString(m.body)) return bad('list body is required');
      if (!Array.isArray(m.globalButtons) || m.globalButtons.length === 0) {
        return bad('globalButtons are required');
      }
      if (!Array.isArray(m.items) || m.items.length === 0) return bad('items are required');
      let rows = 0;
      for (const section of m.items as unknown[]) {
        if (!isObj(section) || !Array.isArray(section.options) || section.options.length === 0) {
          return bad('each list item needs options');
        }
        for (const row of section.options as unknown[]) {
          if (!isObj(row) || !isNonEmptyString(row.title)) return bad('each list option needs a title');
          rows++;
          // §1.1 limits: row title ≤24, description ≤72
          if (charLen(row.title) > 24) meta ??= invalid('row title longer than 24 characters');
          if (typeof row.description === 'string' && charLen(row.description) > 72) {
            meta ??= invalid('row description longer than 72 characters');
          }
        }
      }
      const button = m.globalButtons[0] as unknown;
      if (!isObj(button) || !isNonEmptyString(button.title)) return bad('globalButtons[0].title is required');
      if (charLen(button.title) > 20) meta ??= invalid('button title longer than 20 characters');
      if (rows > 10) meta ??= invalid('more than 10 rows');
      if (charLen(m.body) > 1024) meta ??= invalid('body longer than 1024 characters');
      break;
    }
    case 'quick_reply': {
      const c = m.content;
      if (!isObj(c) || !isNonEmptyString(c.type)) return bad('quick_reply content is required');
      if (c.type === 'text') {
        if (!isNonEmptyString(c.text)) return bad('quick_reply content.text is required');
      } else if (c.type === 'image' || c.type === 'video' || c.type === 'file') {
        if (!isNonEmptyString(c.url)) return bad('quick_reply media content needs url');
      } else {
        return bad('quick_reply content.type must be text, image, video or file');
      }
      if (!Array.isArray(m.options) || m.options.length === 0) return bad('quick_reply options are required');
      for (const o of m.options as unknown[]) {
        if (!isObj(o) || !isNonEmptyString(o.title)) return bad('each quick_reply option needs a title');
        if (charLen(o.title) > 20) meta ??= invalid('button title longer than 20 characters'); // §1.1
      }
      if (m.options.length > 3) meta ??= invalid('more than 3 buttons'); // §1.1
      break;
    }
    case 'reaction':
      // §1.1 [code]; an empty emoji removes a reaction on WhatsApp, so only the type is checked.
      if (!isNonEmptyString(m.msgId) || typeof m.emoji !== 'string') {
        return bad('reaction needs msgId and emoji');
      }
      break;
    default:
      return bad(`unsupported type ${JSON.stringify(m.type ?? null)}`);
  }
  return meta ? { ok: true, message: m, meta } : { ok: true, message: m };
}

/** §2.1: `template` = {"id","params":[strings]}; optional `message` header JSON and `postbackTexts`. */
function validateTemplate(form: URLSearchParams): Validation {
  const t = parseJsonField(form.get('template'), 'Template');
  if (!t.ok) return t;
  const template = t.value;
  if (!isObj(template) || !isNonEmptyString(template.id)) {
    return { ok: false, error: 'Invalid Template: id is required' };
  }
  const params = template.params ?? [];
  if (!Array.isArray(params) || params.some((p) => typeof p !== 'string')) {
    return { ok: false, error: 'Invalid Template: params must be an array of strings' };
  }
  const record: Json = { type: 'template', template: { ...template, params } };

  const rawHeader = form.get('message');
  if (rawHeader !== null && rawHeader !== '') {
    const h = parseJsonField(rawHeader, 'Message');
    if (!h.ok) return h;
    const header = h.value;
    if (!isObj(header) || !isNonEmptyString(header.type)) {
      return { ok: false, error: 'Invalid Message: type is required' };
    }
    const kind = header.type;
    if (kind === 'image' || kind === 'video' || kind === 'document') {
      const media = header[kind];
      if (!isObj(media) || !(isNonEmptyString(media.link) || isNonEmptyString(media.id))) {
        return { ok: false, error: `Invalid Message: ${kind} needs link or id` };
      }
    } else if (kind === 'location') {
      if (!isObj(header.location)) return { ok: false, error: 'Invalid Message: location is required' };
    } else if (kind === 'carousel') {
      if (!Array.isArray(header.cards)) return { ok: false, error: 'Invalid Message: carousel needs cards' };
    } else {
      return { ok: false, error: `Invalid Message: unsupported header type ${JSON.stringify(kind)}` };
    }
    record.message = header;
  }
  const rawPostback = form.get('postbackTexts');
  if (rawPostback !== null && rawPostback !== '') {
    const p = parseJsonField(rawPostback, 'postbackTexts');
    if (!p.ok || !Array.isArray(p.value)) return { ok: false, error: 'Invalid postbackTexts' };
    record.postbackTexts = p.value;
  }
  return { ok: true, message: record };
}

// ---------------------------------------------------------------------------------------------
// Server
// ---------------------------------------------------------------------------------------------

interface DeliveryFailure {
  destination?: string;
  code: number;
  reason: string;
  stage: 'sync' | 'async';
}

interface MediaEntry {
  contentType: string;
  data: Buffer;
  expiresAt: number;
}

export async function startSandboxGupshup(opts: SandboxGupshupOptions = {}): Promise<SandboxGupshup> {
  const host = opts.host ?? '127.0.0.1';
  const [delayMin, delayMax] = opts.eventDelayMs ?? [20, 80];
  const duplicateP = opts.duplicateEvents ?? 0;
  const reorder = opts.reorderEvents ?? false;
  const retry = opts.callbackRetry ?? { attempts: 3, delayMs: 200 };
  const log = opts.log ?? (() => {});
  const rand = prng(opts.seed ?? 1);

  const apps = new Map<string, SandboxApp>();
  const sentLog: SentMessage[] = [];
  const requestLog: Array<{ path: string; status: number; at: number }> = [];
  const callbackLog: CallbackRecord[] = [];
  const media = new Map<string, MediaEntry>();
  const mediaLog: Array<{ path: string; status: number; at: number }> = [];
  const deliveryFailures: DeliveryFailure[] = [];
  const httpFaults: Array<{ status: number; body?: Json }> = [];
  let statusFlow: StatusType[] = ['enqueued', 'sent', 'delivered', 'read'];

  let closed = false;
  let busy = 0; // scheduled or in-flight callback work
  let idleWaiters: Array<() => void> = [];
  const sleeps = new Map<NodeJS.Timeout, (ok: boolean) => void>();
  const agent = new Agent({ connections: 256, keepAliveTimeout: 4_000 });

  const randInt = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
  const eventDelay = (): number => randInt(Math.min(delayMin, delayMax), Math.max(delayMin, delayMax));

  function sleep(ms: number): Promise<boolean> {
    if (closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        sleeps.delete(t);
        resolve(!closed);
      }, ms);
      sleeps.set(t, resolve);
    });
  }

  function track(work: () => Promise<void>): Promise<void> {
    busy++;
    return work()
      .catch((err: unknown) => log(`[gupshup] callback task error: ${String(err)}`))
      .finally(() => {
        busy--;
        if (busy === 0) {
          const w = idleWaiters;
          idleWaiters = [];
          for (const f of w) f();
        }
      });
  }

  // ---- callback delivery (§3.1) ----

  async function postOnce(appName: string, url: string, body: Json, attempt: number): Promise<number | null> {
    const rec: CallbackRecord = { appName, url, body, status: null, attempt, at: Date.now() };
    callbackLog.push(rec);
    try {
      const res = await request(url, {
        dispatcher: agent,
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
    log(
      `[gupshup] callback ${String(body.type)}/${String(p)} → ${rec.status ?? rec.error ?? '?'} (attempt ${attempt})`,
    );
    return rec.status;
  }

  const ok2xx = (s: number | null): boolean => s !== null && s >= 200 && s < 300;

  /**
   * First POST of a callback; resolves after that attempt. On non-2xx / error, further attempts run in
   * the background (Gupshup retries "after a brief interval", §3.1 — schedule undocumented, §11.1).
   */
  async function deliver(appName: string, body: Json): Promise<void> {
    const url = apps.get(appName)?.callbackUrl;
    if (closed) return;
    if (!url) {
      log(`[gupshup] no callback URL for ${appName}; dropped ${String(body.type)}`);
      return;
    }
    const status = await postOnce(appName, url, body, 1);
    if (ok2xx(status) || retry.attempts <= 1 || closed) return;
    void track(async () => {
      for (let attempt = 2; attempt <= retry.attempts; attempt++) {
        if (!(await sleep(retry.delayMs))) return;
        const current = apps.get(appName)?.callbackUrl;
        if (!current) return;
        if (ok2xx(await postOnce(appName, current, body, attempt))) return;
      }
    });
  }

  // ---- message-events (§3.4) and billing-events (§3.6) ----

  interface Outcome {
    kind: 'ok' | 'failed';
    failure?: { code: number; reason: string; stage: 'sync' | 'async' };
  }

  function planEvents(app: SandboxApp, msg: SentMessage, outcome: Outcome): Json[] {
    const isTemplate = msg.message.type === 'template';
    // Sandbox choice (§3.6 / §6.3 PMP): templates bill as `marketing` (the only documented example),
    // session messages as free `service`.
    const category = isTemplate ? 'marketing' : 'service';
    const billable = isTemplate;
    const gsId = msg.messageId;
    const wamid = msg.whatsappMessageId;
    const destination = msg.destination;

    type Builder = (tsMs: number) => Json;
    const statusEvent =
      (type: StatusType): Builder =>
      (tsMs) => {
        const ts = Math.floor(tsMs / 1000);
        if (type === 'enqueued') {
          // §3.4: id = Gupshup id; inner {whatsappMessageId, type:"session"} — template value undocumented
          // (§11.6), sandbox choice: "template".
          return {
            id: gsId,
            type,
            destination,
            payload: { whatsappMessageId: wamid, type: isTemplate ? 'template' : 'session' },
          };
        }
        const p: Json = { id: wamid, gsId, type, destination, payload: { ts } };
        if (type === 'sent') {
          // §3.4: sent carries conversation{id,expiresAt,type} and pricing{policy,category,type}.
          p.conversation = { id: randomBytes(16).toString('hex'), expiresAt: ts + 86_400, type: category };
          p.pricing = { policy: 'PMP', category, type: 'regular' };
        }
        return p;
      };
    const billing: Builder = () => ({
      deductions: { type: 'regular', model: 'PMP', source: 'whatsapp', billable, category },
      references: { id: wamid, gsId, destination },
    });

    const envelopes: Array<{ type: string; build: Builder }> = [];
    const flow = statusFlow;
    if (outcome.kind === 'failed' && outcome.failure) {
      const f = outcome.failure;
      if (f.stage === 'sync') {
        // §3.4 failed (sync, Gupshup-side): id = Gupshup id, no gsId, no enqueued (never reached WhatsApp).
        envelopes.push({
          type: 'message-event',
          build: () => ({
            id: gsId,
            type: 'failed',
            destination,
            payload: { code: f.code, reason: f.reason },
          }),
        });
      } else {
        // §3.4 failed (async, WhatsApp-side): after enqueued (+ maybe sent): id = WhatsApp id, gsId = Gupshup id.
        if (flow.includes('enqueued')) {
          envelopes.push({ type: 'message-event', build: statusEvent('enqueued') });
        }
        if (flow.includes('sent') && rand() < 0.5) {
          envelopes.push({ type: 'message-event', build: statusEvent('sent') });
        }
        envelopes.push({
          type: 'message-event',
          build: () => ({
            id: wamid,
            gsId,
            type: 'failed',
            destination,
            payload: { code: f.code, reason: f.reason },
          }),
        });
      }
    } else {
      for (const s of flow) {
        envelopes.push({ type: 'message-event', build: statusEvent(s) });
        if (s === 'sent') envelopes.push({ type: 'billing-event', build: billing });
      }
      if (!flow.includes('sent')) {
        // billing-events are their own subscription mode (§3.9); still emitted, right after enqueued.
        const at = flow.indexOf('enqueued') + 1;
        envelopes.splice(at, 0, { type: 'billing-event', build: billing });
      }
    }

    // Logical (generation) times strictly increase (§3.2 `timestamp`, ms) even if delivery is reordered.
    let t = Date.now();
    return envelopes.map((e): Json => {
      t += Math.max(1, eventDelay());
      return { app: app.appName, timestamp: t, version: 2, type: e.type, payload: e.build(t) };
    });
  }

  function scheduleEvents(app: SandboxApp, msg: SentMessage, outcome: Outcome): void {
    const bodies = planEvents(app, msg, outcome);
    // §3.1: retries ⇒ duplicates. Duplicate = identical body posted again.
    const deliveries: Json[] = [];
    for (const b of bodies) {
      deliveries.push(b);
      if (duplicateP > 0 && rand() < duplicateP) deliveries.push(b);
    }
    // §3.1: order is not guaranteed.
    if (reorder) {
      for (let i = deliveries.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        const a = deliveries[i]!;
        deliveries[i] = deliveries[j]!;
        deliveries[j] = a;
      }
    }
    const delays = deliveries.map(() => eventDelay());
    void track(async () => {
      for (let i = 0; i < deliveries.length; i++) {
        if (!(await sleep(delays[i]!))) return;
        await deliver(app.appName, deliveries[i]!);
      }
    });
  }

  // ---- HTTP handling ----

  function respond(
    res: ServerResponse,
    path: string,
    status: number,
    body: Json | string,
    contentType = 'application/json',
  ): void {
    requestLog.push({ path, status, at: Date.now() });
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  function readBody(req: IncomingMessage): Promise<Buffer | null> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooBig = false;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_BODY_BYTES) tooBig = true;
        else chunks.push(c);
      });
      req.on('end', () => resolve(tooBig ? null : Buffer.concat(chunks)));
      req.on('error', reject);
    });
  }

  function headerValue(req: IncomingMessage, name: string): string | undefined {
    const v = req.headers[name];
    return Array.isArray(v) ? v[0] : v;
  }

  async function handleSend(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const raw = await readBody(req);
    if (raw === null) return respond(res, path, 413, errorBody('Request Entity Too Large'));

    // Injected HTTP-level faults (outage / rate limit, §1.2, §7) hit before anything else.
    const fault = httpFaults[0];
    if (fault) {
      httpFaults.shift();
      if (fault.body) return respond(res, path, fault.status, fault.body);
      if (fault.status === 429) return respond(res, path, 429, errorBody('Too Many Requests'));
      if (fault.status >= 500) {
        // Sandbox choice: an outage answers like a gateway would — HTML, not JSON.
        return respond(
          res,
          path,
          fault.status,
          `<html><body><h1>${fault.status} Service Unavailable</h1></body></html>`,
          'text/html',
        );
      }
      return respond(res, path, fault.status, errorBody('Error'));
    }

    // §0: header `apikey` (names are case-insensitive; the docs table also says `api_key`).
    const key = headerValue(req, 'apikey') ?? headerValue(req, 'api_key');
    const app = key ? [...apps.values()].find((a) => a.apiKey === key) : undefined;
    if (!app) return respond(res, path, 401, errorBody('Authentication Failed'));

    // §1: form-urlencoded body. Anything else leaves every field missing.
    const ctype = headerValue(req, 'content-type') ?? '';
    const form = ctype.toLowerCase().includes('application/x-www-form-urlencoded')
      ? new URLSearchParams(raw.toString('utf8'))
      : new URLSearchParams();

    // Sandbox choice: `channel` is required on both endpoints (§2.1 "send it").
    if (form.get('channel') !== 'whatsapp') return respond(res, path, 400, errorBody('Invalid Channel'));
    // §1: src.name + source must be the key's app (§2.1: always send src.name).
    const source = form.get('source');
    const srcName = form.get('src.name');
    if (source !== app.sourceNumber || srcName !== app.appName) {
      return respond(res, path, 400, errorBody('Invalid App Details'));
    }
    // §0: digits only, with country code, no `+`.
    const destination = form.get('destination') ?? '';
    if (!/^\d{8,15}$/.test(destination)) return respond(res, path, 400, errorBody('Invalid Destination'));

    const v = path === TEMPLATE_PATH ? validateTemplate(form) : validateSessionMessage(form.get('message'));
    if (!v.ok) return respond(res, path, 400, errorBody(v.error));

    const msg: SentMessage = {
      messageId: randomUUID(),
      whatsappMessageId: newWamid(),
      appName: app.appName,
      source,
      destination,
      message: v.message,
      at: Date.now(),
    };
    sentLog.push(msg);

    // Decide the outcome now (deterministic order): wallet (Gupshup-side) → injected failure → Meta limits.
    let outcome: Outcome = { kind: 'ok' };
    if (app.walletEmpty) {
      // §5.2 / §8: empty wallet ⇒ failed 1003, Gupshup-side ⇒ sync shape (§3.4).
      outcome = {
        kind: 'failed',
        failure: { code: 1003, reason: 'Message sending failed as wallet balance is low', stage: 'sync' },
      };
    } else {
      const idx = deliveryFailures.findIndex(
        (f) => f.destination === undefined || f.destination === destination,
      );
      if (idx >= 0) {
        const [f] = deliveryFailures.splice(idx, 1);
        outcome = { kind: 'failed', failure: { code: f!.code, reason: f!.reason, stage: f!.stage } };
      } else if (v.meta) {
        // Meta refused the request ⇒ no WhatsApp message exists ⇒ sync shape (id = Gupshup id).
        outcome = { kind: 'failed', failure: { ...v.meta, stage: 'sync' } };
      }
    }

    // §1.2: accepted ⇒ 2xx {"status":"submitted","messageId"} with Content-Type text/html (quirk).
    respond(res, path, 202, { status: 'submitted', messageId: msg.messageId }, 'text/html; charset=UTF-8');
    log(`[gupshup] accepted ${String(msg.message.type)} ${msg.messageId} → ${destination} (${outcome.kind})`);
    const mediaUrl = msg.message.type === 'image' ? msg.message.originalUrl : msg.message.url;
    if (outcome.kind === 'ok' && MEDIA_LIMITS[String(msg.message.type)] && isNonEmptyString(mediaUrl)) {
      // §1.1: media by URL is fetched by Gupshup; a link it cannot read fails the message (§8 1010/1011).
      void track(async () => {
        msg.media = await fetchMedia(mediaUrl);
        const limit = MEDIA_LIMITS[String(msg.message.type)] ?? Infinity;
        let o = outcome;
        if (msg.media.status !== 200) {
          o = { kind: 'failed', failure: { code: 1010, reason: 'Invalid media URL', stage: 'sync' } };
        } else if (msg.media.bytes > limit) {
          o = {
            kind: 'failed',
            failure: { code: 1011, reason: 'Media size exceeds the limit', stage: 'sync' },
          };
        }
        if (!closed) scheduleEvents(app, msg, o);
      });
      return;
    }
    scheduleEvents(app, msg, outcome);
  }

  async function fetchMedia(url: string): Promise<NonNullable<SentMessage['media']>> {
    const rec: NonNullable<SentMessage['media']> = { url, status: null, bytes: 0, contentType: null };
    try {
      const res = await request(url, {
        dispatcher: agent,
        method: 'GET',
        headersTimeout: MEDIA_FETCH_TIMEOUT_MS,
        bodyTimeout: MEDIA_FETCH_TIMEOUT_MS,
      });
      rec.status = res.statusCode;
      const ct = res.headers['content-type'];
      rec.contentType = typeof ct === 'string' ? ct : null;
      rec.bytes = (await res.body.arrayBuffer()).byteLength;
    } catch (err) {
      rec.error = err instanceof Error ? err.message : String(err);
    }
    log(`[gupshup] fetched media ${url} → ${rec.status ?? rec.error ?? '?'}`);
    return rec;
  }

  function handleMedia(req: IncomingMessage, res: ServerResponse, path: string): void {
    const entry = media.get(path.slice(MEDIA_PREFIX.length));
    const status = !entry || Date.now() > entry.expiresAt ? 404 : 200;
    mediaLog.push({ path, status, at: Date.now() });
    if (!entry || status === 404) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify(errorBody('File not found or link expired')));
      return;
    }
    res.writeHead(200, { 'content-type': entry.contentType, 'content-length': entry.data.length });
    res.end(req.method === 'HEAD' ? undefined : entry.data);
  }

  /** §4.1 template list and §5.2 legacy wallet: both only need the app's `apikey`. */
  function handleAppApi(req: IncomingMessage, res: ServerResponse, path: string): void {
    const key = headerValue(req, 'apikey') ?? headerValue(req, 'api_key');
    const app = key ? [...apps.values()].find((a) => a.apiKey === key) : undefined;
    if (path === WALLET_PATH) {
      if (!app) return respond(res, path, 401, errorBody('Authentication Failed'));
      // Sandbox choice: every app has 25.5 credits unless its wallet was emptied.
      return respond(res, path, 200, { balance: app.walletEmpty ? 0 : 25.5, status: 'success' });
    }
    const appId = decodeURIComponent(TEMPLATE_LIST.exec(path)?.[1] ?? '');
    const owner = [...apps.values()].find((a) => a.appId === appId);
    // Sandbox choice for undocumented wording: an unknown app id is a 400, a key of another app a 401.
    if (!owner) return respond(res, path, 400, errorBody('Invalid App Id'));
    if (!app || app !== owner) return respond(res, path, 401, errorBody('Authentication Failed'));
    return respond(res, path, 200, { status: 'success', templates: [] });
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && (path === WALLET_PATH || TEMPLATE_LIST.test(path))) {
      req.resume();
      return handleAppApi(req, res, path);
    }
    if (path.startsWith(MEDIA_PREFIX) && (req.method === 'GET' || req.method === 'HEAD')) {
      req.resume();
      return handleMedia(req, res, path);
    }
    if (path === MSG_PATH || path === TEMPLATE_PATH) {
      if (req.method !== 'POST') {
        req.resume();
        return respond(res, path, 405, errorBody('Method Not Allowed'));
      }
      return handleSend(req, res, path);
    }
    req.resume();
    return respond(res, path, 404, errorBody('Not Found'));
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      log(`[gupshup] handler error: ${String(err)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify(errorBody('Internal Server Error')));
    });
  });
  server.keepAliveTimeout = 60_000; // avoid idle-socket races with the app's keep-alive pool
  server.headersTimeout = 61_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  const baseUrl = `http://${urlHost}:${port}`;

  function requireApp(appName: string): SandboxApp {
    const app = apps.get(appName);
    if (!app) throw new Error(`sandbox gupshup: unknown app ${appName}`);
    return app;
  }

  // ---- inbound payloads (§3.3) ----

  function inboundPayload(type: string, text: string | undefined, extra: Json | undefined): Json {
    const base: Json = {};
    switch (type) {
      case 'text':
        base.text = text ?? 'Hi';
        break;
      case 'image':
      case 'video':
      case 'audio':
      case 'file':
      case 'sticker': {
        const m = defaultMedia(type);
        const token = `${randomUUID()}`;
        base.url = `${baseUrl}${MEDIA_PREFIX}${token}`;
        base.contentType = m.contentType;
        base.urlExpiry = Date.now() + MEDIA_TTL_MS;
        if (text !== undefined) base.caption = text;
        if (m.name) base.name = m.name;
        const merged = { ...base, ...extra };
        if (merged.url === base.url) {
          const exp = typeof merged.urlExpiry === 'number' ? merged.urlExpiry : Date.now() + MEDIA_TTL_MS;
          media.set(token, { contentType: m.contentType, data: m.data, expiresAt: exp });
        }
        return merged;
      }
      case 'location':
        // §3.3: strings
        base.longitude = '72.8552172';
        base.latitude = '19.1453658';
        break;
      case 'contact':
        base.contacts = [
          {
            addresses: [],
            emails: [],
            name: { first_name: 'Jane', formatted_name: text ?? 'Jane Doe', last_name: 'Doe' },
            org: {},
            phones: [{ phone: '+44 20 7946 0000', type: 'CELL' }],
            urls: [],
          },
        ];
        break;
      case 'list_reply': {
        const title = text ?? 'Row 1';
        Object.assign(base, {
          title,
          id: 'list1',
          reply: `${title} 1`,
          postbackText: 'row1',
          description: '',
        });
        break;
      }
      case 'button_reply': {
        const title = text ?? 'Yes';
        Object.assign(base, { title, id: 'qr1', reply: `${title} 1` });
        break;
      }
      case 'quick_reply':
        // §3.3: tap on a template quick-reply button.
        Object.assign(base, { text: text ?? 'Yes', type: 'button' });
        break;
      case 'reaction':
        base.emoji = text ?? '👍';
        break;
      default:
        if (text !== undefined) base.text = text;
    }
    return { ...base, ...extra };
  }

  const sandbox: SandboxGupshup = {
    url: baseUrl,

    async close() {
      if (closed) return;
      closed = true;
      for (const [t, resolve] of sleeps) {
        clearTimeout(t);
        resolve(false);
      }
      sleeps.clear();
      await agent.destroy().catch(() => {});
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // let aborted tasks unwind so nothing runs after close()
      if (busy > 0) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, 1_000);
          idleWaiters.push(() => {
            clearTimeout(t);
            resolve();
          });
        });
      }
      media.clear();
    },

    addApp(o) {
      const app: SandboxApp = {
        appName: o.appName,
        appId: o.appId ?? randomUUID(),
        apiKey: o.apiKey,
        sourceNumber: o.sourceNumber,
        callbackUrl: o.callbackUrl ?? null,
        walletEmpty: false,
      };
      apps.set(app.appName, app);
      return app;
    },

    setCallbackUrl(appName, url) {
      const app = requireApp(appName);
      app.callbackUrl = url;
      // §3.5: `sandbox-start` with phone "callbackSetPhone" when a callback URL is set.
      const body: Json = {
        app: appName,
        timestamp: Date.now(),
        version: 2,
        type: 'user-event',
        payload: { phone: 'callbackSetPhone', type: 'sandbox-start' },
      };
      void track(() => deliver(appName, body));
    },

    sent(filter = {}) {
      return sentLog.filter(
        (m) =>
          (filter.appName === undefined || m.appName === filter.appName) &&
          (filter.destination === undefined || m.destination === filter.destination),
      );
    },

    requests() {
      return requestLog.slice();
    },

    callbacks(filter = {}) {
      return callbackLog.filter((c) => {
        if (filter.appName !== undefined && c.appName !== filter.appName) return false;
        if (filter.type === undefined) return true;
        const inner = isObj(c.body.payload) ? c.body.payload.type : undefined;
        return c.body.type === filter.type || inner === filter.type;
      });
    },

    async customerSends(o) {
      const app = requireApp(o.appName);
      if (!/^\d{8,15}$/.test(o.from)) {
        throw new Error(`sandbox gupshup: customer phone must be digits only: ${o.from}`);
      }
      const type = o.type ?? 'text';
      const id = newWamid();
      const inner: Json = {
        id,
        source: o.from,
        type,
        payload: inboundPayload(type, o.text, o.payload),
        sender: { phone: o.from, name: o.name ?? 'Sandbox Customer', ...splitPhone(o.from) },
      };
      if (o.context) inner.context = o.context;
      const body: Json = {
        app: app.appName,
        timestamp: o.timestamp ?? Date.now(),
        version: 2,
        type: 'message',
        payload: inner,
      };
      const url = app.callbackUrl;
      if (!url) throw new Error(`sandbox gupshup: app ${app.appName} has no callback URL`);
      const statuses: Array<number | null> = [];
      const times = Math.max(1, o.times ?? 1);
      // Each of `times` is one POST of the identical body (Gupshup's retry ⇒ same payload.id, §3.1);
      // no automatic retries here so the caller sees every status.
      await track(async () => {
        for (let i = 1; i <= times && !closed; i++) statuses.push(await postOnce(app.appName, url, body, i));
      });
      return { id, statuses };
    },

    failNextDelivery(o) {
      // Default stage: Gupshup codes (500, 1000–4999) fail Gupshup-side (sync shape); Meta codes
      // (470…, 13xxxx) fail WhatsApp-side (async shape). §3.4, §8.
      const gupshupCode = o.code === 500 || (o.code >= 1000 && o.code < 5000);
      const f: DeliveryFailure = {
        code: o.code,
        reason: o.reason,
        stage: o.stage ?? (gupshupCode ? 'sync' : 'async'),
      };
      if (o.destination !== undefined) f.destination = o.destination;
      deliveryFailures.push(f);
    },

    setStatusFlow(flow) {
      statusFlow = flow.slice();
    },

    failNext(o) {
      for (let i = 0; i < o.times; i++) {
        httpFaults.push(o.body ? { status: o.status, body: o.body } : { status: o.status });
      }
    },

    setWalletEmpty(appName, empty) {
      requireApp(appName).walletEmpty = empty;
    },

    expireMedia(url) {
      const path = new URL(url).pathname;
      const entry = media.get(path.slice(MEDIA_PREFIX.length));
      if (entry) entry.expiresAt = 0;
    },

    mediaRequests() {
      return mediaLog.slice();
    },

    settle(timeoutMs = 30_000) {
      if (busy === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const waiter = (): void => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          idleWaiters = idleWaiters.filter((w) => w !== waiter);
          reject(new Error(`sandbox gupshup: ${busy} callback task(s) still pending after ${timeoutMs} ms`));
        }, timeoutMs);
        idleWaiters.push(waiter);
      });
    },
  };
  return sandbox;
}
