/**
 * The campaigns API's JSON (issue 14, C10; docs/campaigns.md): what it answers and what the Campaigns
 * tab sends, and the state rules both sides apply. PURE: no imports at all, so the pages' bundle uses
 * it as it is. The services annotate their answers with these types and ../pages/api-contract.ts
 * checks the route schemas against the inputs, so a change on either side fails the typecheck.
 */

export const CAMPAIGN_STATUSES = [
  'draft',
  'scheduled',
  'running',
  'paused',
  'finished',
  'cancelled',
] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** POST /campaigns/:id/<action>. */
export const CAMPAIGN_ACTIONS = ['start', 'pause', 'resume', 'cancel'] as const;
export type CampaignAction = (typeof CAMPAIGN_ACTIONS)[number];

/**
 * The states each action leaves from: draft → scheduled (a later start time) or running ⇄ paused →
 * finished, and cancelled from any state but finished. Anything else is a 409.
 */
export const ACTION_FROM: Readonly<Record<CampaignAction, readonly CampaignStatus[]>> = {
  start: ['draft'],
  pause: ['scheduled', 'running'],
  resume: ['paused'],
  cancel: ['draft', 'scheduled', 'running', 'paused'],
};

/** The actions a campaign in this state allows, in CAMPAIGN_ACTIONS's order. */
export function actionsFrom(status: CampaignStatus): CampaignAction[] {
  return CAMPAIGN_ACTIONS.filter((a) => ACTION_FROM[a].includes(status));
}

/** The states in which DELETE /campaigns/:id is allowed. */
export const DELETABLE_STATUSES: readonly CampaignStatus[] = ['draft', 'finished', 'cancelled'];

export type CampaignListSource = 'csv' | 'crm';
export type CampaignListStatus = 'empty' | 'loading' | 'ready' | 'failed';

/** A campaign's recipient list: where it came from, whether it is read, its row counts. */
export interface CampaignList {
  source: CampaignListSource | null;
  status: CampaignListStatus;
  rows: number;
  rejected: number;
  /** The file's or the CRM filter's details; `error` when a CRM list failed. */
  info: object;
}

/** A campaign's rows by status; `queued`… `replied` count the rows that reached that step or further. */
export interface CampaignCounts {
  total: number;
  ready: number;
  queued: number;
  sent: number;
  delivered: number;
  read: number;
  replied: number;
  failed: number;
  cancelled: number;
  rejected: number;
}

/** The hours of the campaign's time zone it sends in: ISO weekdays (1 = Monday) and HH:MM. */
export interface CampaignWindow {
  days: number[];
  from: string;
  to: string;
}

/** A campaign's settings as it is shown and as the tab sends them (the template apart). */
export interface CampaignSettings {
  name: string;
  channelId: string;
  replyLineId: number | null;
  replyUserIds: number[];
  window: CampaignWindow;
  timeZone: string;
  startAt: string | null;
  ratePerMinute: number;
}

export interface Campaign extends CampaignSettings {
  id: number;
  templateId: string | null;
  status: CampaignStatus;
  statusReason: string | null;
  list: CampaignList;
  counts: CampaignCounts;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** GET /campaigns and GET /opt-outs: one page of items and how many there are in all. */
export interface Paged<T> {
  items: T[];
  total: number;
}

/** What POST /campaigns takes as the tab sends it (PATCH /campaigns/:id takes any part of it). */
export interface CampaignInput extends CampaignSettings {
  templateId: string;
}

/** GET /campaigns/:id/report. */
export interface CampaignReport {
  funnel: { queued: number; sent: number; delivered: number; read: number; replied: number; failed: number };
  failures: Array<{ code: string; count: number; message: string }>;
  progress: number;
  rate: { perMinute: number; cap: number; allowedPerMinute: number };
}

/** A list row as the customer will read it. */
export interface PreviewRow {
  line: number;
  phone: string | null;
  name: string;
  params: string[];
  text: string;
  templateName: string | null;
}

/** A rejected list row with its reason in words. */
export interface RejectedRow {
  line: number;
  rawPhone: string;
  code: string | null;
  message: string;
}

/** GET /campaigns/:id/preview. */
export interface CampaignPreview {
  rows: PreviewRow[];
  rejected: RejectedRow[];
  counts: { rows: number; valid: number; rejected: number };
}

/** PUT /campaigns/:id/list: the new list and its preview (`preview` is the contract's name for `rows`). */
export interface ListUpload extends CampaignPreview {
  list: CampaignList;
  preview: PreviewRow[];
}

export const CRM_ENTITIES = ['contact', 'lead', 'deal'] as const;
export type CrmEntity = (typeof CRM_ENTITIES)[number];

/** What POST /campaigns/:id/list/crm takes. */
export interface CrmListRequest {
  entity: CrmEntity;
  filter: { categoryId?: number; stageId?: string; sourceId?: string; tag?: string; assignedById?: number };
  /** The template's values for every row, in order; `{name}` is the record's name. */
  params: string[];
}

/** POST /campaigns/:id/list/crm's answer: the list, `loading` while the job reads it. */
export interface CrmListStarted {
  list: CampaignList;
}

export type OptOutSource = 'keyword' | 'manual';

export interface OptOut {
  phone: string;
  source: OptOutSource;
  channelId: string | null;
  createdBy: number | null;
  createdAt: string;
}

/** POST /opt-outs's answer: the number as stored, and whether it was new. */
export interface OptOutAdded {
  phone: string;
  added: boolean;
}
