/**
 * What the SMS module needs from its neighbours, with the shapes agreed in the session contract
 * for issue 15: the SMSAPI client (src/integrations/smsapi/smsapi.client.ts) and the length rules
 * (length.ts). The composition root hands in the real ones.
 */

export type { SmsLength } from './length.js';
import type { SmsLength } from './length.js';
import { SmsapiError } from '../../integrations/smsapi/smsapi.client.js';

export type SmsLengthFn = (text: string, opts?: { noAccents?: boolean; maxParts?: number }) => SmsLength;

export interface SmsapiSendInput {
  /** Digits with the country code, no `+`. */
  to: string;
  message: string;
  from: string;
  idx: string;
  notifyUrl?: string;
  test?: boolean;
  normalize?: boolean;
  maxParts?: number;
  timeoutMs: number;
}

export interface SmsapiDeliveryReport {
  msgId: string;
  idx: string | null;
  status: number;
  statusName: string;
  doneAt: Date | null;
  points: number | null;
}

/** SMSAPI (reference payments-and-sms.md §4); errors are `SmsapiErrorLike`. */
export interface SmsapiPort {
  send(
    token: string,
    input: SmsapiSendInput,
  ): Promise<{ id: string; points: number; parts: number; status: string }>;
  profile(token: string, timeoutMs: number): Promise<{ points: number; paymentType: string | null }>;
  senderNames(
    token: string,
    timeoutMs: number,
  ): Promise<Array<{ sender: string; status: string; isDefault: boolean }>>;
  parseDeliveryReports(input: unknown): SmsapiDeliveryReport[];
}

/** What the SMSAPI client throws: SMSAPI's code, and whether to try again. */
export function isSmsapiError(err: unknown): err is SmsapiError {
  return err instanceof SmsapiError;
}
