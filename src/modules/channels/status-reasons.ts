/**
 * Why a channel is Interrupted or Inactive (`channels.status_reason`). The pages show the reason
 * under the status, so each one has its text in es, en and pt (pages/texts.ts, checked at compile
 * time against this list).
 */
export const CHANNEL_STATUS_REASONS = [
  /** An admin switched the channel off. */
  'switched_off',
  /** The portal uninstalled the app. */
  'app_uninstalled',
  /** Gupshup refused the channel's API key on a send (Interrupted). */
  'api_key_rejected',
  /** Gupshup's wallet is empty: failure 1003 (Interrupted). */
  'wallet_empty',
  /** Bitrix24 deleted the open line the channel served. */
  'line_deleted',
  /** Someone switched the connector off on the open line in Bitrix24. */
  'connector_disabled_in_bitrix24',
  /** The portal has no message units left: outbound messages are held (billing, Interrupted). */
  'no_message_units',
  /** The channel's subscription was not paid (Stripe: invoice failed, past due, unpaid) (Interrupted). */
  'subscription_unpaid',
  /** The channel's subscription was cancelled (Interrupted). */
  'subscription_cancelled',
] as const;

/** The reasons payments set and clear (a paid subscription brings the channel back). */
export const SUBSCRIPTION_REASONS = ['subscription_unpaid', 'subscription_cancelled'] as const;

export type ChannelStatusReason = (typeof CHANNEL_STATUS_REASONS)[number];
