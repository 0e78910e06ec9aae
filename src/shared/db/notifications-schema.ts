import type { ColumnType, Generated } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

/** Scheduled notifications (0017): settings, groups, recipients and the companies a group hears about. */
export interface NotificationSettingsTable {
  portal_id: number;
  country: Generated<string>;
  time_zone: Generated<string>;
  allowed_calling_codes: Generated<string[]>;
  max_recipients: Generated<number>;
  max_groups: Generated<number>;
  digest_interval_minutes: Generated<number>;
  full_service: Generated<boolean>;
  trial_started_at: ColumnType<Date, Date | string | undefined, Date | string>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface NotificationGroupsTable {
  id: Generated<number>;
  portal_id: number;
  name: string;
  all_companies: Generated<boolean>;
  is_default: Generated<boolean>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface NotificationRecipientsTable {
  id: Generated<number>;
  portal_id: number;
  first_name: string;
  last_name: string;
  phone_e164: string;
  reference: Generated<string>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface NotificationGroupRecipientsTable {
  group_id: number;
  recipient_id: number;
  enabled: Generated<boolean>;
}

export interface NotificationGroupCompaniesTable {
  group_id: number;
  company_id: number;
  title: Generated<string>;
}

export type NotificationReportKind = 'deal_stage' | 'deal_field_changed' | 'new_lead';
export type NotificationParam = 'count' | 'titles' | 'company' | 'link' | 'group';

export interface NotificationReportsTable {
  id: Generated<number>;
  portal_id: number;
  name: string;
  kind: NotificationReportKind;
  category_id: number | null;
  stage_id: string | null;
  field: string | null;
  source_id: string | null;
  template_id: string | null;
  params: ColumnType<NotificationParam[], string | undefined, string>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface NotificationGroupReportsTable {
  group_id: number;
  report_id: number;
  enabled: Generated<boolean>;
  preset: Generated<'working' | 'extended' | 'full_time' | 'custom'>;
  days: Generated<number[]>;
  from_minute: Generated<number>;
  to_minute: Generated<number>;
  holidays: Generated<'skip' | 'allow'>;
}

/** The CRM changes reports matched (0018); digests read them. */
export interface NotificationEventsTable {
  id: Generated<number>;
  portal_id: number;
  report_id: number;
  entity_type: 'deal' | 'lead';
  entity_id: number;
  company_id: number | null;
  title: Generated<string>;
  dedupe_key: string;
  occurred_at: ColumnType<Date, Date | string, never>;
  recorded_at: CreatedAt;
}

/** Digests (0020): one per group, report and run, with one send per enabled recipient. */
export interface NotificationDigestsTable {
  id: Generated<number>;
  portal_id: number;
  group_id: number;
  report_id: number;
  kind: 'scheduled' | 'test';
  after_event_id: Generated<number>;
  last_event_id: number | null;
  events: number;
  template_id: string | null;
  params: ColumnType<string[], string | undefined, string>;
  status: Generated<'sending' | 'sent' | 'partial' | 'failed'>;
  created_at: ColumnType<Date, Date | string | undefined, never>;
  updated_at: UpdatedAt;
}

export interface NotificationDigestSendsTable {
  id: Generated<number>;
  digest_id: number;
  recipient_id: number | null;
  name: string;
  phone_e164: string;
  client_key: string;
  status: Generated<'pending' | 'queued' | 'failed'>;
  message_id: number | null;
  error_code: string | null;
  error_detail: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** The last state of a deal the CRM events compared against (0019). */
export interface NotificationCrmSnapshotsTable {
  portal_id: number;
  entity_type: 'deal' | 'lead';
  entity_id: number;
  category_id: number | null;
  stage_id: string | null;
  moved_at: Date | null;
  fields: ColumnType<Record<string, string>, string, string>;
  modified_at: ColumnType<Date, Date | string, Date | string>;
  updated_at: UpdatedAt;
}

/** Per portal: the reconciliation's cursors and the version of its event bindings (0019). */
export interface NotificationCrmSyncTable {
  portal_id: number;
  deals_after: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  leads_after: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  reconciled_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  events_version: Generated<number>;
  updated_at: UpdatedAt;
}
