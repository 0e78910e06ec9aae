import type { SmsLength } from '../../sms/length.js';
import { call } from './api.js';

/** The SMS routes as the SMS tab calls them (issue 15; shapes of the session contract, "SMS"). */

export type TokenState = 'missing' | 'ok' | 'reenter';

export interface SmsSettings {
  configured: boolean;
  tokenState: TokenState;
  senderName: string | null;
  senderStatus: string | null;
  timeoutMs: number;
  testMode: boolean;
  consentField: string | null;
  allowedCountries: string[];
  defaultCountry: string;
  maxParts: number;
  noAccents: boolean;
  fallbackChannelIds: string[];
  providerRegistered: boolean;
  balance: { points: number } | null;
}

/** What PUT /sms/settings takes: the same fields, and `token` only when a new one was typed. */
export type SmsSettingsChange = Partial<
  Omit<SmsSettings, 'configured' | 'tokenState' | 'senderStatus' | 'providerRegistered' | 'balance'>
> & { token?: string };

export type SmsStatus = 'queued' | 'accepted' | 'delivered' | 'undelivered' | 'failed';

export interface SmsMessage {
  id: number | string;
  /** Masked by the server. */
  to: string;
  status: SmsStatus;
  parts: number | null;
  points: number | null;
  /** Why it failed, in words (the portal's language when it was refused). */
  error: string | null;
  /** Its stable code (`no_points`, `smsapi_103`…). */
  errorCode: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

export const smsApi = {
  settings: () => call<SmsSettings>('GET', '/sms/settings'),
  save: (change: SmsSettingsChange) => call<SmsSettings>('PUT', '/sms/settings', { ...change }),
  register: () => call<{ providerRegistered: boolean }>('POST', '/sms/register', {}),
  consentFields: () => call<Array<{ code: string; label: string }>>('GET', '/sms/consent-fields'),
  send: (to: string, text: string, noAccents: boolean) =>
    call<{ id: number | string; status: SmsStatus; length: SmsLength }>('POST', '/sms/messages', {
      to,
      text,
      noAccents,
    }),
  messages: (page = 1) => call<{ items: SmsMessage[]; total: number }>('GET', `/sms/messages?page=${page}`),
};
