import type { ColumnType, Generated, Selectable } from 'kysely';
import type {
  BillingPacksTable,
  BillingSubscriptionPricesTable,
  BillingOrdersTable,
  BillingPaymentsTable,
  BillingProviderEventsTable,
  BillingBalancesTable,
  BillingLotsTable,
  BillingReservationsTable,
  BillingLedgerTable,
  BillingSettingsTable,
  PaymentWebhooksTable,
  BillingPaymentRefundsTable,
} from './billing-schema.js';
import type { CampaignsTable, CampaignRowsTable, OptOutsTable } from './campaigns-schema.js';
import type { SmsSettingsTable, SmsMessagesTable } from './sms-schema.js';
import type {
  NotificationSettingsTable,
  NotificationGroupsTable,
  NotificationRecipientsTable,
  NotificationGroupRecipientsTable,
  NotificationGroupCompaniesTable,
  NotificationReportsTable,
  NotificationGroupReportsTable,
  NotificationEventsTable,
  NotificationDigestsTable,
  NotificationDigestSendsTable,
  NotificationCrmSnapshotsTable,
  NotificationCrmSyncTable,
} from './notifications-schema.js';

/**
 * The database as Kysely sees it; mirrors migrations/*.sql (test/db-schema.test.ts checks that every
 * column here and in the other schema files of this folder exists in the migrated database and vice
 * versa). Billing's tables are in billing-schema.ts.
 */
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
type Json = ColumnType<unknown, string, string>;

export interface PortalsTable {
  id: Generated<number>;
  member_id: string;
  domain: string;
  client_endpoint: string;
  server_endpoint: string | null;
  lang: Generated<string>;
  access_token_enc: string | null;
  refresh_token_enc: string | null;
  token_expires_at: Timestamp | null;
  application_token_mac: string | null;
  installed_by_user_id: number | null;
  status: Generated<'installing' | 'installed' | 'uninstalled'>;
  setup_error: string | null;
  rate_drain_per_sec: Generated<number>;
  rate_burst: Generated<number>;
  installed_at: Timestamp | null;
  uninstalled_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface ApiTokensTable {
  id: Generated<number>;
  portal_id: number;
  token_mac: string;
  prefix: string;
  label: string | null;
  created_by_user_id: number | null;
  created_at: CreatedAt;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
}

export type ChannelStatus = 'pending' | 'active' | 'interrupted' | 'inactive' | 'deleted';

export interface ChannelsTable {
  id: Generated<string>;
  portal_id: number;
  name: string;
  gupshup_app_name: string;
  gupshup_app_id: string | null;
  source_number: string;
  api_key_enc: string | null;
  callback_nonce: string;
  line_id: number | null;
  status: Generated<ChannelStatus>;
  status_reason: string | null;
  last_webhook_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  deleted_at: Timestamp | null;
  company_name: string | null;
  waba_id: string | null;
  paid_until: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  gupshup_checked_at: Timestamp | null;
  gupshup_check_error: string | null;
}

export interface ConversationsTable {
  id: Generated<number>;
  portal_id: number;
  channel_id: string;
  customer_phone: string;
  customer_name: string | null;
  bitrix_chat_id: number | null;
  last_inbound_at: Timestamp | null;
  created_at: CreatedAt;
  /** chat.assign (0005): the sales representative the chat went to, null when nobody was picked. */
  assigned_user_id: number | null;
  /** When the assignment finished (with or without a representative); null until then. */
  assigned_at: Timestamp | null;
  crm_entity: 'lead' | 'deal' | 'contact' | 'company' | null;
  crm_entity_id: number | null;
  crm_create_started_at: Timestamp | null;
  /** The customer's CRM contact (0007): found by phone or made by chat.assign; null until known. */
  crm_contact_id: number | null;
  /** Set while a crm.contact.add is under way (its outcome unknown until crm_contact_id is saved). */
  crm_contact_started_at: Timestamp | null;
}

export interface MessagesTable {
  id: Generated<number>;
  portal_id: number;
  channel_id: string;
  conversation_id: number;
  direction: 'in' | 'out';
  type: string;
  status: string;
  content: Json;
  wa_message_id: string | null;
  gupshup_message_id: string | null;
  bitrix_message_id: number | null;
  bitrix_chat_id: number | null;
  attempt_started_at: Timestamp | null;
  error_code: string | null;
  error_detail: string | null;
  customer_ts: Timestamp | null;
  sent_at: Timestamp | null;
  delivered_at: Timestamp | null;
  read_at: Timestamp | null;
  failed_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  /** Which WhatsApp message of a split operator message (0 = the first); 0 for inbound. */
  part: Generated<number>;
  /** The template an outbound template message used (issue 11). */
  template_id: string | null;
  /** Idempotency key of an API or robot send, unique per portal. */
  client_key: string | null;
  /** The Bitrix24 user who sent a template from a chat or a CRM card. */
  sent_by: number | null;
  /** 0012: digest of the operator content the portal confirmed (outbound/confirm-rules.ts). */
  portal_confirmed: string | null;
  /** 0013: the message ref of the reservation that pays for its send (docs/billing.md). */
  billing_ref: Generated<string | null>;
  /** 0013: when the message was first held for lack of message units. */
  held_at: Generated<Date | null>;
}

export type TemplateStatus =
  | 'draft'
  | 'submitting'
  | 'pending'
  | 'approved'
  | 'rejected'
  | 'paused'
  | 'disabled'
  | 'failed'
  | 'in_appeal'
  | 'deleted';

export interface TemplatesTable {
  id: Generated<string>;
  portal_id: number;
  channel_id: string;
  element_name: string;
  display_name: string;
  language: string;
  category: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
  template_type: 'TEXT' | 'IMAGE' | 'DOCUMENT' | 'VIDEO';
  header: string | null;
  body: string;
  footer: string | null;
  buttons: ColumnType<unknown, string | undefined, string>;
  params: ColumnType<unknown, string | undefined, string>;
  /** 0011: the text header's own variable as name and example (JSON); null when it has none. */
  header_param: ColumnType<unknown, string | null | undefined, string | null>;
  sample_media_id: string | null;
  status: ColumnType<TemplateStatus, TemplateStatus | undefined, TemplateStatus>;
  status_reason: string | null;
  gupshup_id: string | null;
  source: ColumnType<'app' | 'console', 'app' | 'console' | undefined, 'app' | 'console'>;
  active: ColumnType<boolean, boolean | undefined, boolean>;
  created_by: number | null;
  status_at: Timestamp | null;
  synced_at: Timestamp | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  deleted_at: Timestamp | null;
}

export interface TemplateLinesTable {
  template_id: string;
  line_id: number;
}

export interface MediaTable {
  id: string;
  portal_id: number;
  message_id: number | null;
  direction: 'in' | 'out';
  name: string;
  mime: string;
  size: number;
  created_at: CreatedAt;
}

export type TraceLevel = 'INFO' | 'WARN' | 'ERROR';

export interface TraceTable {
  id: Generated<number>;
  portal_id: number;
  channel_id: string | null;
  message_id: number | null;
  direction: 'in' | 'out' | null;
  step: string;
  level: TraceLevel;
  code: string | null;
  detail: string | null;
  created_at: CreatedAt;
}

export type JobStatus = 'pending' | 'running' | 'done' | 'dead' | 'cancelled';

export interface JobsTable {
  id: Generated<number>;
  portal_id: number | null;
  topic: string;
  payload: Json;
  dedupe_key: string | null;
  chat_key: string | null;
  status: Generated<JobStatus>;
  attempts: Generated<number>;
  run_at: ColumnType<Date, Date | string | undefined, Date | string>;
  locked_until: Timestamp | null;
  locked_by: string | null;
  last_error: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  finished_at: Timestamp | null;
}

export interface NumberRequestsTable {
  id: Generated<number>;
  portal_id: number;
  company_name: string;
  contact_name: string;
  contact_email: string | null;
  contact_phone: string | null;
  line_id: number | null;
  status: Generated<'pending' | 'confirmed' | 'cancelled'>;
  channel_id: string | null;
  requested_by_user_id: number | null;
  created_at: CreatedAt;
  confirmed_at: Timestamp | null;
}

export interface ChannelRolesTable {
  portal_id: number;
  channel_id: string;
  user_id: number;
  user_name: Generated<string>;
  quality_control: Generated<boolean>;
  sales_rep: Generated<boolean>;
  receives_new: Generated<boolean>;
  boss: Generated<boolean>;
  updated_at: UpdatedAt;
}

export interface ChannelCrmSettingsTable {
  channel_id: string;
  portal_id: number;
  entity: Generated<'lead' | 'deal'>;
  category_id: number | null;
  stage_id: string | null;
  rr_last_user_id: number | null;
  updated_at: UpdatedAt;
}

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  applied_at: CreatedAt;
}

export interface RateBucketsTable {
  key: string;
  level: Generated<number>;
  at: Generated<Date>;
}

export interface DB {
  portals: PortalsTable;
  api_tokens: ApiTokensTable;
  channels: ChannelsTable;
  conversations: ConversationsTable;
  messages: MessagesTable;
  trace: TraceTable;
  jobs: JobsTable;
  rate_buckets: RateBucketsTable;
  number_requests: NumberRequestsTable;
  channel_roles: ChannelRolesTable;
  channel_crm_settings: ChannelCrmSettingsTable;
  media: MediaTable;
  templates: TemplatesTable;
  template_lines: TemplateLinesTable;
  billing_packs: BillingPacksTable;
  billing_subscription_prices: BillingSubscriptionPricesTable;
  billing_orders: BillingOrdersTable;
  billing_payments: BillingPaymentsTable;
  billing_provider_events: BillingProviderEventsTable;
  billing_balances: BillingBalancesTable;
  billing_lots: BillingLotsTable;
  billing_reservations: BillingReservationsTable;
  billing_ledger: BillingLedgerTable;
  notification_settings: NotificationSettingsTable;
  notification_groups: NotificationGroupsTable;
  notification_recipients: NotificationRecipientsTable;
  notification_group_recipients: NotificationGroupRecipientsTable;
  notification_group_companies: NotificationGroupCompaniesTable;
  notification_reports: NotificationReportsTable;
  notification_group_reports: NotificationGroupReportsTable;
  notification_events: NotificationEventsTable;
  notification_digests: NotificationDigestsTable;
  notification_digest_sends: NotificationDigestSendsTable;
  notification_crm_snapshots: NotificationCrmSnapshotsTable;
  notification_crm_sync: NotificationCrmSyncTable;
  billing_settings: BillingSettingsTable;
  payment_webhooks: PaymentWebhooksTable;
  billing_payment_refunds: BillingPaymentRefundsTable;
  campaigns: CampaignsTable;
  campaign_rows: CampaignRowsTable;
  opt_outs: OptOutsTable;
  sms_settings: SmsSettingsTable;
  sms_messages: SmsMessagesTable;
  schema_migrations: SchemaMigrationsTable;
}

export type PortalRow = Selectable<PortalsTable>;
export type ChannelRow = Selectable<ChannelsTable>;
export type JobRow = Selectable<JobsTable>;
export type TemplateRow = Selectable<TemplatesTable>;
export type * from './billing-schema.js';
export type * from './notifications-schema.js';
export type * from './campaigns-schema.js';
export type * from './sms-schema.js';
