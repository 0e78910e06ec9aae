/**
 * Every step the trace records, by area. A step is shown to people in the Message log, so each one
 * has its text in es, en and pt (pages/texts.ts, checked at compile time against this list): a new
 * step goes here first. `status_<type>` is Gupshup's message-event of that type (reference §3.4).
 */
export const TRACE_STEPS = [
  // Inbound: Gupshup → Bitrix24
  'received',
  'queued',
  'duplicate_ignored',
  'gupshup_event',
  'delivered_to_bitrix',
  'bitrix_refused',
  'media_stored',
  'media_retry',
  'media_failed',
  // Outbound: Bitrix24 → Gupshup
  'no_channel_for_line',
  'rejected',
  'skipped',
  'window_closed',
  'awaiting_confirmation',
  'resend_unconfirmed',
  'send_outcome_unknown',
  'sent_upstream',
  'sent_upstream_confirmed',
  'acknowledged_in_bitrix',
  'ack_failed',
  'file_refused',
  'edit_ignored',
  'delete_ignored',
  'edited_before_send',
  'cancelled_before_send',
  'edit_not_possible',
  'delete_not_possible',
  'agent_notified',
  // Templates (issue 11): the CRM card's number checked, the record in the chat, the workflow's answer
  'crm_phone_checked',
  'template_recorded',
  'robot_answered',
  'robot_answer_failed',
  // Either direction: retries and their end
  'retry_scheduled',
  'failed',
  'dead_lettered',
  'replayed',
  // Assignment and CRM
  'assign_decided',
  'assign_skipped',
  'assign_failed',
  'chat_transferred',
  'transfer_refused',
  'crm_lookup_refused',
  'crm_contact_created',
  'crm_contact_reconciled',
  'crm_contact_refused',
  'crm_chat_bound',
  'crm_chat_unbound',
  'crm_chat_check_failed',
  'crm_record_created',
  'crm_record_reconciled',
  'crm_record_refused',
  'crm_record_unconfirmed',
  // Channels and portals
  'channel_created',
  'channel_activated',
  'channel_deactivated',
  'channel_interrupted',
  'channel_recovered',
  'channel_deleted',
  'portal_install_event',
  'portal_installed',
  'portal_extras',
  'portal_setup_failed',
  'portal_uninstalled',
] as const;

export type TraceStep = (typeof TRACE_STEPS)[number] | `status_${string}`;
