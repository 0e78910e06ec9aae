import type { ColumnType, Generated } from 'kysely';

type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;
/** The text as the relay stores a message's content. */
export interface SmsContent {
  text: string;
}
type Json<T = unknown> = ColumnType<T, string | undefined, string>;

export type SmsSource = 'b24' | 'api' | 'fallback';
export type SmsStatus = 'queued' | 'accepted' | 'delivered' | 'undelivered' | 'failed';

/** Per-portal SMS settings (0023). */
export interface SmsSettingsTable {
  portal_id: number;
  token_enc: string | null;
  sender_name: string | null;
  sender_status: string | null;
  timeout_ms: Generated<number>;
  test_mode: Generated<boolean>;
  consent_field: string | null;
  allowed_countries: ColumnType<string[], string[] | undefined, string[]>;
  default_country: Generated<string>;
  max_parts: Generated<number>;
  no_accents: Generated<boolean>;
  fallback_channel_ids: ColumnType<string[], string[] | undefined, string[]>;
  provider_registered_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  dlr_secret: string;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

/** One SMS (0023). */
export interface SmsMessagesTable {
  id: Generated<number>;
  portal_id: number;
  source: SmsSource;
  bitrix_message_id: string | null;
  relay_message_id: number | null;
  origin: Json<Record<string, unknown>>;
  created_by: number | null;
  to_raw: string;
  to_e164: string | null;
  content: Json<SmsContent>;
  no_accents: Generated<boolean>;
  encoding: 'GSM-7' | 'UCS-2' | null;
  parts: number | null;
  idx: Generated<string>;
  smsapi_id: string | null;
  points: number | null;
  status: ColumnType<SmsStatus, SmsStatus | undefined, SmsStatus>;
  report_status: number | null;
  report_name: string | null;
  error_code: string | null;
  error_detail: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
  accepted_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  done_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}
