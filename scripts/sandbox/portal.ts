/**
 * Sandbox Bitrix24 cloud portal + its OAuth server, in one plain `node:http` server.
 *
 * It follows /work/shared/reference/bitrix24.md (cited below as §x.y) — that document, not the
 * app, is the source of truth. Where the reference is silent it does what a cloud portal does.
 * It NEVER imports anything from src/ (the app under test): the sandbox must not share the app's
 * assumptions. Used by the integration tests, `npm run demo` and the benchmarks.
 *
 * Routes (one server, same host for portal and OAuth server):
 *   POST|GET /rest/{method}[.json]   REST (§1.5): params from JSON body, form body (bracket keys) or query
 *   POST|GET /oauth/token/           OAuth refresh grant (§1.6)
 *   GET /disk/{token}/{name}         an operator's file at its `link` (§4.1; public unless made private)
 *   GET /rest/download.json?token=   the same file at its `downloadLink` (§4.1 3p), needs `auth=`
 *   GET /                            JSON status (debugging); a browser (Accept: text/html) gets a
 *                                    small portal page that frames the app as Bitrix24 does (§1.2)
 *
 * Files in `imconnector.send.messages` are downloaded at call time, as the real portal does (§3.7):
 * each `url` is fetched and the outcome recorded (`downloads()`, and on the stored file).
 *
 * Everything is in memory, synchronous per request (deterministic), and no timer outlives close().
 */
import http from 'node:http';
import https from 'node:https';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import qs from 'qs';
import { frameHostScript, INSTALL_FINISH_PATH, type FrameInit } from './portal-frame.js';

// ---------------------------------------------------------------------------------------------
// Public API (contract shared with the tests, the demo and the benchmarks)
// ---------------------------------------------------------------------------------------------

export interface SandboxPortalOptions {
  port?: number;
  host?: string;
  clientId: string;
  clientSecret: string;
  memberId?: string;
  lang?: string;
  accessTokenTtlSec?: number;
  rate?: { drainPerSec: number; burst: number };
  users?: Array<{
    ID: number;
    NAME: string;
    LAST_NAME: string;
    ADMIN: boolean;
    EMAIL?: string;
    WORK_POSITION?: string;
    UF_DEPARTMENT?: number[];
  }>;
  /** Open lines; `QUEUE` = the line's operators (default: every user), who may take a transferred chat. */
  lines?: Array<{ ID: number; LINE_NAME: string; QUEUE?: number[] }>;
  /** Company structure for department.get (default: one root department, ID 1). */
  departments?: Array<{ ID: number; NAME: string; PARENT?: number; UF_HEAD?: number }>;
  /** URL of the app's main page (the application's handler), used by the browsable portal page. */
  appUrl?: string;
  log?: (line: string) => void;
  /** Addition beyond the shared contract: keep only the last N entries of calls() (long benchmarks). Default: all. */
  callLogLimit?: number;
  /**
   * Every cloud portal shares one OAuth server (§1.6: oauth.bitrix.info). By default a sandbox portal
   * is its own; name another sandbox portal here and this one's refresh tokens are exchanged there.
   */
  oauthServer?: SandboxPortal;
  /**
   * `false`: the iframe pages carry no `APPLICATION_TOKEN` (§1.2: it is in current docs only; older
   * portals send it in ONAPPINSTALL alone). Default true.
   */
  iframeApplicationToken?: boolean;
}

export interface PortalChatMessage {
  id: number;
  chatId: number;
  line: number;
  connector: string;
  externalChatId: string;
  externalUserId: string;
  author: 'customer' | 'operator';
  text: string;
  files: Array<{
    url?: string;
    name: string;
    link?: string;
    type?: string;
    size?: number;
    /** For files the connector sent: what the portal got when it downloaded `url` (§3.7). */
    download?: FileDownload;
  }>;
  connectorMid: string[];
  delivered: boolean;
  date: number;
  updatedTimes: number;
}

/** One download of a connector-sent file `url` by the portal (§3.7: "downloaded by Bitrix24 at call time"). */
export interface FileDownload {
  url: string;
  status: number | null;
  bytes: number;
  contentType: string | null;
  error?: string;
  at: number;
}

/** An operator's file as the portal describes it in OnImConnectorMessageAdd (§4.1). */
export interface OperatorFile {
  name: string;
  type: string;
  link: string;
  size: number;
  downloadLink?: string;
  mime?: string;
}

/** A chat handed over with imopenlines.operator.transfer: to a user, or to a line's queue. */
export interface PortalTransfer {
  chatId: number;
  line: number;
  toUserId: number | null;
  toQueue: number | null;
  /** Who called the method (the token's user). */
  byUserId: number;
}

export interface SandboxPortal {
  readonly url: string;
  readonly domain: string;
  readonly oauthUrl: string;
  readonly memberId: string;
  readonly applicationToken: string;
  close(): Promise<void>;
  installApp(o: {
    installUrl: string;
    mode?: 'ui' | 'callback';
    userId?: number;
  }): Promise<{ status: number; body: string }>;
  finishInstall(): void;
  uninstallApp(o?: { clean?: boolean }): Promise<Array<{ handler: string; status: number }>>;
  isInstalled(): boolean;
  connectors(): Array<Record<string, unknown>>;
  bindings(): Array<{ event: string; handler: string }>;
  lineStatus(
    line: number,
    connector: string,
  ): { active: boolean; data: Record<string, unknown> | null; error: boolean };
  messages(filter?: { line?: number; author?: 'customer' | 'operator' }): PortalChatMessage[];
  calls(): Array<{ method: string; status: number; error?: string; at: number; params: unknown }>;
  tokenRefreshes(): number;
  operatorSend(o: {
    line: number;
    externalChatId: string;
    text: string;
    userId?: number;
    files?: OperatorFile[];
    signature?: boolean;
  }): Promise<{ messageId: number; chatId: number; responses: Array<{ handler: string; status: number }> }>;
  /**
   * An operator edits / deletes a message (§4.2, §4.3). The event goes out only for a message that has
   * a CONNECTOR_MID (acknowledged with send.status.delivery, §3.9) on a connector with
   * EDIT_INTERNAL_MESSAGES / DEL_INTERNAL_MESSAGES (default true); otherwise only the portal changes.
   */
  operatorEdit(o: { messageId: number; text: string }): Promise<Array<{ handler: string; status: number }>>;
  operatorDelete(o: { messageId: number }): Promise<Array<{ handler: string; status: number }>>;
  /**
   * Stores a file on the portal's disk, as an operator attaching it would, and returns how the portal
   * describes it in events: `link` (public, unless `linkRequiresAuth`) and a relative `downloadLink`
   * that always needs `auth=<access token>`.
   */
  addFile(o: { name: string; contentType: string; data: Buffer; linkRequiresAuth?: boolean }): OperatorFile;
  /** Every download of a connector-sent file `url` (§3.7), in order. */
  downloads(): FileDownload[];
  /** Requests for operator files at `link` / `downloadLink`, with the status answered. */
  fileRequests(): Array<{ path: string; status: number; withAuth: boolean }>;
  postEvent(o: {
    event: string;
    data: unknown;
    handler?: string;
    auth?: Record<string, string | undefined>;
  }): Promise<Array<{ handler: string; status: number; body: string }>>;
  expireAccessTokens(): void;
  failNext(o: { method: string; times: number; status: number; error: string; description?: string }): void;
  outage(o: { ms: number; status?: number; error?: string }): void;
  setRate(r: { drainPerSec: number; burst: number } | null): void;

  // --- Additions beyond the shared contract (optional helpers; nothing above depends on them) ---
  /** Fresh OAuth tokens for a portal user, as an iframe page would receive them (§1.2, §1.7). */
  issueTokens(o?: { userId?: number }): { accessToken: string; refreshToken: string; expiresIn: number };
  /** The next `count` elements of `imconnector.send.messages` fail inside an HTTP 200 (§3.7). */
  refuseNextElements(o: { count: number; error?: string }): void;
  /**
   * Opens an iframe page the way Bitrix24 does (§1.2): POST with DOMAIN/PROTOCOL/LANG/APP_SID in
   * the query and AUTH_ID…PLACEMENT_OPTIONS in the form body. For `SETTING_CONNECTOR` (§4.7) the
   * URL defaults to the connector's PLACEMENT_HANDLER and PLACEMENT_OPTIONS is filled from state.
   */
  openPlacement(o: {
    placement: string;
    url?: string;
    line?: number;
    connector?: string;
    options?: Record<string, unknown>;
    userId?: number;
  }): Promise<{ status: number; body: string }>;
  /** Where the portal page opens the app's main page (the application's handler URL). */
  setAppUrl(url: string): void;
  /** Leads and deals created through crm.lead.add / crm.deal.add. */
  crmRecords(): Array<{ entity: 'lead' | 'deal'; id: number; fields: Record<string, unknown> }>;
  /** A contact already in the CRM (as if entered by hand), found by crm.duplicate.findbycomm. Returns its id. */
  addCrmContact(o: { name: string; phone: string; assignedById: number }): number;
  /** Open-line chats handed over with imopenlines.operator.transfer, in order. */
  transfers(): PortalTransfer[];
}

export async function startSandboxPortal(opts: SandboxPortalOptions): Promise<SandboxPortal> {
  const portal = new Portal(opts);
  await portal.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  if (opts.oauthServer) {
    if (!(opts.oauthServer instanceof Portal)) throw new Error('oauthServer must be a sandbox portal');
    opts.oauthServer.addOAuthPeer(portal);
    portal.oauthUrl = opts.oauthServer.oauthUrl;
  }
  return portal;
}

// ---------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------

type Params = Record<string, unknown>;
type PortalUser = NonNullable<SandboxPortalOptions['users']>[number];

/** An OAuth server error (§1.6): `{ error, error_description }`. */
function oauthError(status: number, error: string, error_description: string) {
  return { status, body: { error, error_description } };
}

/** A REST error: `{"error": code, "error_description": …}` with an HTTP status (§1.5). */
class RestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly description: string,
  ) {
    super(`${code}: ${description}`);
  }
}

interface Res {
  result: unknown;
  total?: number;
  next?: number;
}

interface Ctx {
  /** params with top-level keys upper-cased (the core does array_change_key_case) */
  p: Params;
  user: PortalUser;
  inBatch: boolean;
}

interface AccessToken {
  userId: number;
  expiresAt: number; // ms
  forcedExpired: boolean;
  revoked: boolean;
}

interface Binding {
  id: number;
  event: string;
  handler: string;
  authType: number;
  offline: boolean;
}

interface LineState {
  active: boolean;
  error: boolean;
  data: Record<string, unknown> | null;
}

interface Chat {
  id: number;
  sessionId: number;
  line: number;
  connector: string;
  externalChatId: string;
  externalUserId: string;
  connectorUserId: number;
  name: string;
}

interface StoredMessage extends PortalChatMessage {
  deleted: boolean;
  system: boolean;
}

interface Fault {
  method: string;
  remaining: number;
  status: number;
  error: string;
  description: string;
}

const QS_OPTS = { depth: 10, arrayLimit: 1000, parameterLimit: 100_000 } as const;
const PAGE = 50; // user.get page size (§6.1)
const BATCH_MAX = 50; // §6.4
/** Sandbox choice: two deal pipelines and Bitrix24's default lead statuses. */
const SANDBOX_PIPELINES: Array<{ id: number; name: string; stages: Array<[string, string]> }> = [
  {
    id: 0,
    name: 'General',
    stages: [
      ['NEW', 'Nuevo'],
      ['PREPARATION', 'Preparación'],
      ['WON', 'Ganado'],
    ],
  },
  {
    id: 1,
    name: 'WhatsApp',
    stages: [
      ['NEW', 'Primer contacto'],
      ['EXECUTING', 'En curso'],
      ['WON', 'Venta'],
    ],
  },
];
const SANDBOX_LEAD_STATUSES: Array<[string, string]> = [
  ['NEW', 'Sin procesar'],
  ['IN_PROCESS', 'En proceso'],
  ['CONVERTED', 'Convertido'],
];
const EVENT_TIMEOUT_MS = 10_000;
const APP_SCOPE = 'imopenlines,imconnector,im,placement,user_brief,crm,department';
const BUILTIN_CONNECTORS: Record<string, string> = {
  livechat: 'Live Chat',
  telegrambot: 'Telegram',
  network: 'Bitrix24.Network',
};

/** Event names `event.bind` accepts (§0 step 2, §1.3, §1.8, §4, plus the common CRM ones). */
const KNOWN_EVENTS = new Set(
  [
    'ONAPPINSTALL',
    'ONAPPUNINSTALL',
    'ONAPPUPDATE',
    'ONAPPPAYMENT',
    'ONIMCONNECTORMESSAGEADD',
    'ONIMCONNECTORMESSAGEUPDATE',
    'ONIMCONNECTORMESSAGEDELETE',
    'ONIMCONNECTORLINEDELETE',
    'ONIMCONNECTORSTATUSDELETE',
    'ONIMCONNECTORDIALOGSTART',
    'ONIMCONNECTORDIALOGFINISH',
    'ONOPENLINEMESSAGEADD',
    'ONOPENLINEMESSAGEUPDATE',
    'ONOPENLINEMESSAGEDELETE',
    'ONSESSIONSTART',
    'ONSESSIONFINISH',
    'ONUSERADD',
    'ONOFFLINEEVENT',
    ...['LEAD', 'DEAL', 'CONTACT', 'COMPANY', 'ACTIVITY'].flatMap((e) => [
      `ONCRM${e}ADD`,
      `ONCRM${e}UPDATE`,
      `ONCRM${e}DELETE`,
    ]),
  ].sort(),
);

const DEFAULT_DESCRIPTIONS: Record<string, string> = {
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

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Scalar → string the way PHP would see it. */
function str(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (typeof v === 'boolean') return v ? '1' : '';
  return '';
}

/** PHP `empty()` semantics (§3.4). */
function phpEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '' || v === '0') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isObj(v)) return Object.keys(v).length === 0;
  return false;
}

function toInt(v: unknown): number | null {
  const s = str(v).trim();
  if (!/^-?\d+$/.test(s)) return null;
  return Number(s);
}

/** A PHP array as a JS list: arrays as-is, objects by their values (form `MESSAGES[5]` etc.). */
function listOf(v: unknown): unknown[] | null {
  if (Array.isArray(v)) return v as unknown[];
  if (isObj(v)) return Object.values(v);
  return null;
}

/** The core lower-cases every key inside MESSAGES recursively (§3). */
function lowerKeysDeep(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(lowerKeysDeep);
  if (isObj(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k.toLowerCase()] = lowerKeysDeep(x);
    return out;
  }
  return v;
}

function upperTop(p: Params): Params {
  const out: Params = {};
  for (const [k, v] of Object.entries(p)) out[k === 'auth' ? k : k.toUpperCase()] = v;
  return out;
}

function obj(v: unknown): Record<string, unknown> {
  return isObj(v) ? v : {};
}

function hex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/**
 * PHP urlencode(): everything but [A-Za-z0-9_.-] is %-encoded, space → '+'. PHP strings are bytes:
 * a lone UTF-16 surrogate stands for the invalid UTF-8 bytes a PHP string may hold (ED A0 80 for
 * U+D800, as CESU-8/WTF-8 text has them), so the sandbox can send what encodeURIComponent refuses.
 */
function phpUrlencode(s: string): string {
  return s
    .split(/([\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff])/)
    .map((part, i) => (i % 2 === 1 ? loneSurrogateBytes(part.charCodeAt(0)) : encodeURIComponent(part)))
    .join('')
    .replace(/[!'()*~]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

function loneSurrogateBytes(unit: number): string {
  return [0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)]
    .map((b) => `%${b.toString(16).toUpperCase()}`)
    .join('');
}

/**
 * PHP http_build_query(): bracket keys, booleans as 1/0, null skipped, empty arrays absent —
 * exactly how Bitrix24 form-encodes outgoing events (§2.2).
 */
export function phpHttpBuildQuery(data: Record<string, unknown>): string {
  const pairs: string[] = [];
  const walk = (v: unknown, key: string): void => {
    if (v === null || v === undefined) return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${key}[${i}]`));
      return;
    }
    if (typeof v === 'object') {
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) walk(x, `${key}[${k}]`);
      return;
    }
    const s = typeof v === 'boolean' ? (v ? '1' : '0') : str(v);
    pairs.push(`${phpUrlencode(key)}=${phpUrlencode(s)}`);
  };
  for (const [k, v] of Object.entries(data)) walk(v, k);
  return pairs.join('&');
}

/** PHP json_encode of an array with these keys: a list when keys are 0..n-1, `[]` when empty. */
function phpArray(entries: Array<[string, unknown]>): unknown {
  if (entries.length === 0) return [];
  if (entries.every(([k], i) => k === String(i))) return entries.map(([, v]) => v);
  return Object.fromEntries(entries);
}

function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

function methodName(raw: string): string {
  let m = raw.trim().toLowerCase();
  if (m.endsWith('.json')) m = m.slice(0, -5);
  return m;
}

function likeToRegExp(pattern: string): RegExp {
  const esc = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%/g, '.*')
    .replace(/_/g, '.');
  return new RegExp(`^${esc}$`, 'is');
}

function httpPost(
  target: string,
  body: string,
  headers: Record<string, string>,
  inflight: Set<http.ClientRequest>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(target);
    } catch {
      resolve({ status: 0, body: `invalid URL ${target}` });
      return;
    }
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(
      u,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Bitrix24 Webhook Engine',
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          inflight.delete(req);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (e) => {
          inflight.delete(req);
          resolve({ status: res.statusCode ?? 0, body: e.message });
        });
      },
    );
    inflight.add(req);
    req.setTimeout(EVENT_TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => {
      inflight.delete(req);
      resolve({ status: 0, body: e.message });
    });
    req.end(body);
  });
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseParams(query: string, body: string, contentType: string): Params {
  const fromQuery = qs.parse(query, QS_OPTS) as Params;
  let fromBody: Params = {};
  const trimmed = body.trim();
  if (trimmed !== '') {
    if (contentType.includes('json') || (!contentType.includes('form') && /^[[{]/.test(trimmed))) {
      try {
        const parsed: unknown = JSON.parse(trimmed);
        fromBody = isObj(parsed) ? parsed : {};
      } catch {
        fromBody = {};
      }
    } else if (!contentType.includes('multipart')) {
      fromBody = qs.parse(body, QS_OPTS);
    }
  }
  return { ...fromQuery, ...fromBody };
}

class Portal implements SandboxPortal {
  url = '';
  domain = '';
  oauthUrl = '';
  readonly memberId: string;

  private readonly server: http.Server;
  private readonly inflight = new Set<http.ClientRequest>();
  private readonly log: (line: string) => void;
  private readonly lang: string;
  private readonly ttlSec: number;
  private readonly users: PortalUser[];
  private readonly lines: Array<{ ID: number; LINE_NAME: string; QUEUE?: number[] }>;
  private readonly departments: Array<{ ID: number; NAME: string; PARENT?: number; UF_HEAD?: number }>;
  private appUrl = '';
  private readonly crm: Array<{ entity: 'lead' | 'deal'; id: number; fields: Record<string, unknown> }> = [];
  private readonly contacts: Array<{ id: number; fields: Record<string, unknown> }> = [];
  private readonly transferLog: PortalTransfer[] = [];

  // app installation state
  private installed = false;
  private finished = false;
  private appToken = '';
  private installUrl = '';
  private readonly appId = 7;
  /** APP_SIDs of the install pages the browsable portal page framed: they may finish the install (§1.4). */
  private readonly installFrames = new Set<string>();

  // auth
  private readonly accessTokens = new Map<string, AccessToken>();
  private readonly refreshTokens = new Map<string, { userId: number; valid: boolean }>();
  private readonly eventTokens = new Map<number, string>();
  private refreshes = 0;

  // REST limits & faults
  private rate: { drainPerSec: number; burst: number } | null;
  private bucket = 0;
  private bucketAt = Date.now();
  private faults: Fault[] = [];
  /** §3.7: an element can fail inside an HTTP 200 (SUCCESS:false + ERRORS); the next N elements do. */
  private elementRefusals: Array<{ remaining: number; error: string }> = [];
  private outageState: { until: number; status: number; error: string } | null = null;
  private readonly operating = new Map<string, { windowStart: number; sum: number }>();

  // records
  private readonly callLog: Array<{
    method: string;
    status: number;
    error?: string;
    at: number;
    params: unknown;
  }> = [];

  // portal data
  private readonly connectorsById = new Map<string, Record<string, unknown>>();
  private readonly lineStates = new Map<string, LineState>(); // key `${connector}|${line}`
  private bindingList: Binding[] = [];
  private readonly placements: Array<{ placement: string; handler: string; title: string }> = [];
  private readonly appOptions = new Map<string, unknown>();
  private readonly chatsByCode = new Map<string, Chat>();
  private readonly chatsById = new Map<number, Chat>();
  private readonly connectorUsers = new Map<string, number>();
  private readonly store: StoredMessage[] = [];
  private readonly storeById = new Map<number, StoredMessage>();
  private readonly storeByChat = new Map<number, StoredMessage[]>();
  private readonly disk = new Map<
    string,
    { name: string; contentType: string; data: Buffer; linkRequiresAuth: boolean }
  >();
  private readonly downloadLog: FileDownload[] = [];
  private readonly fileRequestLog: Array<{ path: string; status: number; withAuth: boolean }> = [];
  private seq = { chat: 1800, session: 320, message: 86_000, connectorUser: 580, binding: 550 };

  private readonly methods: Record<string, (c: Ctx) => Res>;

  constructor(private readonly opts: SandboxPortalOptions) {
    this.memberId = opts.memberId ?? hex(16);
    this.lang = opts.lang ?? 'es';
    this.ttlSec = opts.accessTokenTtlSec ?? 3600;
    this.rate = opts.rate ?? { drainPerSec: 2, burst: 50 }; // §7: non-Enterprise plans
    this.log = opts.log ?? (() => undefined);
    this.users = (
      opts.users ?? [
        {
          ID: 1,
          NAME: 'Ana',
          LAST_NAME: 'Admin',
          ADMIN: true,
          EMAIL: 'ana.admin@example.com',
          WORK_POSITION: 'Administradora',
          UF_DEPARTMENT: [1],
        },
        {
          ID: 2,
          NAME: 'Bruno',
          LAST_NAME: 'Agente',
          ADMIN: false,
          EMAIL: 'bruno.agente@example.com',
          WORK_POSITION: 'Agente',
          UF_DEPARTMENT: [1],
        },
      ]
    ).map((u) => ({ ...u }));
    this.lines = (
      opts.lines ?? [
        { ID: 1, LINE_NAME: 'Ventas' },
        { ID: 2, LINE_NAME: 'Soporte' },
      ]
    ).map((l) => ({ ...l }));

    this.departments = (opts.departments ?? [{ ID: 1, NAME: 'Empresa', UF_HEAD: 1 }]).map((d) => ({ ...d }));
    this.appUrl = opts.appUrl ?? '';

    this.methods = {
      // Not in reference/bitrix24.md: department and CRM lists, shapes as Bitrix24's REST docs give them
      'department.get': (c) => this.mDepartmentGet(c),
      'crm.category.list': (c) => this.mCategoryList(c),
      'crm.status.list': (c) => this.mStatusList(c),
      'crm.lead.add': (c) => this.mCrmAdd(c, 'lead'),
      'crm.deal.add': (c) => this.mCrmAdd(c, 'deal'),
      'crm.duplicate.findbycomm': (c) => this.mFindByComm(c),
      'crm.contact.get': (c) => this.mCrmGet(c, 'contact'),
      'crm.lead.get': (c) => this.mCrmGet(c, 'lead'),
      'imopenlines.operator.transfer': (c) => this.mOperatorTransfer(c),
      // §6 basics
      profile: (c) => this.mProfile(c),
      'user.admin': (c) => ({ result: c.user.ADMIN }),
      'user.current': (c) => ({ result: this.userRecord(c.user) }),
      'user.get': (c) => this.mUserGet(c, false),
      'user.search': (c) => this.mUserGet(c, true),
      'app.info': () => this.mAppInfo(),
      'app.option.set': (c) => this.mAppOptionSet(c),
      'app.option.get': (c) => this.mAppOptionGet(c),
      batch: (c) => this.mBatch(c),
      // §2.1 events
      'event.bind': (c) => this.mEventBind(c),
      'event.unbind': (c) => this.mEventUnbind(c),
      'event.get': () => ({
        result: this.bindingList.map((b) => ({
          event: b.event,
          handler: b.handler,
          auth_type: String(b.authType),
          offline: b.offline ? 1 : 0,
        })),
      }),
      events: () => ({ result: [...KNOWN_EVENTS] }),
      // §6.3 placements
      'placement.bind': (c) => this.mPlacementBind(c),
      'placement.unbind': (c) => this.mPlacementUnbind(c),
      'placement.get': () => ({ result: this.placementList() }),
      // §3 imconnector
      'imconnector.register': (c) => this.mRegister(c),
      'imconnector.unregister': (c) => this.mUnregister(c),
      'imconnector.list': (c) => this.mList(c),
      'imconnector.activate': (c) => this.mActivate(c),
      'imconnector.status': (c) => this.mStatus(c),
      'imconnector.connector.data.set': (c) => this.mDataSet(c),
      'imconnector.set.error': (c) => this.mSetError(c),
      'imconnector.send.messages': (c) => this.mSendMessages(c),
      'imconnector.update.messages': (c) => this.mUpdateMessages(c),
      'imconnector.delete.messages': (c) => this.mDeleteMessages(c),
      'imconnector.send.status.delivery': (c) => this.mStatusDelivery(c),
      'imconnector.send.status.reading': (c) => this.mStatusReading(c),
      'imconnector.chat.name.set': (c) => this.mChatNameSet(c),
      // §5 imopenlines
      'imopenlines.config.list.get': (c) => this.mConfigList(c),
      'imopenlines.config.get': (c) => this.mConfigGet(c),
      'im.message.add': (c) => this.mImMessageAdd(c),
    };

    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((e: unknown) => {
        this.log(`sandbox portal: internal error ${e instanceof Error ? e.message : String(e)}`);
        if (!res.headersSent) {
          this.send(res, 500, { error: 'INTERNAL_SERVER_ERROR', error_description: 'Internal server error' });
        } else res.end();
      });
    });
  }

  listen(port: number, host: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        const a = this.server.address() as AddressInfo;
        const h = host.includes(':') ? `[${host}]` : host;
        this.domain = `${h}:${a.port}`;
        this.url = `http://${this.domain}`;
        this.oauthUrl = this.url;
        this.log(`sandbox portal listening on ${this.url} (member_id ${this.memberId})`);
        resolve();
      });
    });
  }

  get applicationToken(): string {
    return this.installed ? this.appToken : '';
  }

  close(): Promise<void> {
    for (const r of this.inflight) r.destroy(new Error('sandbox portal closed'));
    this.inflight.clear();
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ------------------------------------------------------------------------------ HTTP layer

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    res.setHeader('access-control-allow-origin', '*');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': 'content-type',
      });
      res.end();
      return;
    }
    const u = new URL(req.url ?? '/', 'http://sandbox.invalid');
    let body = '';
    try {
      body = await readBody(req, 64 * 1024 * 1024);
    } catch {
      this.send(res, 413, { error: 'INVALID_REQUEST', error_description: 'Request body too large' });
      return;
    }
    const params = parseParams(
      u.search.slice(1),
      body,
      String(req.headers['content-type'] ?? '').toLowerCase(),
    );

    const disk = /^\/disk\/([0-9a-f]+)(?:\/.*)?$/.exec(u.pathname);
    if (disk || /^\/rest\/download\.json$/.test(u.pathname)) {
      this.serveFile(res, u, disk ? (disk[1] ?? '') : (u.searchParams.get('token') ?? ''), !disk);
      return;
    }
    if (/^\/oauth\/token\/?$/.test(u.pathname)) {
      const r = this.oauthToken(params);
      this.send(res, r.status, r.body);
      return;
    }
    const m = /^\/rest\/(.*)$/.exec(u.pathname);
    if (m) {
      const method = methodName(decodeURIComponent(m[1] ?? ''));
      if (method === 'imconnector.send.messages' || method === 'imconnector.update.messages') {
        await this.downloadFiles(params);
      }
      const r = this.rest(decodeURIComponent(m[1] ?? ''), params);
      this.send(res, r.status, r.body);
      return;
    }
    if (u.pathname === INSTALL_FINISH_PATH && req.method === 'POST') {
      // §1.4: the portal page relays the install page's installFinish.
      const appSid = str(params['APP_SID']);
      if (!this.installed || !this.installFrames.has(appSid)) {
        this.send(res, 400, {
          error: 'INVALID_REQUEST',
          error_description: 'No install page with this APP_SID',
        });
        return;
      }
      this.finished = true;
      this.log('installFinish (from the install page)');
      this.send(res, 200, { result: true });
      return;
    }
    if ((u.pathname === '/' || u.pathname === '') && String(req.headers.accept ?? '').includes('text/html')) {
      const html = this.portalPage(u.searchParams);
      res.writeHead(html.status, { 'content-type': 'text/html; charset=utf-8' });
      res.end(html.body);
      return;
    }
    if (u.pathname === '/' || u.pathname === '') {
      this.send(res, 200, {
        sandbox: 'bitrix24-portal',
        domain: this.domain,
        member_id: this.memberId,
        installed: this.installed,
        install_finished: this.finished,
        connectors: [...this.connectorsById.keys()],
        bindings: this.bindings(),
        messages: this.store.filter((x) => !x.deleted).length,
      });
      return;
    }
    this.send(res, 404, { error: 'NOT_FOUND', error_description: 'Not found' });
  }

  /** §3.7: Bitrix24 downloads each file `url` while the call runs; the outcome is kept per URL. */
  private async downloadFiles(params: Params): Promise<void> {
    const urls: string[] = [];
    for (const item of listOf(upperTop(params)['MESSAGES']) ?? []) {
      const message = obj(obj(lowerKeysDeep(item))['message']);
      for (const f of listOf(message['files']) ?? []) {
        const url = str(obj(f)['url']);
        if (url) urls.push(url);
      }
    }
    for (const url of urls) {
      const rec: FileDownload = { url, status: null, bytes: 0, contentType: null, at: Date.now() };
      try {
        const r = await fetch(url, { signal: AbortSignal.timeout(10_000), redirect: 'follow' });
        rec.status = r.status;
        rec.contentType = r.headers.get('content-type');
        rec.bytes = (await r.arrayBuffer()).byteLength;
      } catch (e) {
        rec.error = e instanceof Error ? e.message : String(e);
      }
      this.downloadLog.push(rec);
      this.log(`download ${url} → ${rec.status ?? rec.error ?? '?'}`);
    }
  }

  private lastDownload(url: string): FileDownload | undefined {
    for (let i = this.downloadLog.length - 1; i >= 0; i--) {
      if (this.downloadLog[i]?.url === url) return this.downloadLog[i];
    }
    return undefined;
  }

  /** An operator file at `link` (public unless made private) or `downloadLink` (always needs auth). */
  private serveFile(res: http.ServerResponse, u: URL, token: string, viaDownloadLink: boolean): void {
    const file = this.disk.get(token);
    const auth = u.searchParams.get('auth') ?? '';
    const withAuth = auth !== '';
    const log = (status: number) => this.fileRequestLog.push({ path: u.pathname, status, withAuth });
    if (!file) {
      log(404);
      this.send(res, 404, { error: 'NOT_FOUND', error_description: 'File not found' });
      return;
    }
    if (viaDownloadLink || file.linkRequiresAuth) {
      const info = withAuth ? this.accessTokens.get(auth) : undefined;
      if (!info || info.revoked) {
        log(401);
        this.send(res, 401, { error: 'NO_AUTH_FOUND', error_description: 'Wrong authorization data' });
        return;
      }
      if (info.forcedExpired || info.expiresAt <= Date.now()) {
        log(401);
        this.send(res, 401, {
          error: 'expired_token',
          error_description: 'The access token provided has expired.',
        });
        return;
      }
    }
    log(200);
    res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.data.length) });
    res.end(file.data);
  }

  addFile(o: { name: string; contentType: string; data: Buffer; linkRequiresAuth?: boolean }): OperatorFile {
    const token = hex(16);
    this.disk.set(token, {
      name: o.name,
      contentType: o.contentType,
      data: o.data,
      linkRequiresAuth: o.linkRequiresAuth ?? false,
    });
    const family = o.contentType.split('/')[0] ?? '';
    return {
      name: o.name,
      type: ['image', 'video', 'audio'].includes(family) ? family : 'file',
      link: `${this.url}/disk/${token}/${encodeURIComponent(o.name)}`,
      size: o.data.length,
      downloadLink: `/rest/download.json?token=${token}`,
      mime: o.contentType,
    };
  }

  downloads(): FileDownload[] {
    return this.downloadLog.map((d) => ({ ...d }));
  }

  fileRequests(): Array<{ path: string; status: number; withAuth: boolean }> {
    return this.fileRequestLog.map((r) => ({ ...r }));
  }

  private send(res: http.ServerResponse, status: number, body: unknown): void {
    const json = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(json)),
    });
    res.end(json);
  }

  // ------------------------------------------------------------------------------ OAuth (§1.6)

  private oauthToken(p: Params): { status: number; body: unknown } {
    const fault = this.takeFault('oauth/token', false);
    if (fault) {
      return { status: fault.status, body: { error: fault.error, error_description: fault.description } };
    }
    const grant = str(p['grant_type']);
    if (!grant) return oauthError(400, 'invalid_request', 'grant_type is required');
    if (str(p['client_id']) !== this.opts.clientId || str(p['client_secret']) !== this.opts.clientSecret) {
      return oauthError(401, 'invalid_client', 'Invalid client credentials');
    }
    if (grant !== 'refresh_token')
      return oauthError(400, 'invalid_request', `Unsupported grant_type ${grant}`);
    const rt = str(p['refresh_token']);
    for (const portal of [this, ...this.oauthPeers]) {
      const r = portal.exchangeRefresh(rt, this.oauthUrl);
      if (r) return r;
    }
    return oauthError(400, 'invalid_grant', 'Invalid grant');
  }

  /** Portals whose refresh tokens this one's OAuth server exchanges (one server for all, §1.6). */
  private readonly oauthPeers: Portal[] = [];
  addOAuthPeer(p: Portal): void {
    this.oauthPeers.push(p);
  }

  /** The refresh grant for one of this portal's refresh tokens; undefined when it is not one of ours. */
  private exchangeRefresh(rt: string, oauthUrl: string): { status: number; body: unknown } | undefined {
    const info = rt ? this.refreshTokens.get(rt) : undefined;
    if (!info) return undefined;
    if (!info.valid || !this.installed) return oauthError(400, 'invalid_grant', 'Invalid grant');
    // each refresh returns a NEW refresh token; the old one is dead from now on (§1.6)
    info.valid = false;
    const t = this.newTokens(info.userId);
    this.refreshes += 1;
    this.log(`oauth: refresh for user ${info.userId}`);
    return {
      status: 200,
      body: {
        access_token: t.accessToken,
        expires: Math.floor(t.expiresAt / 1000),
        expires_in: this.ttlSec,
        scope: APP_SCOPE,
        domain: new URL(oauthUrl).host, // the OAuth server's host, not the portal (§1.6)
        server_endpoint: `${oauthUrl}/rest/`,
        status: 'L',
        client_endpoint: `${this.url}/rest/`,
        member_id: this.memberId,
        user_id: info.userId,
        refresh_token: t.refreshToken,
      },
    };
  }

  private newTokens(userId: number): { accessToken: string; refreshToken: string; expiresAt: number } {
    const accessToken = hex(16);
    const refreshToken = hex(16);
    const expiresAt = Date.now() + this.ttlSec * 1000;
    this.accessTokens.set(accessToken, { userId, expiresAt, forcedExpired: false, revoked: false });
    this.refreshTokens.set(refreshToken, { userId, valid: true });
    return { accessToken, refreshToken, expiresAt };
  }

  /** Token of `userId` put into event `auth` blocks (§2.2); reused while valid. */
  private eventAccessToken(userId: number): { token: string; expiresAt: number } {
    const cached = this.eventTokens.get(userId);
    const info = cached ? this.accessTokens.get(cached) : undefined;
    if (cached && info && !info.revoked && !info.forcedExpired && info.expiresAt > Date.now() + 60_000) {
      return { token: cached, expiresAt: info.expiresAt };
    }
    const token = hex(16);
    const expiresAt = Date.now() + this.ttlSec * 1000;
    this.accessTokens.set(token, { userId, expiresAt, forcedExpired: false, revoked: false });
    this.eventTokens.set(userId, token);
    return { token, expiresAt };
  }

  private revokeAll(): void {
    for (const t of this.accessTokens.values()) t.revoked = true;
    for (const r of this.refreshTokens.values()) r.valid = false;
    this.eventTokens.clear();
  }

  issueTokens(o?: { userId?: number }): { accessToken: string; refreshToken: string; expiresIn: number } {
    const userId = o?.userId ?? this.defaultAdmin().ID;
    this.userById(userId);
    if (!this.installed) throw new Error('sandbox portal: the app is not installed');
    const t = this.newTokens(userId);
    return { accessToken: t.accessToken, refreshToken: t.refreshToken, expiresIn: this.ttlSec };
  }

  expireAccessTokens(): void {
    for (const t of this.accessTokens.values()) t.forcedExpired = true;
    this.eventTokens.clear();
  }

  tokenRefreshes(): number {
    return this.refreshes;
  }

  // ------------------------------------------------------------------------------ REST (§1.5)

  private rest(rawMethod: string, params: Params): { status: number; body: unknown } {
    const method = methodName(rawMethod);
    const start = Date.now();
    const record = (status: number, error?: string) => {
      const entry: { method: string; status: number; error?: string; at: number; params: unknown } = {
        method,
        status,
        at: start,
        params,
      };
      if (error !== undefined) entry.error = error;
      this.callLog.push(entry);
      const limit = this.opts.callLogLimit;
      if (limit !== undefined && this.callLog.length > limit) {
        this.callLog.splice(0, this.callLog.length - limit);
      }
      this.log(`REST ${method} → ${status}${error ? ` ${error}` : ''}`);
    };
    const fail = (e: RestError) => {
      record(e.status, e.code);
      return { status: e.status, body: { error: e.code, error_description: e.description } };
    };

    // injected faults first: a full outage, then failNext (neither fills the bucket)
    if (this.outageState) {
      if (Date.now() < this.outageState.until) {
        const o = this.outageState;
        return fail(new RestError(o.status, o.error, DEFAULT_DESCRIPTIONS[o.error] ?? o.error));
      }
      this.outageState = null;
    }
    const fault = this.takeFault(method, true);
    if (fault) return fail(new RestError(fault.status, fault.error, fault.description));

    // §7 leaky bucket per portal: refuse without adding when full → 503 QUERY_LIMIT_EXCEEDED
    if (!this.takeRateSlot()) return fail(new RestError(503, 'QUERY_LIMIT_EXCEEDED', 'Too many requests'));

    try {
      const user = this.authenticate(params['auth']);
      const fn = method ? this.methods[method] : undefined;
      if (!fn) throw new RestError(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!');
      const r = fn({ p: upperTop(params), user, inBatch: false });
      record(200);
      const body: Record<string, unknown> = { result: r.result };
      if (r.next !== undefined) body['next'] = r.next;
      if (r.total !== undefined) body['total'] = r.total;
      body['time'] = this.timeBlock(method, start);
      return { status: 200, body };
    } catch (e) {
      if (e instanceof RestError) return fail(e);
      throw e;
    }
  }

  private authenticate(auth: unknown): PortalUser {
    const token = typeof auth === 'string' ? auth : '';
    const info = token ? this.accessTokens.get(token) : undefined;
    if (!info || info.revoked) throw new RestError(401, 'NO_AUTH_FOUND', 'Wrong authorization data');
    if (info.forcedExpired || info.expiresAt <= Date.now()) {
      throw new RestError(401, 'expired_token', 'The access token provided has expired.');
    }
    const user = this.users.find((u) => u.ID === info.userId);
    if (!user) throw new RestError(401, 'NO_AUTH_FOUND', 'Wrong authorization data');
    return user;
  }

  private takeRateSlot(): boolean {
    if (!this.rate) return true;
    const now = Date.now();
    this.bucket = Math.max(0, this.bucket - ((now - this.bucketAt) / 1000) * this.rate.drainPerSec);
    this.bucketAt = now;
    if (this.bucket + 1 > this.rate.burst) return false;
    this.bucket += 1;
    return true;
  }

  /** `time` block of every successful response (§1.5, §7). */
  private timeBlock(method: string, startMs: number): Record<string, unknown> {
    const finish = Date.now();
    const processing = Math.max(0.0001, (finish - startMs) / 1000);
    const nowSec = Math.floor(finish / 1000);
    let op = this.operating.get(method);
    if (!op || nowSec - op.windowStart >= 600) {
      op = { windowStart: nowSec, sum: 0 };
      this.operating.set(method, op);
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

  private takeFault(method: string, allowWildcard: boolean): Fault | null {
    const i = this.faults.findIndex((f) => f.method === method || (allowWildcard && f.method === '*'));
    if (i < 0) return null;
    const f = this.faults[i];
    if (!f) return null;
    f.remaining -= 1;
    if (f.remaining <= 0) this.faults.splice(i, 1);
    return f;
  }

  failNext(o: { method: string; times: number; status: number; error: string; description?: string }): void {
    if (o.times <= 0) return;
    this.faults.push({
      method: o.method === '*' ? '*' : o.method === 'oauth/token' ? o.method : methodName(o.method),
      remaining: o.times,
      status: o.status,
      error: o.error,
      description: o.description ?? DEFAULT_DESCRIPTIONS[o.error] ?? o.error,
    });
  }

  /** The next `count` elements of `imconnector.send.messages` fail with `error`, the call itself is 200. */
  refuseNextElements(o: { count: number; error?: string }): void {
    if (o.count > 0) {
      this.elementRefusals.push({ remaining: o.count, error: o.error ?? 'CONNECTOR_PROXY_NO_ADD_USER' });
    }
  }

  outage(o: { ms: number; status?: number; error?: string }): void {
    this.outageState = {
      until: Date.now() + o.ms,
      status: o.status ?? 503,
      error: o.error ?? 'QUERY_LIMIT_EXCEEDED',
    };
  }

  setRate(r: { drainPerSec: number; burst: number } | null): void {
    this.rate = r ? { ...r } : null;
    this.bucket = 0;
    this.bucketAt = Date.now();
  }

  calls(): Array<{ method: string; status: number; error?: string; at: number; params: unknown }> {
    return this.callLog.map((c) => ({ ...c }));
  }

  // ------------------------------------------------------------------------------ users (§6.1)

  private userById(id: number): PortalUser {
    const u = this.users.find((x) => x.ID === id);
    if (!u) throw new Error(`sandbox portal: no user ${id}`);
    return u;
  }

  private defaultAdmin(): PortalUser {
    const u = this.users.find((x) => x.ADMIN) ?? this.users[0];
    if (!u) throw new Error('sandbox portal: no users configured');
    return u;
  }

  private defaultOperator(): PortalUser {
    const u = this.users.find((x) => !x.ADMIN) ?? this.users[0];
    if (!u) throw new Error('sandbox portal: no users configured');
    return u;
  }

  private userRecord(u: PortalUser): Record<string, unknown> {
    return {
      ID: String(u.ID),
      ACTIVE: true,
      NAME: u.NAME,
      LAST_NAME: u.LAST_NAME,
      SECOND_NAME: '',
      EMAIL: u.EMAIL ?? '',
      TIME_ZONE: '',
      IS_ONLINE: 'N',
      PERSONAL_GENDER: '',
      WORK_POSITION: u.WORK_POSITION ?? '',
      UF_DEPARTMENT: u.UF_DEPARTMENT ?? [1],
      USER_TYPE: 'employee',
    };
  }

  private mProfile(c: Ctx): Res {
    return {
      result: {
        ID: String(c.user.ID),
        ADMIN: c.user.ADMIN,
        NAME: c.user.NAME,
        LAST_NAME: c.user.LAST_NAME,
        PERSONAL_GENDER: '',
        TIME_ZONE: '',
      },
    };
  }

  private mUserGet(c: Ctx, search: boolean): Res {
    const reserved = new Set([
      'auth',
      'SORT',
      'ORDER',
      'FILTER',
      'ADMIN_MODE',
      'SELECT',
      'IMAGE_RESIZE',
      'START',
      'FIND',
    ]);
    let filter: Record<string, unknown> = {};
    if (isObj(c.p['FILTER'])) filter = { ...c.p['FILTER'] };
    else for (const [k, v] of Object.entries(c.p)) if (!reserved.has(k)) filter[k] = v;
    if (search && c.p['FIND'] !== undefined) filter = { NAME_SEARCH: c.p['FIND'] };
    const rows = this.users.map((u) => ({ u, rec: this.userRecord(u) }));
    const matches = rows.filter(({ rec }) =>
      Object.entries(filter).every(([k, v]) => userFilterMatch(rec, k, v)),
    );
    const sortField = str(c.p['SORT']).toUpperCase() || 'ID';
    const desc = str(c.p['ORDER']).toUpperCase() === 'DESC';
    matches.sort((a, b) => {
      const av = a.rec[sortField];
      const bv = b.rec[sortField];
      const cmp = sortField === 'ID' ? a.u.ID - b.u.ID : str(av).localeCompare(str(bv));
      return desc ? -cmp : cmp;
    });
    const startRaw = toInt(c.p['START']) ?? 0;
    const start = Math.max(0, startRaw);
    const page = matches.slice(start, start + PAGE).map((x) => x.rec);
    const res: Res = { result: page };
    if (startRaw !== -1) {
      res.total = matches.length;
      if (start + PAGE < matches.length) res.next = start + PAGE;
    }
    return res;
  }

  // ------------------------------------------------------------------------------ app (§6.2)

  // ------------------------------------------------------------------------------ departments, CRM lists

  /** department.get: filter by ID/NAME/PARENT/UF_HEAD, `sort`/`order`, pages of 50 with `start`. */
  private mDepartmentGet(c: Ctx): Res {
    const filters: Array<[string, unknown]> = ['ID', 'NAME', 'PARENT', 'UF_HEAD']
      .filter((k) => c.p[k] !== undefined && c.p[k] !== '')
      .map((k) => [k, c.p[k]]);
    const rows = this.departments
      .map((d) => ({
        ID: String(d.ID),
        NAME: d.NAME,
        SORT: 500,
        ...(d.PARENT ? { PARENT: String(d.PARENT) } : {}),
        UF_HEAD: d.UF_HEAD ? String(d.UF_HEAD) : '',
      }))
      .filter((r) =>
        filters.every(([k, v]) => {
          const actual = str((r as Record<string, unknown>)[k]).toLowerCase();
          return k === 'NAME' ? actual.includes(str(v).toLowerCase()) : actual === str(v).toLowerCase();
        }),
      );
    const sortField = str(c.p['SORT']).toUpperCase() || 'ID';
    const desc = str(c.p['ORDER']).toUpperCase() === 'DESC';
    rows.sort((a, b) => {
      const av = (a as Record<string, unknown>)[sortField];
      const bv = (b as Record<string, unknown>)[sortField];
      const cmp = sortField === 'ID' ? Number(av) - Number(bv) : str(av).localeCompare(str(bv));
      return desc ? -cmp : cmp;
    });
    const start = Math.max(0, toInt(c.p['START']) ?? 0);
    const res: Res = { result: rows.slice(start, start + PAGE), total: rows.length };
    if (start + PAGE < rows.length) res.next = start + PAGE;
    return res;
  }

  /** Deal pipelines: crm.category.list (entityTypeId 2 = deal) → `{ categories: [...] }`. */
  private mCategoryList(c: Ctx): Res {
    const type = toInt(c.p['ENTITYTYPEID']);
    if (type === null) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'entityTypeId' is null or empty");
    if (type !== 2) return { result: { categories: [] }, total: 0 };
    const categories = SANDBOX_PIPELINES.map((p) => ({
      id: p.id,
      name: p.name,
      sort: (p.id + 1) * 100,
      entityTypeId: 2,
      isDefault: p.id === 0 ? 'Y' : 'N',
    }));
    return { result: { categories }, total: categories.length };
  }

  /** crm.status.list: reference lists (lead statuses `STATUS`, deal stages `DEAL_STAGE[_n]`), `filter`/`order`. */
  private mStatusList(c: Ctx): Res {
    const filter = obj(c.p['FILTER']);
    const rows: Array<Record<string, unknown>> = [];
    let id = 1;
    for (const [sid, name] of SANDBOX_LEAD_STATUSES) {
      rows.push({
        ID: String(id++),
        ENTITY_ID: 'STATUS',
        STATUS_ID: sid,
        NAME: name,
        SORT: String(id * 10),
        SYSTEM: 'N',
      });
    }
    for (const p of SANDBOX_PIPELINES) {
      const entity = p.id === 0 ? 'DEAL_STAGE' : `DEAL_STAGE_${p.id}`;
      for (const [sid, name] of p.stages) {
        const statusId = p.id === 0 ? sid : `C${p.id}:${sid}`;
        rows.push({
          ID: String(id++),
          ENTITY_ID: entity,
          STATUS_ID: statusId,
          NAME: name,
          SORT: String(id * 10),
          SYSTEM: 'N',
          CATEGORY_ID: String(p.id),
        });
      }
    }
    const out = rows.filter((r) =>
      Object.entries(filter).every(([k, v]) => {
        const m = /^(!)?(.*)$/.exec(k.toUpperCase());
        const match = str(r[m?.[2] ?? k]).toLowerCase() === str(v).toLowerCase();
        return m?.[1] ? !match : match;
      }),
    );
    return { result: out };
  }

  /** crm.lead.add / crm.deal.add: `fields` → the new id. */
  private mCrmAdd(c: Ctx, entity: 'lead' | 'deal'): Res {
    const fields = obj(c.p['FIELDS']);
    if (Object.keys(fields).length === 0) {
      throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'fields' is null or empty");
    }
    const upper: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(fields)) upper[k.toUpperCase()] = v;
    const assigned = toInt(upper['ASSIGNED_BY_ID']);
    if (assigned !== null && !this.users.some((u) => u.ID === assigned)) {
      throw new RestError(400, 'ERROR_CORE', 'Responsible user not found');
    }
    const id =
      (this.crm.filter((r) => r.entity === entity).at(-1)?.id ?? (entity === 'lead' ? 300 : 900)) + 1;
    this.crm.push({ entity, id, fields: upper });
    return { result: id };
  }

  crmRecords(): Array<{ entity: 'lead' | 'deal'; id: number; fields: Record<string, unknown> }> {
    return this.crm.map((r) => ({ ...r, fields: { ...r.fields } }));
  }

  addCrmContact(o: { name: string; phone: string; assignedById: number }): number {
    const id = (this.contacts.at(-1)?.id ?? 40) + 1;
    this.contacts.push({
      id,
      fields: {
        NAME: o.name,
        ASSIGNED_BY_ID: o.assignedById,
        PHONE: [{ VALUE: o.phone, VALUE_TYPE: 'WORK' }],
      },
    });
    return id;
  }

  /** A record's phones (crm_multifield[] `PHONE`), digits only: the search ignores formatting. */
  private static phonesOf(fields: Record<string, unknown>): string[] {
    return (listOf(fields['PHONE']) ?? [])
      .map((f) => str(obj(f)['VALUE']).replace(/\D/g, ''))
      .filter(Boolean);
  }

  /**
   * crm.duplicate.findbycomm (b24restdocs crm/duplicates/crm-duplicate-find-by-comm.md): `type`
   * PHONE|EMAIL, `values` (≤ 20), optional `entity_type` LEAD|CONTACT|COMPANY. Answers
   * `{ LEAD?: number[], CONTACT?: number[], COMPANY?: number[] }` with only the types found; nothing
   * found is PHP's empty array, `[]`. Errors as the page lists them (the text is the `error`).
   */
  private mFindByComm(c: Ctx): Res {
    const type = str(c.p['TYPE']).toUpperCase();
    if (!type) throw new RestError(400, 'Communication type is not defined', "Parameter 'type' is required.");
    if (type !== 'PHONE' && type !== 'EMAIL') {
      throw new RestError(400, `Communication type '${type}' is not supported in current context`, '');
    }
    const values = (listOf(c.p['VALUES']) ?? []).map(str).filter((v) => v.trim() !== '');
    if (values.length === 0) {
      throw new RestError(400, 'Communication values is not defined', "Parameter 'values' is required.");
    }
    if (values.length > 20) throw new RestError(400, 'ERROR_ARGUMENT', 'Maximum number of values is 20');
    const only = str(c.p['ENTITY_TYPE']).toUpperCase();
    const found: Record<string, number[]> = {};
    if (type === 'PHONE') {
      const wanted = new Set(values.map((v) => v.replace(/\D/g, '')));
      const hit = (f: Record<string, unknown>) => Portal.phonesOf(f).some((p) => wanted.has(p));
      const leads = this.crm.filter((r) => r.entity === 'lead' && hit(r.fields)).map((r) => r.id);
      const contacts = this.contacts.filter((r) => hit(r.fields)).map((r) => r.id);
      if (leads.length && (!only || only === 'LEAD')) found['LEAD'] = leads;
      if (contacts.length && (!only || only === 'CONTACT')) found['CONTACT'] = contacts;
    }
    return { result: Object.keys(found).length ? found : [] };
  }

  /** crm.contact.get / crm.lead.get (b24restdocs crm/contacts/crm-contact-get.md): `id` → the record, ids as strings. */
  private mCrmGet(c: Ctx, entity: 'contact' | 'lead'): Res {
    const id = toInt(c.p['ID']);
    if (id === null || id <= 0) throw new RestError(400, '', 'ID is not defined or invalid.');
    const rec =
      entity === 'contact'
        ? this.contacts.find((r) => r.id === id)
        : this.crm.find((r) => r.entity === 'lead' && r.id === id);
    if (!rec) throw new RestError(400, '', 'Not found');
    const f = rec.fields;
    const phones = (listOf(f['PHONE']) ?? []).map((p, i) => ({
      ID: String(500 + i),
      VALUE_TYPE: str(obj(p)['VALUE_TYPE']) || 'WORK',
      VALUE: str(obj(p)['VALUE']),
      TYPE_ID: 'PHONE',
    }));
    const out: Record<string, unknown> = {
      ID: String(id),
      NAME: str(f['NAME']),
      ...(entity === 'lead' ? { TITLE: str(f['TITLE']), STATUS_ID: str(f['STATUS_ID']) || 'NEW' } : {}),
      ASSIGNED_BY_ID: str(f['ASSIGNED_BY_ID']) || '1',
      HAS_PHONE: phones.length ? 'Y' : 'N',
    };
    if (phones.length) out['PHONE'] = phones; // multifields only when set (the page's note)
    return { result: out };
  }

  /**
   * imopenlines.operator.transfer (b24restdocs imopenlines/openlines/operators/…-transfer.md; checks
   * and errors as the core's Rest::operatorTransfer): `CHAT_ID`, `TRANSFER_ID` = a user id or
   * `queue<line>`. A chat that does not exist, or a user who is not an operator of the chat's line,
   * is `OPERATOR_WRONG`. Answers `true`.
   */
  private mOperatorTransfer(c: Ctx): Res {
    const chatId = toInt(c.p['CHAT_ID']) ?? 0;
    if (chatId <= 0) throw new RestError(400, 'CHAT_ID_EMPTY', "Chat ID can't be empty");
    let userParam = c.p['USER_ID'];
    let queueParam = c.p['QUEUE_ID'];
    const transfer = str(c.p['TRANSFER_ID']);
    if (c.p['TRANSFER_ID'] !== undefined) {
      if (transfer.startsWith('queue')) queueParam = transfer.slice(5);
      else userParam = transfer;
    }
    let toUserId: number | null = null;
    let toQueue: number | null = null;
    if (userParam !== undefined) {
      toUserId = toInt(userParam) ?? 0;
      if (toUserId <= 0) throw new RestError(400, 'USER_ID_EMPTY', "User ID can't be empty");
    } else if (queueParam !== undefined) {
      toQueue = toInt(queueParam) ?? 0;
      if (toQueue <= 0) throw new RestError(400, 'QUEUE_ID_EMPTY', "QUEUE ID can't be empty");
    } else {
      throw new RestError(400, 'TRANSFER_ID_EMPTY', "Queue ID or User ID can't be empty");
    }
    const chat = this.chatsById.get(chatId);
    const line = chat ? this.lines.find((l) => l.ID === chat.line) : undefined;
    const operators = line?.QUEUE ?? this.users.map((u) => u.ID);
    const ok =
      chat !== undefined &&
      (toUserId !== null
        ? this.users.some((u) => u.ID === toUserId) && operators.includes(toUserId)
        : this.lines.some((l) => l.ID === toQueue));
    if (!ok || !chat) throw new RestError(400, 'OPERATOR_WRONG', 'You can not redirect to this operator');
    this.transferLog.push({ chatId, line: chat.line, toUserId, toQueue, byUserId: c.user.ID });
    return { result: true };
  }

  transfers(): PortalTransfer[] {
    return this.transferLog.map((t) => ({ ...t }));
  }

  setAppUrl(url: string): void {
    this.appUrl = url;
  }

  // ------------------------------------------------------------------------------ browsable portal page

  /**
   * A page that looks like a portal and frames the app the way Bitrix24 does (§1.2): an auto-submitted
   * POST form into an <iframe>, with a fresh AUTH_ID of the chosen user, DOMAIN/PROTOCOL/LANG/APP_SID
   * in the query and PLACEMENT/PLACEMENT_OPTIONS in the body. `?view=connector&line=N` opens the
   * SETTING_CONNECTOR placement (§4.7), `?view=install` the install page again (§1.4); `?lang=` and
   * `?user=` switch the viewer. The page answers the frame's messages as Bitrix24's does
   * (portal-frame.ts). Unlike Bitrix24, which names the frame "DOMAIN|PROTOCOL|APP_SID", it names it
   * `app`: the same values are in the query of the frame's URL.
   */
  private portalPage(q: URLSearchParams): { status: number; body: string } {
    const esc = (v: unknown) => str(v).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
    const lang = /^[a-z]{2}$/.test(q.get('lang') ?? '') ? (q.get('lang') as string) : this.lang;
    const userId = toInt(q.get('user')) ?? this.defaultAdmin().ID;
    const user = this.users.find((u) => u.ID === userId) ?? this.defaultAdmin();
    const viewName =
      q.get('view') === 'connector' || q.get('view') === 'install' ? (q.get('view') as string) : 'app';
    const line = toInt(q.get('line')) ?? this.lines[0]?.ID ?? 1;
    const link = (o: Record<string, string | number>) => {
      const p = new URLSearchParams({ lang, user: String(user.ID), view: viewName, line: String(line) });
      for (const [k, v] of Object.entries(o)) p.set(k, String(v));
      return `/?${p.toString()}`;
    };
    let frame = '';
    if (!this.installed) {
      frame = '<p class="note">La aplicación no está instalada en este portal.</p>';
    } else {
      let target: { url: string; placement: string; options: Record<string, unknown> } | null = null;
      try {
        if (viewName === 'connector') target = this.placementTarget({ placement: 'SETTING_CONNECTOR', line });
        else if (viewName === 'install') target = { url: this.installUrl, placement: 'DEFAULT', options: {} };
        else target = this.placementTarget({ placement: 'DEFAULT' });
      } catch (e) {
        frame = `<p class="note">${esc(e instanceof Error ? e.message : e)}</p>`;
      }
      if (target) frame = this.framedApp(target, user, lang, viewName === 'install', esc);
    }
    const langs = ['es', 'en', 'pt']
      .map(
        (l) => `<a class="${l === lang ? 'on' : ''}" href="${esc(link({ lang: l }))}">${l.toUpperCase()}</a>`,
      )
      .join(' ');
    const users = this.users
      .map(
        (u) =>
          `<a class="${u.ID === user.ID ? 'on' : ''}" href="${esc(link({ user: u.ID }))}">${esc(u.NAME)} ${esc(u.LAST_NAME)}${u.ADMIN ? ' (admin)' : ''}</a>`,
      )
      .join(' · ');
    const lineLinks = this.lines
      .map(
        (l) =>
          `<a class="${viewName === 'connector' && l.ID === line ? 'on' : ''}" href="${esc(link({ view: 'connector', line: l.ID }))}">WhatsApp · ${esc(l.LINE_NAME)}</a>`,
      )
      .join('');
    const body = `<!doctype html><html lang="${esc(lang)}"><head><meta charset="utf-8"><title>Bitrix24 (sandbox)</title>
<style>
body{margin:0;font:14px/1.4 "Open Sans","Helvetica Neue",Helvetica,Arial,sans-serif;background:#1f8fc0;color:#333;display:flex;min-height:100vh}
nav{width:220px;padding:18px 10px;color:#fff}nav b{display:block;font-size:20px;margin:0 10px 18px}nav a{display:block;color:#fff;text-decoration:none;padding:7px 10px;border-radius:16px;opacity:.85}
nav a.on,nav a:hover{background:rgba(255,255,255,.2);opacity:1}nav h4{margin:16px 10px 6px;font-size:11px;text-transform:uppercase;opacity:.7}
main{flex:1;padding:14px 16px 16px 0;display:flex;flex-direction:column}header{color:#fff;display:flex;gap:18px;align-items:center;margin-bottom:10px;font-size:13px}
header a{color:#fff;opacity:.8}header a.on{opacity:1;font-weight:700;text-decoration:none}iframe{flex:1;width:100%;min-height:640px;border:0;border-radius:12px;background:#eef2f4}
.note{background:#fff;border-radius:12px;padding:20px}
</style></head><body>
<nav><b>Bitrix24</b><a class="${viewName === 'app' ? 'on' : ''}" href="${esc(link({ view: 'app' }))}">WhatsApp B24</a><h4>Contact Center</h4>${lineLinks}</nav>
<main><header><span>${esc(this.domain)}</span><span>LANG: ${langs}</span><span>${users}</span></header>${frame}</main>
</body></html>`;
    return { status: 200, body };
  }

  /** The auto-submitted iframe POST of §1.2, and the answers to the frame's messages. */
  private framedApp(
    target: { url: string; placement: string; options: Record<string, unknown> },
    user: PortalUser,
    lang: string,
    install: boolean,
    esc: (v: unknown) => string,
  ): string {
    const fields = this.iframeFields(user.ID, target.placement, target.options);
    const inputs = Object.entries(fields)
      .map(([k, v]) => `<input type="hidden" name="${esc(k)}" value="${esc(v)}">`)
      .join('');
    const action = this.iframeQuery(target.url, lang);
    const appSid = new URL(action).searchParams.get('APP_SID') ?? '';
    if (install) this.installFrames.add(appSid);
    const init: FrameInit = {
      DOMAIN: this.domain,
      PROTOCOL: '0',
      LANG: lang,
      PATH: `/marketplace/app/${this.appId}/`,
      MEMBER_ID: this.memberId,
      IS_ADMIN: user.ADMIN,
      AUTH_ID: fields.AUTH_ID,
      REFRESH_ID: fields.REFRESH_ID,
      AUTH_EXPIRES: fields.AUTH_EXPIRES,
      APP_OPTIONS: {},
      USER_OPTIONS: {},
      PLACEMENT: target.placement,
      PLACEMENT_OPTIONS: target.options,
      INSTALL: !this.finished,
      FIRST_RUN: false,
    };
    return (
      `<form id="open" method="post" target="app" action="${esc(action)}">${inputs}</form>` +
      `<iframe name="app" id="app-frame" title="app"></iframe>` +
      frameHostScript({ frameId: 'app-frame', appOrigin: new URL(action).origin, appSid, init }) +
      `<script>document.getElementById('open').submit();</script>`
    );
  }

  private mAppInfo(): Res {
    return {
      result: {
        ID: this.appId,
        CODE: this.opts.clientId,
        VERSION: 1,
        STATUS: 'L',
        INSTALLED: this.installed && this.finished, // §1.4: false until installFinish
        PAYMENT_EXPIRED: 'N',
        DAYS: null,
        LANGUAGE_ID: this.lang,
        LICENSE: `${this.lang}_project`,
        LICENSE_TYPE: 'project',
        LICENSE_FAMILY: 'project',
      },
    };
  }

  private mAppOptionSet(c: Ctx): Res {
    const options = obj(c.p['OPTIONS']);
    if (Object.keys(options).length === 0) {
      throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'options' is null or empty");
    }
    for (const [k, v] of Object.entries(options)) this.appOptions.set(k, v);
    return { result: true };
  }

  private mAppOptionGet(c: Ctx): Res {
    const key = str(c.p['OPTION']);
    if (key) return { result: this.appOptions.get(key) ?? null };
    return { result: Object.fromEntries(this.appOptions) };
  }

  // ------------------------------------------------------------------------------ batch (§6.4)

  private mBatch(c: Ctx): Res {
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
    const results = new Map<string, unknown>();
    const result: Array<[string, unknown]> = [];
    const errors: Array<[string, unknown]> = [];
    const totals: Array<[string, unknown]> = [];
    const nexts: Array<[string, unknown]> = [];
    const times: Array<[string, unknown]> = [];
    for (const [key, value] of entries) {
      const started = Date.now();
      const cmd = this.substituteResults(str(value), results);
      const q = cmd.indexOf('?');
      const method = methodName(q >= 0 ? cmd.slice(0, q) : cmd);
      const subParams = qs.parse(q >= 0 ? cmd.slice(q + 1) : '', QS_OPTS) as Params;
      try {
        if (method === 'batch') {
          throw new RestError(405, 'ERROR_BATCH_METHOD_NOT_ALLOWED', 'Method is not allowed for batch usage');
        }
        const fault = this.takeFault(method, false);
        if (fault) throw new RestError(fault.status, fault.error, fault.description);
        const fn = this.methods[method];
        if (!fn) throw new RestError(404, 'ERROR_METHOD_NOT_FOUND', 'Method not found!');
        const r = fn({ p: upperTop(subParams), user: c.user, inBatch: true });
        results.set(key, r.result);
        result.push([key, r.result]);
        if (r.total !== undefined) totals.push([key, r.total]);
        if (r.next !== undefined) nexts.push([key, r.next]);
        times.push([key, this.timeBlock(method, started)]);
      } catch (e) {
        if (!(e instanceof RestError)) throw e;
        errors.push([key, { error: e.code, error_description: e.description }]);
        if (halt) break;
      }
    }
    return {
      result: {
        result: phpArray(result),
        result_error: phpArray(errors),
        result_total: phpArray(totals),
        result_next: phpArray(nexts),
        result_time: phpArray(times),
      },
    };
  }

  /** `$result[key][field]…` references to earlier sub-call results (§6.4). */
  private substituteResults(cmd: string, results: Map<string, unknown>): string {
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

  // ------------------------------------------------------------------------------ events (§2.1)

  private mEventBind(c: Ctx): Res {
    const event = str(c.p['EVENT']).toUpperCase();
    const handler = str(c.p['HANDLER']);
    if (!event) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'EVENT' is null or empty");
    if (!handler) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'HANDLER' is null or empty");
    if (!KNOWN_EVENTS.has(event)) throw new RestError(400, 'ERROR_EVENT_NOT_FOUND', 'Event not found');
    try {
      const h = new URL(handler);
      if (h.protocol !== 'http:' && h.protocol !== 'https:') throw new Error('scheme');
    } catch {
      throw new RestError(400, 'ERROR_ARGUMENT', 'Wrong handler URL');
    }
    const offline = str(c.p['EVENT_TYPE']).toLowerCase() === 'offline';
    const authType = toInt(c.p['AUTH_TYPE']) ?? 0;
    if (!c.user.ADMIN && (offline || (authType !== 0 && authType !== c.user.ID))) {
      throw new RestError(403, 'ACCESS_DENIED', 'Access denied!');
    }
    // non-admins bind on behalf of themselves (§2.1 auth_type)
    const effectiveAuthType = !c.user.ADMIN ? c.user.ID : authType;
    const dup = this.bindingList.some(
      (b) =>
        b.event === event &&
        b.handler === handler &&
        b.authType === effectiveAuthType &&
        b.offline === offline,
    );
    // §2.1: re-binding the same event+handler → ERROR_HANDLER_ALREADY_EXIST (reference: "expect it")
    if (dup) throw new RestError(400, 'ERROR_HANDLER_ALREADY_EXIST', 'Handler already exists!');
    this.seq.binding += 1;
    this.bindingList.push({ id: this.seq.binding, event, handler, authType: effectiveAuthType, offline });
    return { result: true };
  }

  private mEventUnbind(c: Ctx): Res {
    if (!c.user.ADMIN) throw new RestError(403, 'ACCESS_DENIED', 'Access denied!');
    const event = str(c.p['EVENT']).toUpperCase();
    const handler = str(c.p['HANDLER']);
    const hasAuthType = c.p['AUTH_TYPE'] !== undefined;
    const authType = toInt(c.p['AUTH_TYPE']) ?? 0;
    const offline = str(c.p['EVENT_TYPE']).toLowerCase() === 'offline';
    const before = this.bindingList.length;
    this.bindingList = this.bindingList.filter(
      (b) =>
        !(
          (!event || b.event === event) &&
          (!handler || b.handler === handler) &&
          (!hasAuthType || b.authType === authType) &&
          b.offline === offline
        ),
    );
    return { result: { count: before - this.bindingList.length } };
  }

  bindings(): Array<{ event: string; handler: string }> {
    return this.bindingList.map((b) => ({ event: b.event, handler: b.handler }));
  }

  // ------------------------------------------------------------------------------ placements (§6.3, §4.7)

  private mPlacementBind(c: Ctx): Res {
    if (!c.user.ADMIN) {
      throw new RestError(403, 'ACCESS_DENIED', 'Access denied! Available only for administrators');
    }
    const placement = str(c.p['PLACEMENT']).toUpperCase();
    const handler = str(c.p['HANDLER']);
    if (!placement) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'PLACEMENT' is null or empty");
    if (!handler) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'HANDLER' is null or empty");
    if (this.placements.some((x) => x.placement === placement && x.handler === handler)) {
      throw new RestError(400, 'ERROR_PLACEMENT_HANDLER_EXISTS', 'Handler already binded');
    }
    this.placements.push({ placement, handler, title: str(c.p['TITLE']) });
    return { result: true };
  }

  private mPlacementUnbind(c: Ctx): Res {
    if (!c.user.ADMIN) {
      throw new RestError(403, 'ACCESS_DENIED', 'Access denied! Available only for administrators');
    }
    const placement = str(c.p['PLACEMENT']).toUpperCase();
    const handler = str(c.p['HANDLER']);
    let count = 0;
    for (let i = this.placements.length - 1; i >= 0; i--) {
      const x = this.placements[i];
      if (x && x.placement === placement && (!handler || x.handler === handler)) {
        this.placements.splice(i, 1);
        count += 1;
      }
    }
    return { result: { count } };
  }

  private placementList(): Array<Record<string, unknown>> {
    const auto = [...this.connectorsById.values()].map((cn) => ({
      placement: 'SETTING_CONNECTOR',
      userId: 0,
      handler: str(cn['PLACEMENT_HANDLER']),
      options: [],
      title: str(cn['NAME']),
      description: '',
    }));
    return [
      ...auto,
      ...this.placements.map((x) => ({
        placement: x.placement,
        userId: 0,
        handler: x.handler,
        options: [],
        title: x.title,
        description: '',
      })),
    ];
  }

  // ------------------------------------------------------------------------------ imconnector (§3)

  private mRegister(c: Ctx): Res {
    // §3.1: failures are HTTP 200 with result.result:false
    const failed = (error: string, error_description: string): Res => ({
      result: { result: false, error, error_description },
    });
    const idRaw = str(c.p['ID']).trim();
    if (!idRaw) return failed('CONNECTOR_ID_REQUIRED', 'Connector ID is required');
    if (idRaw.includes('.')) {
      return failed('APPLICATION_REGISTRATION_ERROR_POINT', 'The connector ID must not contain a dot');
    }
    const id = idRaw.toLowerCase();
    if (!/^[a-z0-9_]+$/.test(id)) {
      return failed('APPLICATION_REGISTRATION_ERROR', 'Connector ID may only contain a-z, 0-9 and _');
    }
    if (phpEmpty(c.p['NAME'])) return failed('NAME_REQUIRED', 'Connector name is required');
    const icon = c.p['ICON'];
    if (!isObj(icon) || phpEmpty(icon['DATA_IMAGE'])) {
      return failed('ICON_REQUIRED', 'Connector icon (ICON[DATA_IMAGE]) is required');
    }
    if (phpEmpty(c.p['PLACEMENT_HANDLER'])) {
      return failed('NO_PLACEMENT_HANDLER', 'PLACEMENT_HANDLER is required');
    }
    if (BUILTIN_CONNECTORS[id] !== undefined) {
      return failed('GENERAL_CONNECTOR_REGISTRATION_ERROR', 'A built-in connector with this ID exists');
    }
    const record: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(c.p)) if (k !== 'auth') record[k] = v;
    record['ID'] = id;
    this.connectorsById.set(id, record); // same ID again = update (§3.1)
    return { result: { result: true } };
  }

  private mUnregister(c: Ctx): Res {
    const id = str(c.p['ID']).trim().toLowerCase();
    if (!id || !this.connectorsById.has(id)) {
      return {
        result: {
          result: false,
          error: 'APPLICATION_UNREGISTRATION_ERROR',
          error_description: 'Connector is not registered',
        },
      };
    }
    this.dropConnector(id); // §3.2: also removes the status rows of all lines
    return { result: { result: true } };
  }

  private dropConnector(id: string): void {
    this.connectorsById.delete(id);
    for (const key of [...this.lineStates.keys()]) if (key.startsWith(`${id}|`)) this.lineStates.delete(key);
  }

  private mList(c: Ctx): Res {
    if (!c.user.ADMIN) throw new RestError(400, 'ACCESS_DENIED', 'Access denied'); // §3.3
    const out: Record<string, unknown> = { ...BUILTIN_CONNECTORS };
    for (const [id, cn] of this.connectorsById) out[id] = str(cn['NAME']) || id;
    return { result: out };
  }

  /** Flag of a registered connector: only real booleans count, else the default (§3.1). */
  private flag(connector: string, name: string, def: boolean): boolean {
    const v = this.connectorsById.get(connector)?.[name];
    return typeof v === 'boolean' ? v : def;
  }

  private argConnector(p: Params): string {
    const cn = str(p['CONNECTOR']).trim().toLowerCase();
    if (!cn) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'CONNECTOR' is null or empty");
    return cn;
  }

  private argLine(p: Params, required = true): number {
    if (phpEmpty(p['LINE'])) {
      if (!required) return 0;
      throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'LINE' is null or empty");
    }
    const line = toInt(p['LINE']);
    if (line === null) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'LINE' must be an integer");
    return line;
  }

  private requireProvider(cn: string): void {
    if (!this.connectorsById.has(cn)) {
      throw new RestError(
        400,
        'IMCONNECTOR_NO_CORRECT_PROVIDER',
        'Incorrect connector ID or the connector is not registered',
      );
    }
  }

  private lineKey(cn: string, line: number): string {
    return `${cn}|${line}`;
  }

  /** STATUS = active ∧ connected ∧ registered ∧ no error (§3.5); activate sets all three (core). */
  private lineUp(cn: string, line: number): boolean {
    const st = this.lineStates.get(this.lineKey(cn, line));
    return !!st && st.active && !st.error;
  }

  private requireActiveLine(cn: string, line: number): void {
    if (!this.lines.some((l) => l.ID === line) || !this.lineUp(cn, line)) {
      throw new RestError(400, 'NOT_ACTIVE_LINE', 'The open line is not active for this connector');
    }
  }

  private mActivate(c: Ctx): Res {
    const cn = this.argConnector(c.p);
    const line = this.argLine(c.p);
    if (!('ACTIVE' in c.p)) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'ACTIVE' is null or empty");
    this.requireProvider(cn);
    const key = this.lineKey(cn, line);
    if (phpEmpty(c.p['ACTIVE'])) {
      // §3.4 core: disabling deletes the status record of that line, data.set data included
      this.lineStates.delete(key);
    } else {
      // §3.4: any non-empty value enables ("N" too); clears the error flag
      const st = this.lineStates.get(key) ?? { active: false, error: false, data: null };
      st.active = true;
      st.error = false;
      this.lineStates.set(key, st);
    }
    return { result: true };
  }

  private mStatus(c: Ctx): Res {
    const cn = this.argConnector(c.p);
    const line = this.argLine(c.p, false); // §3.5: LINE defaults to 0
    this.requireProvider(cn);
    const st = line === 0 ? undefined : this.lineStates.get(this.lineKey(cn, line));
    const configured = !!st?.active && this.lines.some((l) => l.ID === line);
    return {
      result: {
        LINE: line,
        CONNECTOR: cn,
        ERROR: !!st?.error,
        CONFIGURED: configured,
        STATUS: configured && !st?.error,
      },
    };
  }

  private mDataSet(c: Ctx): Res {
    const cn = this.argConnector(c.p);
    const line = this.argLine(c.p);
    const data = c.p['DATA'];
    if (!isObj(data) || phpEmpty(data)) {
      throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'DATA' is null or empty");
    }
    this.requireProvider(cn);
    const key = this.lineKey(cn, line);
    const st = this.lineStates.get(key) ?? { active: false, error: false, data: null };
    // §3.6: keys case-insensitive; core merges the non-empty keys into what is stored
    const merged: Record<string, unknown> = { ...(st.data ?? {}) };
    for (const [k, v] of Object.entries(data)) if (!phpEmpty(v)) merged[k.toUpperCase()] = v;
    st.data = merged;
    this.lineStates.set(key, st);
    return { result: true };
  }

  private mSetError(c: Ctx): Res {
    const cn = this.argConnector(c.p);
    const line = this.argLine(c.p);
    this.requireProvider(cn);
    const st = this.lineStates.get(this.lineKey(cn, line));
    if (st) st.error = true; // §3.12: re-activate clears it
    return { result: true };
  }

  lineStatus(
    line: number,
    connector: string,
  ): { active: boolean; data: Record<string, unknown> | null; error: boolean } {
    const st = this.lineStates.get(this.lineKey(connector.toLowerCase(), line));
    if (!st) return { active: false, data: null, error: false };
    return { active: st.active, data: st.data ? { ...st.data } : null, error: st.error };
  }

  connectors(): Array<Record<string, unknown>> {
    return [...this.connectorsById.values()].map((c) => ({ ...c }));
  }

  /** CONNECTOR/LINE/MESSAGES validation shared by send/update/delete/status methods (§3, §3.7). */
  private messagesArgs(
    c: Ctx,
    needs: string[],
    requireActive: boolean,
  ): { cn: string; line: number; items: Array<Record<string, Record<string, unknown>>> } {
    const cn = this.argConnector(c.p);
    const line = this.argLine(c.p);
    const list = listOf(c.p['MESSAGES']);
    if (!list || list.length === 0) {
      throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'MESSAGES' is null or empty");
    }
    const items = list.map((raw, i) => {
      const el = lowerKeysDeep(raw);
      if (!isObj(el)) throw new RestError(400, 'ERROR_ARGUMENT', `MESSAGES[${i}] is not an array`);
      const out: Record<string, Record<string, unknown>> = {};
      for (const k of needs) {
        const part = el[k];
        if (!isObj(part)) {
          throw new RestError(400, 'ERROR_ARGUMENT', `Argument 'MESSAGES[${i}][${k}]' is null or empty`);
        }
        out[k] = part;
      }
      for (const [k, v] of Object.entries(el)) if (!(k in out) && isObj(v)) out[k] = v;
      return out;
    });
    this.requireProvider(cn);
    if (requireActive) this.requireActiveLine(cn, line);
    return { cn, line, items };
  }

  private connectorUserId(cn: string, externalUserId: string): number {
    const xml = `${cn}|${externalUserId}`; // XML_ID of the connector user (§3.7)
    let id = this.connectorUsers.get(xml);
    if (id === undefined) {
      this.seq.connectorUser += 1;
      id = this.seq.connectorUser;
      this.connectorUsers.set(xml, id);
    }
    return id;
  }

  /** One stable Bitrix24 chat per USER_CODE `connector|LINE|chat.id|user.id` (§3.7). */
  private chatFor(cn: string, line: number, externalChatId: string, externalUserId: string): Chat {
    const code = `${cn}|${line}|${externalChatId}|${externalUserId}`;
    let chat = this.chatsByCode.get(code);
    if (!chat) {
      this.seq.chat += 1;
      this.seq.session += 1;
      chat = {
        id: this.seq.chat,
        sessionId: this.seq.session,
        line,
        connector: cn,
        externalChatId,
        externalUserId,
        connectorUserId: this.connectorUserId(cn, externalUserId),
        name: '',
      };
      this.chatsByCode.set(code, chat);
      this.chatsById.set(chat.id, chat);
    }
    return chat;
  }

  private findChat(
    cn: string,
    line: number,
    externalChatId: string,
    externalUserId: string,
  ): Chat | undefined {
    if (externalUserId) return this.chatsByCode.get(`${cn}|${line}|${externalChatId}|${externalUserId}`);
    return [...this.chatsByCode.values()].find(
      (x) => x.connector === cn && x.line === line && x.externalChatId === externalChatId,
    );
  }

  private static files(v: unknown): PortalChatMessage['files'] {
    const list = listOf(v) ?? [];
    const out: PortalChatMessage['files'] = [];
    for (const f of list) {
      if (!isObj(f)) continue;
      const file: PortalChatMessage['files'][number] = { name: str(f['name']) };
      if (f['url'] !== undefined) file.url = str(f['url']);
      if (f['link'] !== undefined) file.link = str(f['link']);
      if (f['type'] !== undefined) file.type = str(f['type']);
      const size = toInt(f['size']);
      if (size !== null) file.size = size;
      if (!file.name && file.url) file.name = file.url.split('/').pop()?.split('?')[0] ?? 'file';
      out.push(file);
    }
    return out;
  }

  private withDownloads(files: PortalChatMessage['files']): PortalChatMessage['files'] {
    for (const f of files) {
      const d = f.url ? this.lastDownload(f.url) : undefined;
      if (d) f.download = { ...d };
    }
    return files;
  }

  /** The element echoed back in DATA.RESULT[] (§3.7 response). */
  private echo(item: Record<string, Record<string, unknown>>, userId: string): Record<string, unknown> {
    const message: Record<string, unknown> = { ...(item['message'] ?? {}) };
    if (message['date'] !== undefined) message['date'] = {}; // a PHP DateTime json-encodes as {}
    if (message['files'] === undefined) message['files'] = [];
    const chat: Record<string, unknown> = { ...(item['chat'] ?? {}) };
    if (chat['url'] !== undefined) {
      // §3.7 core: chat.url is not stored as a URL; it becomes the description
      chat['description'] = `Link to the original post: ${str(chat['url'])}`;
      delete chat['url'];
    }
    const out: Record<string, unknown> = { user: userId, message, chat };
    const extra: Record<string, unknown> = {};
    const skip = item['user']?.['skip_phone_validate'];
    if (skip !== undefined) extra['skip_phone_validate'] = skip;
    const disable = message['disable_crm'];
    if (disable !== undefined) extra['disable_tracker'] = disable;
    if (Object.keys(extra).length) out['extra'] = extra;
    return out;
  }

  private mSendMessages(c: Ctx): Res {
    const { cn, line, items } = this.messagesArgs(c, ['user', 'message', 'chat'], true);
    const results = items.map((item) => {
      const user = item['user'] ?? {};
      const message = item['message'] ?? {};
      const chatIn = item['chat'] ?? {};
      const errors: string[] = [];
      const extUser = str(user['id']).trim();
      const extChat = str(chatIn['id']).trim();
      const text = str(message['text']);
      const files = this.withDownloads(Portal.files(message['files']));
      if (!extUser) errors.push('User ID (user.id) is required');
      if (!extChat) errors.push('Chat ID (chat.id) is required');
      if (!text.trim() && files.length === 0) errors.push('Message text or files are required');
      const refusal = errors.length ? undefined : this.elementRefusals[0];
      if (refusal) {
        errors.push(refusal.error);
        refusal.remaining -= 1;
        if (refusal.remaining <= 0) this.elementRefusals.shift();
      }
      if (errors.length) return { ...this.echo(item, extUser), SUCCESS: false, ERRORS: errors };
      const chat = this.chatFor(cn, line, extChat, extUser);
      if (!chat.name && str(chatIn['name'])) chat.name = str(chatIn['name']);
      const mid = message['id'];
      const date = toInt(message['date']);
      this.seq.message += 1;
      this.addMessage({
        id: this.seq.message,
        chatId: chat.id,
        line,
        connector: cn,
        externalChatId: extChat,
        externalUserId: extUser,
        // §3.7 message.user_id: posted on behalf of a manager (no echo event: [unverified] → none)
        author: phpEmpty(message['user_id']) ? 'customer' : 'operator',
        text,
        files, // recorded by url+name, with what downloading each url gave
        connectorMid: mid === undefined || mid === '' ? [] : (listOf(mid) ?? [mid]).map(str),
        delivered: false,
        date: date ?? Math.floor(Date.now() / 1000),
        updatedTimes: 0,
        deleted: false,
        system: false,
      });
      return {
        ...this.echo(item, String(chat.connectorUserId)),
        SUCCESS: true,
        session: { ID: String(chat.sessionId), CHAT_ID: String(chat.id) },
      };
    });
    return { result: { SUCCESS: results.every((r) => r.SUCCESS), DATA: { RESULT: results } } };
  }

  /** Message lookup by CONNECTOR_MID = message.id inside the element's chat (§3.8). */
  private findByMid(
    cn: string,
    line: number,
    item: Record<string, Record<string, unknown>>,
  ): { chat?: Chat; msg?: StoredMessage; error?: string } {
    const extUser = str(item['user']?.['id']).trim();
    const extChat = str(item['chat']?.['id']).trim();
    const mid = str(item['message']?.['id']).trim();
    if (!extChat) return { error: 'Chat ID (chat.id) is required' };
    if (!mid) return { error: 'Message ID (message.id) is required' };
    const chat = this.findChat(cn, line, extChat, extUser);
    if (!chat) return { error: 'Chat not found' };
    const msg = (this.storeByChat.get(chat.id) ?? []).find((m) => !m.deleted && m.connectorMid.includes(mid));
    if (!msg) return { chat, error: `Message ${mid} not found in this chat` };
    return { chat, msg };
  }

  private mUpdateMessages(c: Ctx): Res {
    const { cn, line, items } = this.messagesArgs(c, ['user', 'message', 'chat'], true);
    const results = items.map((item) => {
      const found = this.findByMid(cn, line, item);
      const userId = found.chat ? String(found.chat.connectorUserId) : str(item['user']?.['id']);
      if (!found.msg) {
        return { ...this.echo(item, userId), SUCCESS: false, ERRORS: [found.error ?? 'Message not found'] };
      }
      const message = item['message'] ?? {};
      if (message['text'] !== undefined) found.msg.text = str(message['text']);
      if (message['files'] !== undefined) {
        found.msg.files = this.withDownloads(Portal.files(message['files']));
      }
      found.msg.updatedTimes += 1;
      return { ...this.echo(item, userId), SUCCESS: true };
    });
    return { result: { SUCCESS: results.every((r) => r.SUCCESS), DATA: { RESULT: results } } };
  }

  private mDeleteMessages(c: Ctx): Res {
    const { cn, line, items } = this.messagesArgs(c, ['message', 'chat'], true);
    const results = items.map((item) => {
      const found = this.findByMid(cn, line, item);
      const base = {
        user: found.chat ? String(found.chat.connectorUserId) : str(item['user']?.['id']),
        message: { id: str(item['message']?.['id']) },
        chat: { id: str(item['chat']?.['id']) },
      };
      if (!found.msg) return { ...base, SUCCESS: false, ERRORS: [found.error ?? 'Message not found'] };
      if (found.msg.author === 'customer' && !this.flag(cn, 'DEL_EXTERNAL_MESSAGES', true)) {
        return {
          ...base,
          SUCCESS: false,
          ERRORS: ['Deleting external messages is disabled for this connector (DEL_EXTERNAL_MESSAGES)'],
        };
      }
      found.msg.deleted = true;
      return { ...base, SUCCESS: true };
    });
    return { result: { SUCCESS: results.every((r) => r.SUCCESS), DATA: { RESULT: results } } };
  }

  private mStatusDelivery(c: Ctx): Res {
    const { cn, line, items } = this.messagesArgs(c, ['im', 'message', 'chat'], false);
    const errors: string[] = [];
    for (const [i, item] of items.entries()) {
      const chatId = toInt(item['im']?.['chat_id']);
      const messageId = toInt(item['im']?.['message_id']);
      const ids = item['message']?.['id'];
      if (chatId === null || messageId === null) {
        errors.push(`MESSAGES[${i}]: im.chat_id and im.message_id are required`);
        continue;
      }
      // §3.9: message.id is ALWAYS an array
      if (!Array.isArray(ids) && !isObj(ids)) {
        errors.push(`MESSAGES[${i}]: message.id must be an array of external ids`);
        continue;
      }
      const msg = this.storeById.get(messageId);
      if (
        !msg ||
        msg.deleted ||
        msg.chatId !== chatId ||
        msg.connector !== cn ||
        msg.line !== line ||
        msg.author !== 'operator'
      ) {
        errors.push(`MESSAGES[${i}]: message ${messageId} not found in chat ${chatId}`);
        continue;
      }
      // core stores message.id as CONNECTOR_MID and clears SENDING (§3.9)
      msg.connectorMid = (listOf(ids) ?? []).map(str).filter((x) => x !== '');
      msg.delivered = true;
    }
    const result: Record<string, unknown> = { SUCCESS: errors.length === 0, DATA: [] };
    if (errors.length) result['ERRORS'] = errors;
    return { result };
  }

  private mStatusReading(c: Ctx): Res {
    this.messagesArgs(c, ['im', 'chat'], false); // §3.10: validated, then a no-op
    return { result: { SUCCESS: true, DATA: [] } };
  }

  private mChatNameSet(c: Ctx): Res {
    const cn = this.argConnector(c.p);
    const line = this.argLine(c.p);
    const chatId = str(c.p['CHAT_ID']).trim();
    const name = str(c.p['NAME']).trim();
    if (!chatId) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'CHAT_ID' is null or empty");
    if (!name) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'NAME' is null or empty");
    this.requireProvider(cn);
    const group = this.flag(cn, 'CHAT_GROUP', false);
    const userId = str(c.p['USER_ID']).trim();
    if (!group && !userId) throw new RestError(400, 'ERROR_ARGUMENT', "Argument 'USER_ID' is null or empty"); // §3.11
    this.requireActiveLine(cn, line);
    const chat = this.findChat(cn, line, chatId, group ? '' : userId);
    if (!chat) throw new RestError(400, 'CHAT_RENAMING_FAILED', 'Chat not found');
    chat.name = name;
    return { result: { SUCCESS: true, DATA: { RESULT: {} } } };
  }

  // ------------------------------------------------------------------------------ imopenlines / im (§5)

  private lineRecord(l: { ID: number; LINE_NAME: string }): Record<string, unknown> {
    return { ID: String(l.ID), ACTIVE: 'Y', LINE_NAME: l.LINE_NAME };
  }

  private mConfigList(c: Ctx): Res {
    const params = obj(c.p['PARAMS']);
    const lower: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(params)) lower[k.toLowerCase()] = v;
    const filter = obj(lower['filter']);
    const select = (listOf(lower['select']) ?? []).map((x) => str(x).toUpperCase()).filter(Boolean);
    let rows = this.lines.map((l) => this.lineRecord(l));
    rows = rows.filter((r) =>
      Object.entries(filter).every(([k, v]) => {
        const field = k.toUpperCase().replace(/^[=!@%<>]+/, '');
        const want = (listOf(v) ?? [v]).map((x) => str(x).toLowerCase());
        const match = want.includes(str(r[field]).toLowerCase());
        return k.startsWith('!') ? !match : match;
      }),
    );
    const order = obj(lower['order']);
    const [oField, oDir] = Object.entries(order)[0] ?? ['ID', 'ASC'];
    const of = oField.toUpperCase();
    rows.sort((a, b) => {
      const cmp = of === 'ID' ? Number(a['ID']) - Number(b['ID']) : str(a[of]).localeCompare(str(b[of]));
      return str(oDir).toUpperCase() === 'DESC' ? -cmp : cmp;
    });
    const offset = Math.max(0, toInt(lower['offset']) ?? 0);
    const limit = Math.min(200, Math.max(1, toInt(lower['limit']) ?? 50));
    rows = rows.slice(offset, offset + limit);
    if (select.length && !select.includes('*')) {
      rows = rows.map((r) => Object.fromEntries(Object.entries(r).filter(([k]) => select.includes(k))));
    }
    return { result: rows };
  }

  private mConfigGet(c: Ctx): Res {
    const id = toInt(c.p['CONFIG_ID']);
    if (id === null) throw new RestError(400, 'CONFIG_ID_EMPTY', "Argument 'CONFIG_ID' is null or empty");
    const l = this.lines.find((x) => x.ID === id);
    if (!l) throw new RestError(400, 'CONFIG_NOT_FOUND', 'Open line not found');
    return { result: { ...this.lineRecord(l), QUEUE: (l.QUEUE ?? this.users.map((u) => u.ID)).map(String) } };
  }

  /** im.message.add into an open-line chat (`DIALOG_ID=chat<ID>`). Echo to the connector is [unverified] (§5): none. */
  private mImMessageAdd(c: Ctx): Res {
    const dialog = str(c.p['DIALOG_ID']).trim();
    const text = str(c.p['MESSAGE']);
    if (!dialog) throw new RestError(400, 'DIALOG_ID_EMPTY', 'Dialog ID can`t be empty');
    if (!text.trim() && c.p['ATTACH'] === undefined) {
      throw new RestError(400, 'MESSAGE_EMPTY', 'Message can`t be empty');
    }
    const m = /^chat(\d+)$/.exec(dialog);
    const chat = m ? this.chatsById.get(Number(m[1])) : undefined;
    if (!chat) throw new RestError(400, 'ACCESS_ERROR', 'You do not have access to the specified dialog');
    this.seq.message += 1;
    this.addMessage({
      id: this.seq.message,
      chatId: chat.id,
      line: chat.line,
      connector: chat.connector,
      externalChatId: chat.externalChatId,
      externalUserId: chat.externalUserId,
      author: 'operator',
      text,
      files: [],
      connectorMid: [],
      delivered: false,
      date: Math.floor(Date.now() / 1000),
      updatedTimes: 0,
      deleted: false,
      system: str(c.p['SYSTEM']).toUpperCase() === 'Y',
    });
    return { result: this.seq.message };
  }

  private addMessage(m: StoredMessage): void {
    this.store.push(m);
    this.storeById.set(m.id, m);
    const list = this.storeByChat.get(m.chatId);
    if (list) list.push(m);
    else this.storeByChat.set(m.chatId, [m]);
  }

  messages(filter?: { line?: number; author?: 'customer' | 'operator' }): PortalChatMessage[] {
    return this.store
      .filter((m) => !m.deleted)
      .filter((m) => filter?.line === undefined || m.line === filter.line)
      .filter((m) => filter?.author === undefined || m.author === filter.author)
      .map(({ deleted: _d, system: _s, ...m }) => ({
        ...m,
        files: m.files.map((f) => ({ ...f, ...(f.download ? { download: { ...f.download } } : {}) })),
        connectorMid: [...m.connectorMid],
      }));
  }

  // ------------------------------------------------------------------------------ installation (§1)

  private commonAuth(): Record<string, string> {
    return {
      domain: this.domain,
      server_endpoint: `${this.oauthUrl}/rest/`,
      client_endpoint: `${this.url}/rest/`,
      member_id: this.memberId,
    };
  }

  /** `auth` block of an event (§2.2): every value a string, application_token of this installation. */
  private eventAuth(userId: number): Record<string, string> {
    const t = this.eventAccessToken(userId);
    return {
      access_token: t.token,
      expires: String(Math.floor(t.expiresAt / 1000)),
      expires_in: String(this.ttlSec),
      scope: APP_SCOPE,
      domain: this.domain,
      server_endpoint: `${this.oauthUrl}/rest/`,
      status: 'L',
      client_endpoint: `${this.url}/rest/`,
      member_id: this.memberId,
      user_id: String(userId),
      application_token: this.appToken,
    };
  }

  private iframeQuery(target: string, lang = this.lang): string {
    const u = new URL(target);
    u.searchParams.set('DOMAIN', this.domain);
    u.searchParams.set('PROTOCOL', '0');
    u.searchParams.set('LANG', lang);
    u.searchParams.set('APP_SID', hex(16)); // per-render frame id, NOT the application token (§1.2)
    return u.toString();
  }

  /** The form fields of an iframe POST (§1.2): a fresh token pair of the viewing user. */
  private iframeFields(userId: number, placement: string, options: Record<string, unknown>) {
    const t = this.newTokens(userId);
    return {
      AUTH_ID: t.accessToken,
      AUTH_EXPIRES: String(this.ttlSec),
      REFRESH_ID: t.refreshToken,
      SERVER_ENDPOINT: `${this.oauthUrl}/rest/`,
      ...(this.opts.iframeApplicationToken === false ? {} : { APPLICATION_TOKEN: this.appToken }),
      APPLICATION_SCOPE: APP_SCOPE,
      member_id: this.memberId,
      status: 'L',
      PLACEMENT: placement,
      PLACEMENT_OPTIONS: JSON.stringify(options),
    };
  }

  /** The standard iframe POST (§1.2). */
  private async iframePost(
    target: string,
    userId: number,
    placement: string,
    options: Record<string, unknown>,
  ): Promise<{ status: number; body: string }> {
    const body = phpHttpBuildQuery(this.iframeFields(userId, placement, options));
    const r = await httpPost(this.iframeQuery(target), body, {}, this.inflight);
    return r;
  }

  async installApp(o: {
    installUrl: string;
    mode?: 'ui' | 'callback';
    userId?: number;
  }): Promise<{ status: number; body: string }> {
    const userId = o.userId ?? this.defaultAdmin().ID;
    this.userById(userId);
    if (!this.installed) {
      // a fresh installation: new application token, nothing bound, nothing registered yet
      this.appToken = hex(16);
      this.installed = true;
      this.finished = false;
      this.bindingList = [];
    }
    this.installUrl = o.installUrl;
    const mode = o.mode ?? 'ui';
    this.log(`install (${mode}) → ${o.installUrl}`);
    if (mode === 'ui') return this.iframePost(o.installUrl, userId, 'DEFAULT', {});
    // §1.1/§1.3: no-UI install — ONAPPINSTALL server-to-server; complete immediately
    this.finished = true;
    const t = this.newTokens(userId);
    const body = phpHttpBuildQuery({
      event: 'ONAPPINSTALL',
      data: { VERSION: '1', ACTIVE: 'Y', INSTALLED: 'Y', LANGUAGE_ID: this.lang },
      ts: String(Math.floor(Date.now() / 1000)),
      auth: {
        access_token: t.accessToken,
        expires: String(Math.floor(t.expiresAt / 1000)),
        expires_in: String(this.ttlSec),
        scope: APP_SCOPE,
        domain: this.domain,
        server_endpoint: `${this.oauthUrl}/rest/`,
        status: 'L',
        client_endpoint: `${this.url}/rest/`,
        member_id: this.memberId,
        user_id: String(userId),
        refresh_token: t.refreshToken,
        application_token: this.appToken,
      },
    });
    return httpPost(o.installUrl, body, {}, this.inflight);
  }

  finishInstall(): void {
    if (!this.installed) throw new Error('sandbox portal: finishInstall() before installApp()');
    this.finished = true; // §1.4: from now on events are delivered
  }

  isInstalled(): boolean {
    return this.installed;
  }

  async uninstallApp(o?: { clean?: boolean }): Promise<Array<{ handler: string; status: number }>> {
    if (!this.installed) return [];
    const targets = this.finished ? this.bindingList.filter((b) => b.event === 'ONAPPUNINSTALL') : [];
    const token = this.appToken;
    // §1.8: API access is revoked first; the core unregisters the app's connectors (statuses,
    // placement) and drops its event handlers
    this.revokeAll();
    for (const id of [...this.connectorsById.keys()]) this.dropConnector(id);
    this.bindingList = [];
    this.placements.length = 0;
    this.installed = false;
    this.finished = false;
    this.log(`uninstall (clean=${o?.clean ? 1 : 0})`);
    const out: Array<{ handler: string; status: number }> = [];
    for (const b of targets) {
      const body = phpHttpBuildQuery({
        event: 'ONAPPUNINSTALL',
        event_handler_id: String(b.id),
        data: { LANGUAGE_ID: this.lang, CLEAN: o?.clean ? '1' : '0' },
        ts: String(Math.floor(Date.now() / 1000)),
        auth: { ...this.commonAuth(), application_token: token }, // no tokens (§1.8)
      });
      const r = await httpPost(b.handler, body, {}, this.inflight);
      out.push({ handler: b.handler, status: r.status });
    }
    return out;
  }

  async openPlacement(o: {
    placement: string;
    url?: string;
    line?: number;
    connector?: string;
    options?: Record<string, unknown>;
    userId?: number;
  }): Promise<{ status: number; body: string }> {
    if (!this.installed) throw new Error('sandbox portal: the app is not installed');
    const userId = o.userId ?? this.defaultAdmin().ID;
    this.userById(userId);
    const t = this.placementTarget(o);
    return this.iframePost(t.url, userId, t.placement, t.options);
  }

  /** URL and PLACEMENT_OPTIONS of a placement as the portal fills them (§4.7 for SETTING_CONNECTOR). */
  private placementTarget(o: {
    placement: string;
    url?: string | undefined;
    line?: number | undefined;
    connector?: string | undefined;
    options?: Record<string, unknown> | undefined;
  }): { url: string; placement: string; options: Record<string, unknown> } {
    const placement = o.placement.toUpperCase();
    let url = o.url;
    let options: Record<string, unknown> = { ...(o.options ?? {}) };
    if (placement === 'SETTING_CONNECTOR') {
      // §4.7
      const cn = (o.connector ?? [...this.connectorsById.keys()][0] ?? '').toLowerCase();
      const conn = this.connectorsById.get(cn);
      if (!conn) throw new Error('sandbox portal: SETTING_CONNECTOR needs a registered connector');
      url ??= str(conn['PLACEMENT_HANDLER']);
      const line = o.line ?? this.lines[0]?.ID ?? 1;
      const st = this.lineStates.get(this.lineKey(cn, line));
      const active = !!st?.active;
      options = {
        CONNECTOR: cn,
        LINE: String(line),
        STATUS: active && !st?.error,
        ACTIVE_STATUS: active,
        CONNECTION_STATUS: active,
        REGISTER_STATUS: active,
        ERROR_STATUS: !!st?.error,
        URI: `/contact_center/connector/?ID=${cn}&IFRAME=Y&IFRAME_TYPE=SIDE_SLIDER`,
        ...options,
      };
    }
    url ??= placement === 'DEFAULT' && this.appUrl ? this.appUrl : this.installUrl;
    if (!url) throw new Error('sandbox portal: openPlacement needs a url');
    return { url, placement, options };
  }

  // ------------------------------------------------------------------------------ events out (§2.2, §4.1)

  private canDeliver(): boolean {
    return this.installed && this.finished; // §1.4
  }

  async operatorSend(o: {
    line: number;
    externalChatId: string;
    text: string;
    userId?: number;
    files?: OperatorFile[];
    signature?: boolean;
  }): Promise<{ messageId: number; chatId: number; responses: Array<{ handler: string; status: number }> }> {
    const operator = o.userId !== undefined ? this.userById(o.userId) : this.defaultOperator();
    let chat = [...this.chatsByCode.values()]
      .reverse()
      .find(
        (x) =>
          x.line === o.line && x.externalChatId === o.externalChatId && this.connectorsById.has(x.connector),
      );
    if (!chat) {
      const cn = [...this.connectorsById.keys()].find((id) => this.lineUp(id, o.line));
      if (!cn) {
        throw new Error(
          `sandbox portal: no chat ${o.externalChatId} on line ${o.line} and no active connector there`,
        );
      }
      chat = this.chatFor(cn, o.line, o.externalChatId, o.externalChatId);
    }
    const files = (o.files ?? []).map((f) => ({ name: f.name, link: f.link, type: f.type, size: f.size }));
    // The event describes each file with the core's keys (§4.1) plus the newer `downloadLink`, `mime`.
    const eventFiles = (o.files ?? []).map((f) => ({
      name: f.name,
      type: f.type,
      link: f.link,
      size: String(f.size),
      ...(f.downloadLink ? { downloadLink: f.downloadLink } : {}),
      ...(f.mime ? { mime: f.mime } : {}),
    }));
    this.seq.message += 1;
    const messageId = this.seq.message;
    this.addMessage({
      id: messageId,
      chatId: chat.id,
      line: chat.line,
      connector: chat.connector,
      externalChatId: chat.externalChatId,
      externalUserId: chat.externalUserId,
      author: 'operator',
      text: o.text,
      files,
      connectorMid: [],
      delivered: false,
      date: Math.floor(Date.now() / 1000),
      updatedTimes: 0,
      deleted: false,
      system: false,
    });
    const responses: Array<{ handler: string; status: number }> = [];
    // only the app that registered the connector gets it, only when the line is up (§4)
    if (!this.canDeliver() || !this.lineUp(chat.connector, chat.line)) {
      this.log(
        `operatorSend: message ${messageId} not delivered (installed=${this.installed}, finished=${this.finished})`,
      );
      return { messageId, chatId: chat.id, responses };
    }
    const signature = o.signature ?? this.flag(chat.connector, 'NEED_SIGNATURE', true);
    const name = [operator.NAME, operator.LAST_NAME].filter(Boolean).join(' ');
    const text = signature ? `[b]${name}:[/b][br] ${o.text}` : o.text; // §4.1 core prefix
    const message: Record<string, unknown> = { user_id: String(operator.ID), text };
    if (eventFiles.length) message['files'] = eventFiles;
    const data = {
      CONNECTOR: chat.connector,
      LINE: String(chat.line),
      MESSAGES: [
        {
          im: { chat_id: String(chat.id), message_id: String(messageId) },
          message,
          chat: { id: chat.externalChatId },
        },
      ],
    };
    for (const b of this.bindingList.filter((x) => x.event === 'ONIMCONNECTORMESSAGEADD' && !x.offline)) {
      const r = await this.deliver(
        b.handler,
        b.id,
        'ONIMCONNECTORMESSAGEADD',
        data,
        this.eventAuth(b.authType || operator.ID),
      );
      responses.push({ handler: b.handler, status: r.status });
    }
    return { messageId, chatId: chat.id, responses };
  }

  private deliver(
    handler: string,
    handlerId: number,
    event: string,
    data: unknown,
    auth: Record<string, string>,
  ): Promise<{ status: number; body: string }> {
    const body = phpHttpBuildQuery({
      event,
      event_handler_id: String(handlerId),
      data,
      ts: String(Math.floor(Date.now() / 1000)),
      auth,
    });
    this.log(`event ${event} → ${handler}`);
    return httpPost(handler, body, {}, this.inflight);
  }

  async operatorEdit(o: {
    messageId: number;
    text: string;
  }): Promise<Array<{ handler: string; status: number }>> {
    return this.operatorChange(o.messageId, 'ONIMCONNECTORMESSAGEUPDATE', o.text);
  }

  async operatorDelete(o: { messageId: number }): Promise<Array<{ handler: string; status: number }>> {
    return this.operatorChange(o.messageId, 'ONIMCONNECTORMESSAGEDELETE');
  }

  private async operatorChange(
    messageId: number,
    event: 'ONIMCONNECTORMESSAGEUPDATE' | 'ONIMCONNECTORMESSAGEDELETE',
    text?: string,
  ): Promise<Array<{ handler: string; status: number }>> {
    const msg = this.storeById.get(messageId);
    if (!msg || msg.deleted || msg.author !== 'operator') {
      throw new Error(`sandbox portal: no operator message ${messageId}`);
    }
    const update = event === 'ONIMCONNECTORMESSAGEUPDATE';
    if (update) {
      msg.text = text ?? '';
      msg.updatedTimes += 1;
    } else {
      msg.deleted = true;
    }
    const responses: Array<{ handler: string; status: number }> = [];
    // §3.9: only messages with a CONNECTOR_MID reach the connector; §3.1 flags (default true).
    const allowed = this.flag(
      msg.connector,
      update ? 'EDIT_INTERNAL_MESSAGES' : 'DEL_INTERNAL_MESSAGES',
      true,
    );
    if (msg.connectorMid.length === 0 || !allowed || !this.canDeliver()) {
      this.log(`${event}: message ${messageId} changed in the portal only`);
      return responses;
    }
    const im = { chat_id: String(msg.chatId), message_id: String(msg.id) };
    const chat = { id: msg.externalChatId };
    const signature = this.flag(msg.connector, 'NEED_SIGNATURE', true);
    const operator = this.defaultOperator();
    const name = [operator.NAME, operator.LAST_NAME].filter(Boolean).join(' ');
    const messages = update
      ? [
          {
            im,
            // §4.2: message.id is the array of external ids from the delivery ack
            message: {
              id: [...msg.connectorMid],
              text: signature ? `[b]${name}:[/b][br] ${msg.text}` : msg.text,
            },
            chat,
          },
        ]
      : // §4.3: one element per stored external id, message.id a string
        msg.connectorMid.map((id) => ({ im, message: { id }, chat }));
    const data = { CONNECTOR: msg.connector, LINE: String(msg.line), MESSAGES: messages };
    for (const b of this.bindingList.filter((x) => x.event === event && !x.offline)) {
      const r = await this.deliver(b.handler, b.id, event, data, this.eventAuth(b.authType || operator.ID));
      responses.push({ handler: b.handler, status: r.status });
    }
    return responses;
  }

  async postEvent(o: {
    event: string;
    data: unknown;
    handler?: string;
    auth?: Record<string, string | undefined>;
  }): Promise<Array<{ handler: string; status: number; body: string }>> {
    const event = o.event.toUpperCase();
    const targets = o.handler
      ? [
          {
            handler: o.handler,
            id: this.bindingList.find((b) => b.event === event && b.handler === o.handler)?.id ?? 0,
            authType: 0,
          },
        ]
      : this.bindingList
          .filter((b) => b.event === event)
          .map((b) => ({ handler: b.handler, id: b.id, authType: b.authType }));
    const out: Array<{ handler: string; status: number; body: string }> = [];
    for (const t of targets) {
      const auth: Record<string, string> = this.installed
        ? this.eventAuth(t.authType || this.defaultAdmin().ID)
        : { ...this.commonAuth(), application_token: this.appToken };
      for (const [k, v] of Object.entries(o.auth ?? {})) {
        if (v === undefined) delete auth[k];
        else auth[k] = v;
      }
      const r = await this.deliver(t.handler, t.id, event, o.data, auth);
      out.push({ handler: t.handler, status: r.status, body: r.body });
    }
    return out;
  }
}

/** One user.get FILTER entry (§6.1 prefixes). */
function userFilterMatch(rec: Record<string, unknown>, rawKey: string, value: unknown): boolean {
  const key = rawKey.toUpperCase();
  if (key === 'NAME_SEARCH' || key === 'FIND') {
    const hay = [rec['NAME'], rec['LAST_NAME'], rec['SECOND_NAME'], rec['EMAIL'], rec['WORK_POSITION']]
      .map(str)
      .join(' ')
      .toLowerCase();
    return str(value)
      .toLowerCase()
      .split(/\s+/)
      .filter(Boolean)
      .every((w) => hay.includes(w));
  }
  const m = /^(>=|<=|!=%|!%=|=%|%=|!%|!@|@|>|<|%|=|!=|!)?(.*)$/.exec(key);
  const op = m?.[1] ?? '';
  const field = m?.[2] ?? key;
  if (field === 'ACTIVE') {
    const want = !['N', 'FALSE', '0', ''].includes(str(value).toUpperCase());
    return op.startsWith('!') ? !want : want; // every sandbox user is active
  }
  if (field === 'IS_ONLINE') return (str(value).toUpperCase() === 'N') !== op.startsWith('!');
  const actualRaw = rec[field];
  const actuals = (Array.isArray(actualRaw) ? actualRaw : [actualRaw]).map((x) => str(x).toLowerCase());
  const wants = (listOf(value) ?? [value]).map((x) => str(x).toLowerCase());
  const anyOf = (pred: (a: string, w: string) => boolean) =>
    actuals.some((a) => wants.some((w) => pred(a, w)));
  const num = (s: string) => Number(s);
  switch (op) {
    case '>=':
      return anyOf((a, w) => num(a) >= num(w));
    case '<=':
      return anyOf((a, w) => num(a) <= num(w));
    case '>':
      return anyOf((a, w) => num(a) > num(w));
    case '<':
      return anyOf((a, w) => num(a) < num(w));
    case '%':
      return anyOf((a, w) => a.includes(w));
    case '!%':
      return !anyOf((a, w) => a.includes(w));
    case '=%':
    case '%=':
      return anyOf((a, w) => likeToRegExp(w).test(a));
    case '!=%':
    case '!%=':
      return !anyOf((a, w) => likeToRegExp(w).test(a));
    case '!@':
    case '!=':
    case '!':
      return !anyOf((a, w) => (w.includes('%') ? likeToRegExp(w).test(a) : a === w));
    default: // '', '=', '@'
      return anyOf((a, w) => (w.includes('%') ? likeToRegExp(w).test(a) : a === w));
  }
}
