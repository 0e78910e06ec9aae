/** The sandbox portal's public API: the contract shared with the tests, the demo and the benchmarks. */

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

/** An answer the app gave a waiting workflow (bizproc.event.send). */
export interface RobotAnswer {
  eventToken: string;
  /** The robot whose call the token came with. */
  code: string;
  returnValues: Record<string, unknown>;
  logMessage: string;
  /** Whose token made the call. */
  byUserId: number;
}

/** The CRM records an open-line chat can be bound to (imopenlines.crm.chat.get's `CRM_ENTITY_TYPE`). */
export type CrmBindingType = 'LEAD' | 'DEAL' | 'CONTACT' | 'COMPANY';

export interface SandboxPortal {
  readonly url: string;
  /** The page that frames the app as Bitrix24 does (HTML for any client): open it in a browser. */
  readonly pageUrl: string;
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
  /** An admin deletes an open line (§4.5): OnImConnectorLineDelete goes to the bound handlers. */
  deleteLine(o: { line: number }): Promise<Array<{ handler: string; status: number }>>;
  /**
   * A user switches a connector off on a line in the Contact Center (§4.6): OnImConnectorStatusDelete
   * goes to the bound handlers.
   */
  disableConnector(o: {
    line: number;
    connector: string;
  }): Promise<Array<{ handler: string; status: number }>>;
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
  /**
   * `appCode`: a token another application installed on this portal holds for that user (its
   * `app.info` reports that code; every other method answers as for any app's token).
   */
  issueTokens(o?: { userId?: number; appCode?: string }): {
    accessToken: string;
    refreshToken: string;
    expiresIn: number;
  };
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
  addCrmContact(o: {
    name: string;
    phone: string;
    assignedById: number;
    /** More fields, e.g. the sandbox's custom field UF_CRM_SMS_CONSENT ('1' / '0'). */
    fields?: Record<string, unknown>;
  }): number;
  /** A contact with any fields (NAME, LAST_NAME, SOURCE_ID, ASSIGNED_BY_ID, PHONE as `[{VALUE, VALUE_TYPE}]`). */
  addContact(fields: Record<string, unknown>): number;
  /** Open-line chats handed over with imopenlines.operator.transfer, in order. */
  transfers(): PortalTransfer[];
  /** Contacts in the CRM (added by hand with addCrmContact, or through crm.contact.add), in order. */
  crmContacts(): Array<{ id: number; fields: Record<string, unknown> }>;
  /**
   * Binds an open-line chat to a CRM record, as an agent does from the chat's CRM panel (one record
   * per type; REST has no method for it). imopenlines.crm.chat.get then lists the chat.
   */
  bindChatToCrm(o: { chatId: number; entity: CrmBindingType; id: number }): void;
  /**
   * A workflow reaches the app's robot `code` (bizproc.robot.add): the portal posts the call to the
   * robot's HANDLER with these property values (CRM fields already filled in) on `document`
   * (default `['crm','CCrmDocumentDeal','DEAL_1']`). `auth` overrides values of the auth block (a
   * forged call); `eventToken` repeats an earlier call's (a replay).
   */
  invokeRobot(o: {
    code: string;
    properties: Record<string, unknown>;
    document?: [string, string, string];
    auth?: Record<string, string>;
    eventToken?: string;
  }): Promise<{ status: number; body: string; eventToken: string }>;
  /**
   * A user on a CRM card (`moduleId` crm, with `bindings`) or an automation rule (`bizproc`) sends an
   * SMS through the app's provider `code` (messageservice.sender.add): the portal posts it to the
   * provider's HANDLER. `auth` overrides values of the auth block (a forged call), `messageId`
   * repeats an earlier call's (a replay), `rawBody` replaces the whole form (a malformed call).
   */
  sendSms(o: {
    code: string;
    to: string;
    text: string;
    moduleId?: 'crm' | 'bizproc';
    bindings?: Array<{ ownerTypeId: number; ownerId: number }>;
    document?: [string, string, string];
    auth?: Record<string, string>;
    messageId?: string;
    rawBody?: string;
  }): Promise<{ status: number; body: string; messageId: string }>;
  /** The app's SMS providers (messageservice.sender.add), with their fields. */
  smsSenders(): Array<{ code: string; fields: Record<string, unknown> }>;
  /** The statuses the app reported for an SMS (messageservice.message.status.update), in order. */
  smsStatuses(messageId: string): string[];
  /** The answers the app gave waiting workflows (bizproc.event.send), in order. */
  robotAnswers(): RobotAnswer[];
  /** The app's automation rules (bizproc.robot.add / update), with their fields. */
  robots(): Array<{ code: string; fields: Record<string, unknown> }>;
  /** System notifications the app sent (im.notify.system.add), one per user and tag. */
  notifications(): Array<{ id: number; userId: number; message: string; tag: string | null }>;
  /** A deal (as if entered by hand) linked to contacts (crm.deal.contact.items.get lists them). Its id. */
  addCrmDeal(o: { title: string; contactIds: number[] }): number;
  /**
   * Changes a deal as a user would (DATE_MODIFY moves) and fires ONCRMDEALUPDATE `{FIELDS: {ID}}` to the
   * bound handlers; `silent` loses that event on the way, for the app's reconciliation.
   */
  updateDeal(id: number, fields: Record<string, unknown>, o?: { silent?: boolean }): void;
  /**
   * A deal or lead entered by a user (as crm.deal.add / crm.lead.add would store it), firing
   * ONCRMDEALADD / ONCRMLEADADD `{FIELDS: {ID}}`; `silent` loses that event on the way. Its id.
   */
  addDeal(fields: Record<string, unknown>, o?: { silent?: boolean }): number;
  addLead(fields: Record<string, unknown>, o?: { silent?: boolean }): number;
  /** Every line of one open-line chat, system lines included, with who wrote it. */
  chatLines(chatId: number): Array<{
    id: number;
    author: 'customer' | 'operator';
    system: boolean;
    byUserId: number | null;
    text: string;
  }>;
  /** Placements the app bound (placement.bind), in order. */
  placements(): Array<{ placement: string; handler: string; title: string }>;
}
