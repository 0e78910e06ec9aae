import type { ColumnType, Generated } from 'kysely';
import type {
  CampaignListSource,
  CampaignListStatus,
  CampaignStatus,
  OptOutSource,
} from '../../modules/campaigns/campaign-model.js';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string | undefined, string>;

export type CampaignRowStatus = 'rejected' | 'ready' | 'queued' | 'failed' | 'cancelled';

/** Campaigns (0022). */
export interface CampaignsTable {
  id: Generated<number>;
  portal_id: number;
  channel_id: string;
  template_id: string | null;
  name: string;
  status: ColumnType<CampaignStatus, CampaignStatus | undefined, CampaignStatus>;
  status_reason: string | null;
  reply_line_id: number | null;
  reply_user_ids: ColumnType<number[], number[] | undefined, number[]>;
  window_days: ColumnType<number[], number[] | undefined, number[]>;
  window_from: Generated<number>;
  window_to: Generated<number>;
  time_zone: Generated<string>;
  start_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  rate_per_minute: Generated<number>;
  list_source: CampaignListSource | null;
  list_info: Json<Record<string, unknown>>;
  list_status: ColumnType<CampaignListStatus, CampaignListStatus | undefined, CampaignListStatus>;
  rows_total: Generated<number>;
  rows_rejected: Generated<number>;
  created_by: number | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  started_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  finished_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  /** 0024: the dispatcher's state (campaigns/dispatch.ts): run, token bucket, AIMD, trace cursor. */
  run_seq: Generated<number>;
  pace_credit: Generated<number>;
  pace_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  pace_factor: Generated<number>;
  pace_changed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  trace_cursor: ColumnType<number, number | undefined, number>;
}

export interface CampaignRowsTable {
  id: Generated<number>;
  campaign_id: number;
  line_no: number;
  raw_phone: Generated<string>;
  phone_e164: string | null;
  name: Generated<string>;
  params: Json<unknown[]>;
  template_id: string | null;
  status: CampaignRowStatus;
  error_code: string | null;
  error_detail: string | null;
  client_key: string | null;
  message_id: number | null;
  queued_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  replied_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface OptOutsTable {
  portal_id: number;
  phone_e164: string;
  source: OptOutSource;
  channel_id: string | null;
  created_by: number | null;
  created_at: CreatedAt;
}
