import type { Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { Bitrix24Client } from './integrations/bitrix24/bitrix24.client.js';
import { Bitrix24Connector } from './integrations/bitrix24/bitrix24.connector.js';
import { GupshupClient } from './integrations/gupshup/gupshup.client.js';
import { RateLimiter } from './shared/rate-limiter.js';
import { Worker } from './jobs/worker.js';
import { FrontendAuth } from './modules/tokens/frontend-auth.js';
import { ChannelsService } from './modules/channels/channels.service.js';
import { ChannelsRepository } from './modules/channels/channels.repository.js';
import { RolesService } from './modules/roles/roles.service.js';
import { AssignService } from './modules/roles/assign.service.js';
import { RolesRepository } from './modules/roles/roles.repository.js';
import { Bitrix24Crm } from './integrations/bitrix24/crm.js';
import { Bitrix24Dialog } from './integrations/bitrix24/dialog.js';
import { Bitrix24OpenLines } from './integrations/bitrix24/openlines.js';
import { Bitrix24Users } from './integrations/bitrix24/users.js';
import { MessagingService, type MessagingHooks } from './modules/messaging/messaging.service.js';
import { OperatorEditsService } from './modules/messaging/edits.service.js';
import { MessagesRepository, queueAgentNote } from './modules/messaging/messages.repository.js';
import { Bitrix24Files } from './integrations/bitrix24/files.js';
import { gupshupMessage } from './integrations/gupshup/messages.js';
import { installTemplateWidgets } from './integrations/bitrix24/template-widgets.js';
import { TemplateAccess } from './modules/templates/template-access.js';
import { buildCampaignLists, inboundOptOuts, type CampaignLists } from './modules/campaigns/list-wiring.js';
import {
  buildTemplateSending,
  templateWidgetUrls,
  type TemplateSending,
} from './modules/templates/wiring.js';
import { MediaRepository } from './modules/media/media.repository.js';
import { MediaService } from './modules/media/media.service.js';
import { writeTrace } from './modules/trace/trace.service.js';
import { MediaSigner } from './modules/media/signing.js';
import { S3MediaStorage } from './modules/media/s3-storage.js';
import { LocalMediaStorage, type MediaStorage } from './modules/media/storage.js';
import { PortalsRepository } from './modules/portals/portals.repository.js';
import { buildPayments, type Payments } from './modules/billing/payments-wiring.js';
import { billingJobs, buildBilling, type Billing } from './modules/billing/wiring.js';
import { PortalsService } from './modules/portals/portals.service.js';
import { buildDigests, type Digests } from './modules/notifications/wiring.js';
import { buildCrmEvents, type CrmEvents } from './modules/notifications/crm-wiring.js';
import { buildCampaigns, type Campaigns } from './modules/campaigns/wiring.js';
import { TemplatesService } from './modules/templates/templates.service.js';
import { toLang, type Lang } from './shared/i18n.js';
import { SecretBox } from './shared/crypto.js';
import { createDatabase, type Database } from './shared/db/database.js';
import { HttpClient } from './shared/http/http-client.js';
import { createGuardedAgent, type Resolve } from './shared/http/ssrf-guard.js';
import { createLogger } from './shared/logger.js';
import { buildAdmin, buildTemplates } from './composition-admin.js';
import type { TokensService } from './modules/tokens/tokens.service.js';
import type { ChannelAdminService } from './modules/channels/channel-admin.service.js';
import { SmsapiClient } from './integrations/smsapi/smsapi.client.js';
import { queueSmsFallback } from './modules/sms/fallback.js';
import { smsLength } from './modules/sms/length.js';
import { buildSms, type Sms } from './modules/sms/wiring.js';

export const APP_NAME = 'WhatsApp (WhatsAppB24)';

/** Billing's part (`ledger`, `offer`, `lowBalance`: billing/wiring.ts) comes from `Billing`. */
export interface Deps extends Omit<Billing, 'send'> {
  config: Config;
  log: Logger;
  db: Database;
  box: SecretBox;
  portals: PortalsService;
  channels: ChannelsService;
  messaging: MessagingService;
  media: MediaService;
  edits: OperatorEditsService;
  tokens: TokensService;
  bitrix: Bitrix24Client;
  worker: Worker;
  frontendAuth: FrontendAuth;
  channelAdmin: ChannelAdminService;
  roles: RolesService;
  payments: Payments;
  templates: TemplatesService;
  /** CRM events → notification_events, and their periodic reconciliation (issue 13). */
  crmEvents: CrmEvents;
  /** The portal's language (answers to API callers that do not say theirs). */
  portalLang: (portalId: number) => Promise<Lang>;
  /** Sending templates (issue 11): the send service, the agents' picker, the automation rule. */
  templateSend: TemplateSending['api'];
  /** Scheduled notifications' digests (issue 13): the service, the tick chain. */
  digests: Digests;
  /** Campaign lists and opt-outs (campaigns/list-wiring.ts). */
  campaignLists: CampaignLists;
  /** SMS through SMSAPI (issue 15): settings, sends, the provider handler's service, jobs. */
  sms: Sms;
  /** Campaigns (issue 14): the service and report for the routes, the dispatcher's job. */
  campaigns: Campaigns;
  close(): Promise<void>;
}

export interface DepsOverrides {
  log?: Logger;
  /**
   * Replaces the outbound dispatcher of every call (HttpClient and media downloads). The SSRF guard is
   * then only what that dispatcher does (build it on `guardedConnector` to keep it); the name
   * pre-checks (`isPrivateHost` at install and on each media hop) still apply unless private hosts
   * are allowed. `resolve` is ignored with it.
   */
  dispatcher?: Dispatcher;
  /** The SSRF guard's resolver (tests map names to addresses without real DNS). */
  resolve?: Resolve;
  hooks?: MessagingHooks;
  dbPoolMax?: number;
  mediaStorage?: MediaStorage;
}

/** The one place that builds everything; tests pass overrides instead of patching modules. */
export function createDeps(config: Config, o: DepsOverrides = {}): Deps {
  const log = o.log ?? createLogger(config.logLevel);
  if (!config.databaseUrl) {
    throw new Error('createDeps needs a database URL (server.ts starts the embedded one)');
  }
  const { db } = createDatabase(config.databaseUrl, { max: o.dbPoolMax ?? config.dbPoolMax });
  const box = new SecretBox(config.appSecret);
  const a = buildAdapters(config, o, db, box);
  // The services nudge the worker when they store work; the worker needs the services' handlers.
  const workerRef: { current?: Worker } = {};
  const nudge = (): void => void (workerRef.current?.running && workerRef.current.nudge());
  const storage = o.mediaStorage ?? mediaStorage(config, log);
  const { roles, assign } = buildRoles(db, a);
  const { send: sendBilling, ...billing } = buildBilling(db, nudge, config, a.bitrix);
  const sms = buildSms({
    db,
    bitrix: a.bitrix,
    smsapi: new SmsapiClient({ baseUrl: config.smsapi.baseUrl, http: a.http }),
    length: smsLength,
    appSecret: config.appSecret,
    publicUrl: config.publicUrl,
    nudge,
  });
  const relay = buildRelay(config, o, db, box, a, storage, nudge, roles, sendBilling, sms);
  const templates = buildTemplates(config, db, a, relay, roles, nudge);
  const payments = buildPayments(config, db, a.http, nudge);
  const digests = buildDigests(db, relay.templateSending.api.send, config.notifications, nudge);
  const crmEvents = buildCrmEvents(db, a, relay.portals, config.notifications, nudge);
  const portalLang = async (portalId: number) => toLang((await a.portalsRepo.planOf(portalId)).lang);
  const campaigns = buildCampaigns(db, {
    send: (input) => relay.templateSending.api.send.send(input),
    roles,
    channelPerSec: config.relay.gupshupPerSec,
    tier: config.campaigns.defaultTier,
    lines: new Bitrix24OpenLines(a.bitrix),
    nudge,
  });
  const campaignLists = buildCampaignLists({
    db,
    bitrix: a.bitrix,
    campaigns: campaigns.service,
    portalLang,
    limits: config.campaignLists,
    nudge,
  });
  const worker = buildWorker(config, log, db, relay, {
    assign,
    templates,
    billing: { ...billing, send: sendBilling },
    payments,
    digests,
    crmEvents,
    campaignLists,
    sms,
    campaigns,
  });
  workerRef.current = worker;
  const { tokens, channelAdmin } = buildAdmin(config, db, box, a, relay);
  return {
    config,
    log,
    db,
    box,
    portals: relay.portals,
    channels: relay.channels,
    messaging: relay.messaging,
    media: relay.media,
    edits: relay.edits,
    tokens,
    bitrix: a.bitrix,
    worker,
    frontendAuth: new FrontendAuth(tokens),
    channelAdmin,
    roles,
    ...billing,
    payments,
    templates,
    crmEvents,
    portalLang,
    templateSend: relay.templateSending.api,
    digests,
    campaignLists,
    sms,
    campaigns,
    close: async () => {
      await worker.stop();
      storage.close?.();
      await db.destroy();
      await a.ownAgent?.close();
    },
  };
}

export type Adapters = ReturnType<typeof buildAdapters>;

export type Relay = ReturnType<typeof buildRelay>;

/** Outbound HTTP (one SSRF-guarded dispatcher) and the provider adapters on it. */
function buildAdapters(config: Config, o: DepsOverrides, db: Database, box: SecretBox) {
  // Every outbound connection goes through one dispatcher: the SSRF-guarded Agent, unless private
  // hosts are allowed (the local sandboxes) — then undici's global one.
  const ownAgent =
    o.dispatcher || config.b24.allowPrivateHosts ? undefined : createGuardedAgent({ resolve: o.resolve });
  const outbound = o.dispatcher ?? ownAgent;
  const http = new HttpClient(outbound);
  const portalsRepo = new PortalsRepository(db, box);
  const limiter = new RateLimiter(db);
  const bitrix = new Bitrix24Client(http, portalsRepo, {
    limiter,
    oauthUrl: config.b24.oauthUrl,
    clientId: config.b24.clientId,
    clientSecret: config.b24.clientSecret,
  });
  const connector = new Bitrix24Connector(bitrix, config.b24.connectorId);
  const gupshup = new GupshupClient(http, config.gupshup.apiUrl);
  return { ownAgent, outbound, http, portalsRepo, limiter, bitrix, connector, gupshup };
}

/** Where re-hosted media live: the bucket when MEDIA_S3_BUCKET is set, else the local folder. */
function mediaStorage(config: Config, log: Logger): MediaStorage {
  const s3 = config.media.s3;
  if (!s3) return new LocalMediaStorage(config.media.dir);
  const s3Log = log.child({ component: 'media-s3' });
  return new S3MediaStorage(s3, { warn: (msg) => s3Log.warn(msg) });
}

/** Portals, channels, media and messaging: the relay's services. */
function buildRelay(
  config: Config,
  o: DepsOverrides,
  db: Database,
  box: SecretBox,
  a: Adapters,
  storage: MediaStorage,
  nudge: () => void,
  roles: RolesService,
  billing: Billing['send'],
  sms: Sms,
) {
  const channelsRepo = new ChannelsRepository(db);
  const channels = new ChannelsService(db, channelsRepo, box, a.connector, config.publicUrl);
  const portals = new PortalsService({
    db,
    repo: a.portalsRepo,
    client: a.bitrix,
    connector: a.connector,
    box,
    publicUrl: config.publicUrl,
    appName: APP_NAME,
    allowPrivateHosts: config.b24.allowPrivateHosts,
    ...(o.resolve ? { resolve: o.resolve } : {}),
    channels,
    extraSetup: async (call, portalId) => [
      ...(await installTemplateWidgets(call, templateWidgetUrls(config.publicUrl))),
      ...(await sms.installProvider(call, portalId)),
    ],
  });
  const media = new MediaService({
    repo: new MediaRepository(db),
    storage,
    signer: new MediaSigner(config.appSecret, config.publicUrl, config.media.linkTtlSec),
    operatorFiles: new Bitrix24Files(a.bitrix),
    messageBody: gupshupMessage,
    trace: writeTrace,
    agentNote: queueAgentNote,
    maxBytes: config.media.maxBytes,
    fetchTimeoutMs: config.media.fetchTimeoutMs,
    allowPrivateHosts: config.b24.allowPrivateHosts,
    retentionDays: config.media.retentionDays,
    dispatcher: a.outbound,
    nudge,
  });
  const templateSending = buildTemplateSending(db, a.bitrix, media, new TemplateAccess(roles), nudge);
  const messaging = new MessagingService({
    db,
    channels,
    connector: a.connector,
    gupshup: a.gupshup,
    media,
    inFlightGraceMs: config.worker.inFlightGraceMs,
    inboundBatchSize: config.relay.batchSize,
    // Half the pool for webhook inserts at once: the worker and the other routes keep the rest.
    ingestInFlight: Math.max(1, Math.floor((o.dbPoolMax ?? config.dbPoolMax) / 2)),
    limiter: a.limiter,
    gupshupPerSec: config.relay.gupshupPerSec,
    ...(o.hooks ? { hooks: o.hooks } : {}),
    templates: { composer: templateSending.composer, offer: templateSending.offer },
    nudge,
    readBack: new Bitrix24Dialog(a.bitrix),
    billing,
    onSendFailed: queueSmsFallback,
    onInboundTexts: inboundOptOuts(db),
  });
  const edits = new OperatorEditsService(new MessagesRepository(db), nudge);
  return { channelsRepo, channels, portals, media, messaging, edits, templateSending };
}

/** Chat roles and the assignment of new chats (CRM, open lines). */
function buildRoles(db: Database, a: Adapters) {
  const rolesRepo = new RolesRepository(db);
  const crm = new Bitrix24Crm(a.bitrix);
  const lines = new Bitrix24OpenLines(a.bitrix);
  const roles = new RolesService(rolesRepo, { users: new Bitrix24Users(a.bitrix), crm, lines });
  const assign = new AssignService({ db, repo: rolesRepo, crm, lines, roles });
  return { roles, assign };
}

/** The worker with every job topic's handler. */
function buildWorker(
  config: Config,
  log: Logger,
  db: Database,
  r: Relay,
  s: {
    assign: AssignService;
    templates: TemplatesService;
    billing: Billing;
    payments: Payments;
    digests: Digests;
    crmEvents: CrmEvents;
    campaignLists: CampaignLists;
    sms: Sms;
    campaigns: Campaigns;
  },
): Worker {
  return new Worker(
    db,
    {
      'portal.setup': r.portals.setupJob(),
      'portal.extras': r.portals.extrasJob(),
      'inbound.media': r.media.inboundJob(),
      'inbound.accept': r.messaging.acceptJob(),
      'inbound.deliver': r.messaging.inboundJob(),
      'outbound.media': r.media.outboundJob(),
      'media.sweep': r.media.sweepJob(),
      'outbound.send': r.messaging.outboundJob(),
      'outbound.ack': r.messaging.ackJob(),
      'status.apply': r.messaging.statusJob(),
      'chat.notify': r.messaging.notifyJob(),
      'chat.assign': s.assign.job(),
      ...billingJobs(s.billing, r.messaging),
      'templates.submit': s.templates.submitJob(),
      'templates.delete': s.templates.deleteJob(),
      'templates.sync': s.templates.syncJob(),
      'templates.schedule': s.templates.scheduleJob(),
      'template.check': r.templateSending.composer.checkJob(),
      'template.record': r.templateSending.followUps.recordJob(),
      'template.robot': r.templateSending.followUps.robotJob(),
      ...s.payments.jobs,
      ...s.digests.jobs,
      ...s.crmEvents.jobs,
      ...s.campaignLists.jobs,
      ...s.sms.jobs,
      ...s.campaigns.jobs,
    },
    config.worker,
    log.child({ component: 'worker' }),
  );
}
