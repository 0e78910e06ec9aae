/**
 * What one running sandbox portal holds, all in memory: its users and lines, the app's installation,
 * tokens, limits and injected faults, the portal's data (connectors, bindings, chats, files) and the
 * logs tests read. Each area of the folder reads and changes it through functions of its own.
 */
import type http from 'node:http';
import type {
  AccessToken,
  Binding,
  CallRecord,
  Chat,
  DiskFile,
  Fault,
  LineState,
  PortalDepartment,
  PortalLine,
  PortalUser,
  StoredMessage,
} from './model.js';
import type {
  CrmBindingType,
  FileDownload,
  PortalTransfer,
  RobotAnswer,
  SandboxPortalOptions,
} from './types.js';
import { hex } from './util.js';
import type { PortalNotification } from './notify.js';

const DEFAULT_USERS: PortalUser[] = [
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
];

const DEFAULT_LINES: PortalLine[] = [
  { ID: 1, LINE_NAME: 'Ventas' },
  { ID: 2, LINE_NAME: 'Soporte' },
];

export class PortalState {
  url = '';
  domain = '';
  oauthUrl = '';
  readonly memberId: string;

  readonly inflight = new Set<http.ClientRequest>();
  readonly log: (line: string) => void;
  readonly lang: string;
  readonly ttlSec: number;
  readonly users: PortalUser[];
  readonly lines: PortalLine[];
  readonly departments: PortalDepartment[];
  appUrl = '';
  readonly crm: Array<{ entity: 'lead' | 'deal'; id: number; fields: Record<string, unknown> }> = [];
  readonly contacts: Array<{ id: number; fields: Record<string, unknown> }> = [];
  /**
   * When each CRM record (`deal:12`) was created, last changed and (deals) last moved to another stage
   * (DATE_CREATE, DATE_MODIFY, MOVED_TIME).
   */
  readonly crmTimes = new Map<string, { created: Date; modified: Date; moved?: Date }>();
  readonly startedAt = new Date();
  /** Sandbox choice: three CRM companies, one with a name outside ASCII. */
  readonly companies: Array<{ ID: number; TITLE: string }> = [
    { ID: 7, TITLE: 'Empresa 1' },
    { ID: 8, TITLE: 'Empresa 2' },
    { ID: 9, TITLE: 'Ñandú S.A.' },
  ];
  readonly transferLog: PortalTransfer[] = [];
  /** Open-line chats' CRM bindings by chat id, one record per type, like the chat's `entity_data_2`. */
  readonly chatCrm = new Map<number, Partial<Record<CrmBindingType, number>>>();

  // app installation state
  installed = false;
  finished = false;
  appToken = '';
  installUrl = '';
  readonly appId = 7;
  /** APP_SIDs of the install pages the browsable portal page framed: they may finish the install (§1.4). */
  readonly installFrames = new Set<string>();

  // auth
  readonly accessTokens = new Map<string, AccessToken>();
  readonly refreshTokens = new Map<string, { userId: number; valid: boolean }>();
  readonly eventTokens = new Map<number, string>();
  refreshes = 0;
  /** Portals whose refresh tokens this one's OAuth server exchanges (one server for all, §1.6). */
  readonly oauthPeers: PortalState[] = [];

  // REST limits & faults
  rate: { drainPerSec: number; burst: number } | null;
  bucket = 0;
  bucketAt = Date.now();
  faults: Fault[] = [];
  /** §3.7: an element can fail inside an HTTP 200 (SUCCESS:false + ERRORS); the next N elements do. */
  elementRefusals: Array<{ remaining: number; error: string }> = [];
  outageState: { until: number; status: number; error: string } | null = null;
  readonly operating = new Map<string, { windowStart: number; sum: number }>();

  // records
  readonly callLog: CallRecord[] = [];

  // portal data
  readonly connectorsById = new Map<string, Record<string, unknown>>();
  readonly lineStates = new Map<string, LineState>(); // key `${connector}|${line}`
  bindingList: Binding[] = [];
  readonly placements: Array<{ placement: string; handler: string; title: string }> = [];
  /** Automation rules the app registered (bizproc.robot.add), by CODE, with their fields. */
  readonly robots = new Map<string, Record<string, unknown>>();
  /** Robot calls the portal made (invokeRobot), by event token: which robot, and whether it waits. */
  readonly robotCalls = new Map<string, { code: string; waits: boolean }>();
  readonly robotAnswers: RobotAnswer[] = [];
  /** SMS providers the app registered (messageservice.sender.add), by CODE, with their fields. */
  readonly smsSenders = new Map<string, Record<string, unknown>>();
  /** SMS the portal gave a provider (sendSms), by message id, with the statuses the app reported. */
  readonly smsMessages = new Map<string, { code: string; statuses: string[] }>();
  /** System notifications the app sent (im.notify.system.add, notify.ts). */
  readonly notifications: PortalNotification[] = [];
  notificationSeq = 0;
  readonly appOptions = new Map<string, unknown>();
  readonly chatsByCode = new Map<string, Chat>();
  readonly chatsById = new Map<number, Chat>();
  readonly connectorUsers = new Map<string, number>();
  readonly store: StoredMessage[] = [];
  readonly storeById = new Map<number, StoredMessage>();
  readonly storeByChat = new Map<number, StoredMessage[]>();
  readonly disk = new Map<string, DiskFile>();
  readonly downloadLog: FileDownload[] = [];
  readonly fileRequestLog: Array<{ path: string; status: number; withAuth: boolean }> = [];
  readonly seq = { chat: 1800, session: 320, message: 86_000, connectorUser: 580, binding: 550, file: 540 };

  constructor(readonly opts: SandboxPortalOptions) {
    this.memberId = opts.memberId ?? hex(16);
    this.lang = opts.lang ?? 'es';
    this.ttlSec = opts.accessTokenTtlSec ?? 3600;
    this.rate = opts.rate ?? { drainPerSec: 2, burst: 50 }; // §7: non-Enterprise plans
    this.log = opts.log ?? (() => undefined);
    this.users = (opts.users ?? DEFAULT_USERS).map((u) => ({ ...u }));
    this.lines = (opts.lines ?? DEFAULT_LINES).map((l) => ({ ...l }));
    this.departments = (opts.departments ?? [{ ID: 1, NAME: 'Empresa', UF_HEAD: 1 }]).map((d) => ({ ...d }));
    this.appUrl = opts.appUrl ?? '';
  }
}
