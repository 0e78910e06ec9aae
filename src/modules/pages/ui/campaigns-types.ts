/** The campaigns API's JSON as the Campaigns tab reads it (issue 14; the session contract's shapes). */

export type CampaignStatus = 'draft' | 'scheduled' | 'running' | 'paused' | 'finished' | 'cancelled';

export interface CampaignList {
  source: 'csv' | 'crm' | null;
  /** 'empty' | 'loading' | 'ready' | 'failed' (H2's JSON types it as a string). */
  status: string;
  rows: number;
  rejected: number;
  info: object;
}

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

export interface Campaign {
  id: number;
  name: string;
  channelId: string;
  templateId: string | null;
  status: CampaignStatus;
  statusReason: string | null;
  replyLineId: number | null;
  replyUserIds: number[];
  window: { days: number[]; from: string; to: string };
  timeZone: string;
  startAt: string | null;
  ratePerMinute: number;
  list: CampaignList;
  counts: CampaignCounts;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface CampaignPreview {
  rows: Array<{
    line: number;
    phone: string | null;
    name: string;
    params: string[];
    text: string;
    templateName: string | null;
  }>;
  rejected: Array<{ line: number; rawPhone: string; code: string | null; message: string }>;
  counts: { rows: number; valid: number; rejected: number };
}

export interface CampaignReport {
  funnel: { queued: number; sent: number; delivered: number; read: number; replied: number; failed: number };
  failures: Array<{ code: string; count: number; message: string }>;
  progress: number;
  rate: { perMinute: number; cap: number; allowedPerMinute: number };
}

/** What POST /campaigns and PATCH /campaigns/:id take. */
export interface CampaignInput {
  name: string;
  channelId: string;
  templateId: string;
  replyLineId: number | null;
  replyUserIds: number[];
  window: { days: number[]; from: string; to: string };
  timeZone: string;
  startAt: string | null;
  ratePerMinute: number;
}

export interface CrmListRequest {
  entity: 'contact' | 'lead' | 'deal';
  filter: { categoryId?: number; stageId?: string; sourceId?: string; assignedById?: number };
  params: string[];
}

export interface OptOut {
  phone: string;
  source: 'keyword' | 'manual';
  channelId: string | null;
  createdBy: number | null;
  createdAt: string;
}
