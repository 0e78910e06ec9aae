import type { Lang } from '../../../shared/i18n.js';
import type { UiTexts } from '../texts.js';

/**
 * What the server hands the pages' script: the boot data in the page and the JSON of the API routes
 * the pages call (the modules' *.routes.ts under /api/v1). Types only, shared by both sides:
 * the server builds its boot data with these types, and ../api-contract.ts checks at compile time
 * that what the services return fits them.
 */

/** The frame the page was opened in (the iframe query of reference §1.2), for B24Frame. */
export interface FrameParams {
  domain: string;
  /** PROTOCOL=1: the portal is on https. */
  https: boolean;
  appSid: string;
  lang: string;
}

/** Where the template picker was opened: an open-line chat, or a CRM card (issue 11). */
export type PickerContext =
  | { kind: 'chat'; chatId: number | null }
  | { kind: 'crm'; entityType: 'contact' | 'lead' | 'deal'; entityId: number };

/** The main page, the SETTING_CONNECTOR placement and the template picker (chat and CRM placements). */
export interface AdminBoot {
  page: 'app' | 'connector' | 'picker';
  lang: Lang;
  texts: UiTexts;
  /** The frontend auth the page was opened with, sent back as X-B24-Auth. */
  auth: string;
  admin: boolean;
  userId: number | null;
  userName: string;
  connector: { line: number; active: boolean } | null;
  /** The picker's chat or card (page 'picker' only). */
  picker?: PickerContext | null;
  defaults: { companyName: string; contactName: string };
  frame: FrameParams | null;
}

/** The install page: it only tells Bitrix24 that the installation is finished. */
export interface InstallBoot {
  page: 'install';
  frame: FrameParams | null;
}

/** The vendor's operator page (no portal): its language and texts; the token is typed in the page. */
export interface OperatorBoot {
  page: 'operator';
  lang: Lang;
  texts: UiTexts;
}

export type Boot = AdminBoot | InstallBoot | OperatorBoot;

// ------------------------------------------------------------------ API answers

export interface Items<T> {
  items: T[];
}

export type ChannelStatus = 'pending' | 'active' | 'interrupted' | 'inactive' | 'deleted';

export interface Channel {
  id: string;
  name: string;
  status: ChannelStatus;
  statusReason: string | null;
  gupshupAppName: string;
  gupshupAppId: string | null;
  sourceNumber: string;
  lineId: number | null;
  /** Portal admins only (it carries the webhook secret). */
  callbackUrl?: string;
  lastWebhookAt: string | null;
  createdAt: string;
}

export interface ChannelDetails extends Channel {
  companyName: string | null;
  wabaId: string | null;
  paidUntil: string | null;
  subscription: 'paid' | 'trial' | 'expired';
}

export interface ChannelHealth {
  channelId: string;
  tokenOk: boolean | null;
  connectorActive: boolean | null;
  lastWebhookAt: string | null;
  gupshupOk: boolean | null;
  /** Why Gupshup said no, when it did. */
  gupshupError: 'rejected' | 'unknown_app' | 'unreachable' | null;
  /** The Gupshup wallet, where Gupshup gives it to an API key. */
  wallet: { currency: string; balance: number } | null;
}

export interface ChannelSettings {
  appName: string;
  appId: string | null;
  mode: string;
  wabaId: string | null;
  messagingTier: string | null;
  phoneQuality: string | null;
  wallet: { currency: string; balance: number } | null;
}

export interface NumberRequest {
  id: number;
  companyName: string;
  contactName: string;
  lineId: number | null;
}

export interface Line {
  id: number;
  name: string;
}

/** imconnector.status of one line, as Bitrix24 sees it (GET /lines/:line/status). */
export interface LineStatus {
  line: number;
  status: boolean;
  configured: boolean;
  error: boolean;
}

export interface Me {
  can: {
    viewChannels: boolean;
    viewTrace: boolean;
    replay: boolean;
    viewBilling: boolean;
    manageNotifications: boolean;
  };
}

export interface PortalPlan {
  plan: string;
}

export interface Department {
  id: number;
  name: string;
}

export interface PortalUser {
  id: number;
  name: string;
  position: string;
}

export interface UsersPage extends Items<PortalUser> {
  next: number | null;
}

export interface Role {
  channelId: string;
  userId: number;
  userName: string;
  qualityControl: boolean;
  salesRep: boolean;
  receivesNew: boolean;
  boss: boolean;
}

export interface CrmSetting {
  channelId: string;
  entity: 'lead' | 'deal';
  categoryId: number | null;
  stageId: string | null;
}

export interface Roles {
  roles: Role[];
  crm: CrmSetting[];
}

export interface Stage {
  id: string;
  name: string;
}

export interface CrmLists {
  leadStages: Stage[];
  pipelines: Array<{ id: number; name: string; stages: Stage[] }>;
}

export interface TraceStep {
  step: string;
  level: string;
  code: string | null;
  detail: string | null;
  at: string;
}

export interface Message {
  id: number;
  channelId: string | null;
  direction: 'in' | 'out';
  status: string;
  error: { code: string | null; detail: string | null } | null;
  createdAt: string;
  history: TraceStep[];
}

export interface MessagesPage extends Items<Message> {
  nextCursor: number | null;
}

export interface ApiToken {
  id: number;
  prefix: string;
  label: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface NewToken {
  id: number;
  token: string;
}

// ------------------------------------------------------------------ templates (issue 11)

/** A template the picker offers (GET /chats/:chatId/templates, GET /crm/:type/:id/templates). */
export interface OfferedTemplate {
  id: string;
  elementName: string;
  displayName: string;
  language: string;
  category: string;
  type: string;
  header: string | null;
  body: string;
  footer: string | null;
  buttons: unknown;
  params: Array<{ name: string; example: string }>;
  media: { kind: string; mimes: readonly string[]; maxBytes: number } | null;
}

export interface ChatTemplates {
  chat: {
    chatId: number;
    channelId: string;
    lineId: number | null;
    windowOpen: boolean;
    windowClosesAt: string | null;
  };
  templates: OfferedTemplate[];
}

export interface CardTemplates {
  phones: Array<{
    phone: string;
    display: string;
    type: string;
    owner: { type: 'contact' | 'lead'; id: number; name: string };
  }>;
  channels: Array<{
    id: string;
    name: string;
    sourceNumber: string;
    lineId: number | null;
    templates: OfferedTemplate[];
  }>;
}

export interface TemplateSent {
  messageId: number;
  status: string;
}
