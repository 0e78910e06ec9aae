/**
 * What the sandbox SMSAPI holds and how sms.do decides (reference payments-and-sms.md §4.2, §4.3,
 * §4.5, §4.6): accounts by token with a points balance and sender names, sent messages, the `idx`
 * values seen in the last 24 h. Never imports from src/.
 */
import { randomBytes } from 'node:crypto';
import { SegmentedMessage } from 'sms-segments-calculator';

export type SenderStatus = 'ACTIVE' | 'INACTIVE' | 'DELETED' | 'PENDING' | 'REJECTED';

export interface SandboxSender {
  sender: string;
  status: SenderStatus;
  isDefault: boolean;
}

export interface SandboxAccount {
  token: string;
  points: number;
  paymentType: 'prepaid' | 'postpaid' | 'subscription' | 'trial';
  senders: SandboxSender[];
  /** idx → when it was accepted (check_idx, 24 h). */
  idx: Map<string, number>;
}

export interface SandboxSms {
  id: string;
  token: string;
  to: string;
  message: string;
  from: string;
  idx: string | null;
  parts: number;
  points: number;
  encoding: 'GSM-7' | 'UCS-2';
  notifyUrl: string | null;
  at: number;
}

/** An error answer (§4.3): HTTP 200 with `{ error, message, invalid_numbers? }`. */
export class SmsapiRefusal extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly invalidNumbers?: Array<{ number: string; submitted_number: string; message: string }>,
  ) {
    super(message);
  }
}

/** The parameters of sms.do that the sandbox reads, already as strings (form or JSON). */
export type SmsParams = Record<string, string | undefined>;

const DAY_MS = 24 * 60 * 60 * 1000;
/** §4.2: `max_parts` is at most 6; §4.5: 918 GSM-7 / 402 UCS-2 characters. */
const PARTS_CEILING = 6;
/** §4.2: digits with country code. Sandbox choice: 9–15 digits (E.164 without the `+`). */
const NUMBER = /^\d{9,15}$/;
/** §4.2 `Sender`: alphanumeric ≤ 11 characters, or numeric 8–16 digits. */
const SENDER = /^(?=.*[A-Za-z])[A-Za-z0-9 .-]{1,11}$|^\d{8,16}$/;

// Sandbox wording: SMSAPI's texts are not in the reference (§7), only the codes.
export const MESSAGES: Record<number, string> = {
  11: 'Message too long or there is no message',
  12: 'Message has more parts than defined in &max_parts parameter',
  13: 'No correct phone numbers',
  14: 'Sender name incorrect or not active',
  53: 'Message with this idx already sent within 24 hours',
  101: 'Authorization failed',
  103: 'Not enough points',
};

export const refuse = (code: number): SmsapiRefusal => new SmsapiRefusal(code, MESSAGES[code] ?? 'Error');

const on = (v: string | undefined): boolean => v === '1' || v === 'true';

/** `normalize=1` (§4.2): special characters replaced with plain ones (ê→e, ñ→n, ó→o …). */
function normalize(text: string): string {
  return text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/ł/g, 'l')
    .replace(/Ł/g, 'L');
}

export function countParts(text: string): { parts: number; encoding: 'GSM-7' | 'UCS-2'; length: number } {
  const m = new SegmentedMessage(text);
  return { parts: m.segmentsCount, encoding: m.encodingName, length: [...text].length };
}

export interface SendOutcome {
  test: boolean;
  details: boolean;
  message: string;
  length: number;
  parts: number;
  list: SandboxSms[];
}

/** sms.do: validate in SMSAPI's order of concerns, price, charge, store (unless `test=1`). */
export function sendSms(acc: SandboxAccount, p: SmsParams, now: number, pricePerPart: number): SendOutcome {
  const message = on(p.normalize) ? normalize(p.message ?? '') : (p.message ?? '');
  if (message.trim() === '') throw refuse(11);
  const submitted = (p.to ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  const numbers = submitted.map((n) => n.replace(/^\+/, ''));
  const invalid = submitted.filter((_, i) => !NUMBER.test(numbers[i]!));
  if (numbers.length === 0 || invalid.length === numbers.length) {
    throw new SmsapiRefusal(
      13,
      MESSAGES[13]!,
      invalid.map((n) => ({ number: n, submitted_number: n, message: 'Invalid phone number' })),
    );
  }
  const from = p.from ?? 'Test';
  const sender = acc.senders.find((s) => s.sender === from);
  if (!SENDER.test(from) || !sender || sender.status !== 'ACTIVE') throw refuse(14);
  const c = countParts(message);
  const maxParts = Math.min(p.max_parts ? Number(p.max_parts) : PARTS_CEILING, PARTS_CEILING);
  if (!(c.parts <= maxParts)) throw refuse(12);
  const idx = p.idx ?? null;
  const test = on(p.test);
  if (idx !== null && on(p.check_idx)) {
    const seen = acc.idx.get(idx);
    if (seen !== undefined && now - seen < DAY_MS) throw refuse(53);
  }
  const valid = numbers.filter((n) => NUMBER.test(n));
  const price = round(c.parts * pricePerPart);
  if (!test && acc.points < round(price * valid.length)) throw refuse(103);
  const list = valid.map<SandboxSms>((to) => ({
    id: randomBytes(12).toString('hex').toUpperCase(),
    token: acc.token,
    to,
    message,
    from,
    idx,
    parts: c.parts,
    points: price,
    encoding: c.encoding,
    notifyUrl: p.notify_url ?? null,
    at: now,
  }));
  if (!test) {
    acc.points = round(acc.points - price * valid.length);
    if (idx !== null) acc.idx.set(idx, now);
  }
  return { test, details: on(p.details), message, length: c.length, parts: c.parts, list };
}

const round = (n: number): number => Math.round(n * 10_000) / 10_000;
