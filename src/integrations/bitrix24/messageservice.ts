import { z } from 'zod';
import { describeIssues, ProviderError, ValidationError } from '../../shared/errors.js';
import { wholeIdInput } from '../../shared/validate.js';
import type { Bitrix24Client } from './bitrix24.client.js';
import type { CallFn } from './bitrix24.connector.js';

/**
 * The app as the portal's SMS provider (reference bitrix24.md §5.9; b24restdocs
 * api-reference/messageservice/*.md): registration with `messageservice.sender.add`, what Bitrix24
 * posts to the provider's HANDLER when a user (CRM card, `module_id=crm`, with `bindings`) or an
 * automation rule (`module_id=bizproc`, with `workflow_id` / `document_id`) sends an SMS, and the
 * status answer `messageservice.message.status.update`.
 *
 * The handler's call is form-encoded like an event (§2.2) and carries `auth[member_id]` /
 * `auth[application_token]`, checked like every event. A CRM binding is CRM's usual
 * `{OWNER_TYPE_ID, OWNER_ID}` (1 lead, 2 deal, 3 contact, 4 company); the page only says "an array of
 * message bindings to CRM entities".
 */

export const SMS_SENDER_CODE = 'whatsappb24_smsapi';

type Localized = { es: string; en: string; pt: string };
const NAME: Localized = { es: 'SMS (SMSAPI)', en: 'SMS (SMSAPI)', pt: 'SMS (SMSAPI)' };
const DESCRIPTION: Localized = {
  es: 'SMS enviados por su cuenta SMSAPI desde WhatsAppB24, con estado de entrega',
  en: 'SMS sent through your SMSAPI account by WhatsAppB24, with delivery status',
  pt: 'SMS enviados pela sua conta SMSAPI pelo WhatsAppB24, com status de entrega',
};
/** Bitrix24's language ids for our three languages (`la` is Latin-American Spanish, `br` Portuguese). */
const byLang = (l: Localized) => ({ es: l.es, la: l.es, en: l.en, br: l.pt });

const code = (err: unknown) => (err instanceof ProviderError ? (err.providerCode ?? '') : '');

/**
 * Registers the provider; one already registered (`ERROR_SENDER_ALREADY_INSTALLED`, a re-install or a
 * second click) is updated to the current handler and counts as success. Anything else throws.
 */
export async function registerSmsSender(call: CallFn, handler: string): Promise<void> {
  const fields = { TYPE: 'SMS', HANDLER: handler, NAME: byLang(NAME), DESCRIPTION: byLang(DESCRIPTION) };
  try {
    await call('messageservice.sender.add', { CODE: SMS_SENDER_CODE, ...fields });
  } catch (err) {
    if (code(err) !== 'ERROR_SENDER_ALREADY_INSTALLED') throw err;
  }
}

/** The statuses Bitrix24 knows for a provider's message. */
export type B24SmsStatus = 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed';

export class Bitrix24MessageService {
  constructor(private readonly client: Bitrix24Client) {}

  /** `messageservice.message.status.update`; a message Bitrix24 no longer knows is not an error. */
  async updateStatus(portalId: number, messageId: string, status: B24SmsStatus): Promise<'ok' | 'unknown'> {
    try {
      await this.client.call(
        portalId,
        'messageservice.message.status.update',
        { CODE: SMS_SENDER_CODE, MESSAGE_ID: messageId, STATUS: status },
        { background: true },
      );
      return 'ok';
    } catch (err) {
      if (code(err) === 'ERROR_MESSAGE_NOT_FOUND') return 'unknown';
      throw err;
    }
  }

  register(portalId: number, handler: string): Promise<void> {
    return registerSmsSender((method, params) => this.client.call(portalId, method, params), handler);
  }
}

// ------------------------------------------------------------------ the handler's call

const text = z.string().max(10_000);
// One decimal each, as Bitrix24 writes them: a list, "0x10" or "1e3" is not an id (the consent check
// reads the contact it names).
const binding = z
  .object({
    OWNER_TYPE_ID: wholeIdInput('a CRM owner type id', 1000),
    OWNER_ID: wholeIdInput('a CRM record id'),
  })
  .loose();
const listish = <T extends z.ZodType>(item: T) =>
  z
    .union([z.array(item), z.record(z.string(), item)])
    .transform((v) => (Array.isArray(v) ? v : Object.values(v)));

const smsCall = z
  .object({
    module_id: z.string().max(64).optional(),
    bindings: listish(binding).optional(),
    workflow_id: z.string().max(128).optional(),
    document_id: listish(z.string().max(200)).optional(),
    properties: z.object({ phone_number: text.optional(), message_text: text.optional() }).loose().optional(),
    type: z.string().max(16).optional(),
    code: z.string().min(1).max(64),
    message_id: z.string().min(1).max(100),
    message_to: z.string().min(1).max(100),
    message_body: z.string().min(1).max(10_000),
    ts: z.coerce.number().optional(),
    auth: z
      .object({ member_id: z.string().min(1).max(128), application_token: z.string().min(1).max(256) })
      .loose(),
  })
  .loose();

/** A CRM record an SMS is bound to. */
export interface CrmBinding {
  ownerTypeId: number;
  ownerId: number;
}

/** What Bitrix24 asked the provider to send, read into our own shape. */
export interface SmsCall {
  code: string;
  messageId: string;
  to: string;
  text: string;
  moduleId: string | undefined;
  bindings: CrmBinding[];
  document: string | undefined;
}

/** Reads the handler's call; anything else is a 400 saying why (never a 5xx). */
export function parseSmsCall(body: unknown): SmsCall {
  const r = smsCall.safeParse(body ?? {});
  if (!r.success) throw new ValidationError(`Not a message provider call: ${describeIssues(r.error.issues)}`);
  const d = r.data;
  return {
    code: d.code,
    messageId: d.message_id,
    to: d.message_to,
    text: d.message_body,
    moduleId: d.module_id,
    bindings: (d.bindings ?? []).map((b) => ({ ownerTypeId: b.OWNER_TYPE_ID, ownerId: b.OWNER_ID })),
    document: d.document_id?.[2],
  };
}
