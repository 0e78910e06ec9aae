/** The running portal as tests see it (SandboxPortal): each method hands over to its area. */
import type http from 'node:http';
import { connectors, lineStatus } from './connectors.js';
import { addCrmContact, addCrmDeal, crmContacts, crmRecords, storeContact } from './crm.js';
import { addRecord, updateDeal } from './crm-deals.js';
import { chatLines, messages } from './chats.js';
import { deleteLine, disableConnector, operatorChange, operatorSend, postEvent } from './delivery.js';
import { bindings } from './events.js';
import { invokeRobot, robotAnswers, robots } from './bizproc.js';
import { sendSms, smsSenders, smsStatuses } from './messageservice.js';
import { notifications } from './notify.js';
import { addFile, downloads, fileRequests } from './files.js';
import { finishInstall, installApp, openPlacement, uninstallApp } from './install.js';
import { failNext, outage, refuseNextElements, setRate } from './limits.js';
import { expireAccessTokens, issueTokens } from './oauth.js';
import { bindChatToCrm, transfers } from './openlines.js';
import { PORTAL_PAGE_PATH } from './page.js';
import { createPortalServer, listen } from './server.js';
import { PortalState } from './state.js';
import type { SandboxPortal, SandboxPortalOptions } from './types.js';

type Arg<K extends keyof SandboxPortal> = SandboxPortal[K] extends (o: infer A) => unknown ? A : never;

class Portal implements SandboxPortal {
  readonly #s: PortalState;
  readonly #server: http.Server;

  constructor(s: PortalState) {
    this.#s = s;
    this.#server = createPortalServer(s);
  }

  /** The state of a portal this module started; undefined for any other object. */
  static stateOf(p: SandboxPortal): PortalState | undefined {
    return p instanceof Portal ? p.#s : undefined;
  }

  listen(port: number, host: string): Promise<void> {
    return listen(this.#s, this.#server, port, host);
  }

  get url(): string {
    return this.#s.url;
  }

  get pageUrl(): string {
    return `${this.#s.url}${PORTAL_PAGE_PATH}`;
  }

  get domain(): string {
    return this.#s.domain;
  }

  get oauthUrl(): string {
    return this.#s.oauthUrl;
  }

  get memberId(): string {
    return this.#s.memberId;
  }

  get applicationToken(): string {
    return this.#s.installed ? this.#s.appToken : '';
  }

  close(): Promise<void> {
    for (const r of this.#s.inflight) r.destroy(new Error('sandbox portal closed'));
    this.#s.inflight.clear();
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  installApp(o: Arg<'installApp'>) {
    return installApp(this.#s, o);
  }

  finishInstall(): void {
    finishInstall(this.#s);
  }

  uninstallApp(o?: { clean?: boolean }) {
    return uninstallApp(this.#s, o);
  }

  isInstalled(): boolean {
    return this.#s.installed;
  }

  connectors() {
    return connectors(this.#s);
  }

  bindings() {
    return bindings(this.#s);
  }

  lineStatus(line: number, connector: string) {
    return lineStatus(this.#s, line, connector);
  }

  messages(filter?: Arg<'messages'>) {
    return messages(this.#s, filter);
  }

  calls() {
    return this.#s.callLog.map((c) => ({ ...c }));
  }

  tokenRefreshes(): number {
    return this.#s.refreshes;
  }

  operatorSend(o: Arg<'operatorSend'>) {
    return operatorSend(this.#s, o);
  }

  async operatorEdit(o: Arg<'operatorEdit'>) {
    return operatorChange(this.#s, o.messageId, 'ONIMCONNECTORMESSAGEUPDATE', o.text);
  }

  async operatorDelete(o: Arg<'operatorDelete'>) {
    return operatorChange(this.#s, o.messageId, 'ONIMCONNECTORMESSAGEDELETE');
  }

  addFile(o: Arg<'addFile'>) {
    return addFile(this.#s, o);
  }

  downloads() {
    return downloads(this.#s);
  }

  fileRequests() {
    return fileRequests(this.#s);
  }

  deleteLine(o: Arg<'deleteLine'>) {
    return deleteLine(this.#s, o.line);
  }

  disableConnector(o: Arg<'disableConnector'>) {
    return disableConnector(this.#s, o);
  }

  postEvent(o: Arg<'postEvent'>) {
    return postEvent(this.#s, o);
  }

  expireAccessTokens(): void {
    expireAccessTokens(this.#s);
  }

  failNext(o: Arg<'failNext'>): void {
    failNext(this.#s, o);
  }

  outage(o: Arg<'outage'>): void {
    outage(this.#s, o);
  }

  setRate(r: Arg<'setRate'>): void {
    setRate(this.#s, r);
  }

  issueTokens(o?: { userId?: number; appCode?: string }) {
    return issueTokens(this.#s, o);
  }

  refuseNextElements(o: Arg<'refuseNextElements'>): void {
    refuseNextElements(this.#s, o);
  }

  openPlacement(o: Arg<'openPlacement'>) {
    return openPlacement(this.#s, o);
  }

  setAppUrl(url: string): void {
    this.#s.appUrl = url;
  }

  crmRecords() {
    return crmRecords(this.#s);
  }

  addCrmContact(o: Arg<'addCrmContact'>): number {
    return addCrmContact(this.#s, o);
  }

  /** A contact with any fields (upper-case names; PHONE as `[{VALUE, VALUE_TYPE}]`), as a user enters it. */
  addContact(fields: Record<string, unknown>): number {
    return storeContact(this.#s, fields);
  }

  crmContacts() {
    return crmContacts(this.#s);
  }

  bindChatToCrm(o: Arg<'bindChatToCrm'>): void {
    bindChatToCrm(this.#s, o);
  }

  transfers() {
    return transfers(this.#s);
  }

  invokeRobot(o: Arg<'invokeRobot'>) {
    return invokeRobot(this.#s, o);
  }

  robotAnswers() {
    return robotAnswers(this.#s);
  }

  sendSms(o: Arg<'sendSms'>) {
    return sendSms(this.#s, o);
  }

  smsSenders() {
    return smsSenders(this.#s);
  }

  smsStatuses(messageId: string) {
    return smsStatuses(this.#s, messageId);
  }

  robots() {
    return robots(this.#s);
  }

  notifications() {
    return notifications(this.#s);
  }

  addCrmDeal(o: Arg<'addCrmDeal'>): number {
    return addCrmDeal(this.#s, o);
  }

  updateDeal(id: number, fields: Record<string, unknown>, o: { silent?: boolean } = {}): void {
    updateDeal(this.#s, id, fields, o);
  }

  addDeal(fields: Record<string, unknown>, o: { silent?: boolean } = {}): number {
    return addRecord(this.#s, 'deal', fields, o);
  }

  addLead(fields: Record<string, unknown>, o: { silent?: boolean } = {}): number {
    return addRecord(this.#s, 'lead', fields, o);
  }

  chatLines(chatId: number) {
    return chatLines(this.#s, chatId);
  }

  placements() {
    return this.#s.placements.map((p) => ({ ...p }));
  }
}

export async function startSandboxPortal(opts: SandboxPortalOptions): Promise<SandboxPortal> {
  const s = new PortalState(opts);
  const portal = new Portal(s);
  await portal.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  if (opts.oauthServer) {
    const server = Portal.stateOf(opts.oauthServer);
    if (!server) throw new Error('oauthServer must be a sandbox portal');
    server.oauthPeers.push(s);
    s.oauthUrl = server.oauthUrl;
  }
  return portal;
}
