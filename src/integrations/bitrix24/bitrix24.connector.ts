import type { Bitrix24Method } from '../catalog.js';
import { z } from 'zod';
import { ProviderError } from '../../shared/errors.js';
import { RETRYABLE_CODES, type Bitrix24Client } from './bitrix24.client.js';

/**
 * Domain operations on a portal's Open Channels connector (reference/bitrix24.md §2.1, §3). Everything
 * Bitrix24-shaped stays here: parameter names, the HTTP-200 failures of `register` and `send.messages`.
 */

const ICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><circle cx="32" cy="32" r="30" fill="#25D366"/>' +
  '<path fill="#fff" d="M32 14a17 17 0 0 0-14.6 25.8L15 49l9.5-2.4A17 17 0 1 0 32 14zm0 3.2a13.8 13.8 0 1 1-7.1 25.6l-.5-.3-5.6 1.5 1.5-5.4-.3-.6A13.8 13.8 0 0 1 32 17.2zm-5.4 7.1c-.3 0-.8.1-1.2.6-.4.4-1.6 1.5-1.6 3.7s1.6 4.3 1.8 4.6c.2.3 3.2 5 7.8 6.8 3.8 1.5 4.6 1.2 5.4 1.1.8-.1 2.6-1.1 3-2.1.4-1 .4-1.9.3-2.1-.1-.2-.4-.3-.9-.5l-3-1.5c-.4-.2-.7-.2-1 .2l-1.4 1.7c-.2.3-.5.3-.9.1-.4-.2-1.8-.7-3.4-2.1-1.3-1.1-2.1-2.5-2.3-2.9-.2-.4 0-.6.2-.8l.7-.8c.2-.3.3-.5.4-.8.1-.3 0-.6 0-.8l-1.4-3.3c-.3-.8-.7-.8-1-.8z"/></svg>';

export const CONNECTOR_ICON = {
  DATA_IMAGE: `data:image/svg+xml;charset=US-ASCII,${encodeURIComponent(ICON_SVG)}`,
  COLOR: '#25D366',
  SIZE: '90%',
  POSITION: 'center',
};

const bindBatchAnswer = z.object({ result: z.unknown(), result_error: z.unknown() }).loose();
const batchErrors = z.record(
  z.string(),
  z.object({ error: z.string(), error_description: z.string().optional() }).loose(),
);

export const BOUND_EVENTS = [
  'OnImConnectorMessageAdd',
  'OnImConnectorMessageUpdate',
  'OnImConnectorMessageDelete',
  'OnImConnectorLineDelete',
  'OnImConnectorStatusDelete',
  'OnAppUninstall',
  // Scheduled notifications: CRM changes the reports count (read back by id, reconciled by list).
  'OnCrmDealAdd',
  'OnCrmDealUpdate',
  'OnCrmLeadAdd',
] as const;

/**
 * Raised whenever BOUND_EVENTS grows: portals installed with fewer bindings get the rest from the
 * notifications' re-bind job (event.bind again; an existing binding counts as done).
 */
export const BOUND_EVENTS_VERSION = 2;

export interface InboundForBitrix {
  externalMessageId: string;
  date: number;
  text: string;
  files?: Array<{ url: string; name: string }>;
  user: { id: string; name?: string; phone?: string };
  chat: { id: string; name?: string; url?: string };
  /** `message.disable_crm: "Y"` (§3.7): Bitrix24's CRM tracker skips it; the app makes the record itself. */
  disableCrm?: boolean;
}

const sendResult = z
  .object({
    SUCCESS: z.union([z.boolean(), z.string()]).optional(),
    DATA: z
      .object({
        RESULT: z
          .array(
            z
              .object({
                SUCCESS: z.union([z.boolean(), z.string()]).optional(),
                ERRORS: z.unknown().optional(),
                session: z
                  .object({ ID: z.coerce.string().optional(), CHAT_ID: z.coerce.number().optional() })
                  .loose()
                  .optional(),
              })
              .loose(),
          )
          .optional(),
      })
      .loose()
      .optional(),
  })
  .loose();

/**
 * One message's result. `unknown` means Bitrix24 answered 200 but without a readable verdict for it:
 * the message may have been taken, so it must be reconciled, not resent.
 */
export type ElementResult =
  { ok: true; chatId: number | null } | { ok: false; error: string; unknown?: boolean };

const truthy = (v: unknown): boolean => v === true || v === 'true' || v === 'Y' || v === 1 || v === '1';

/** Names Bitrix24 accepts for connector users: ≤25 chars, letters, spaces, - and ' (reference §3.7). */
export function connectorUserName(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const clean = name
    .normalize('NFC')
    .replace(/[^\p{L}\s'-]/gu, '')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 25)
    .trim();
  return clean || undefined;
}

export class Bitrix24Connector {
  constructor(
    private readonly client: Bitrix24Client,
    private readonly connectorId: string,
  ) {}

  get id(): string {
    return this.connectorId;
  }

  /** Registers (or re-registers: same ID updates) the connector tile and its settings page. */
  async register(call: CallFn, name: string, placementHandler: string): Promise<void> {
    const r = await call<{ result?: unknown; error?: string; error_description?: string }>(
      'imconnector.register',
      {
        ID: this.connectorId,
        NAME: name,
        ICON: CONNECTOR_ICON,
        PLACEMENT_HANDLER: placementHandler,
        CHAT_GROUP: false,
        NEED_SYSTEM_MESSAGES: true,
        NEED_SIGNATURE: true,
      },
    );
    if (!r || typeof r !== 'object' || !truthy(r.result)) {
      const code = (r && typeof r === 'object' && r.error) || 'REGISTER_FAILED';
      throw new ProviderError('bitrix24', 'imconnector.register', `imconnector.register: ${code}`, {
        providerCode: code,
        retryable: false,
      });
    }
  }

  /** Binds our events; an existing binding (ERROR_HANDLER_ALREADY_EXIST) counts as done. */
  /**
   * Binds every event in one `batch` call (reference §6.4): a batch counts as one request in the
   * portal's rate bucket, where nine `event.bind` calls took a fifth of its burst at every install.
   * `halt: 0` runs them all; a binding that already exists counts as done, any other refusal fails.
   */
  async bindEvents(call: CallFn, handler: string): Promise<void> {
    const cmd = Object.fromEntries(
      BOUND_EVENTS.map((event, i) => [
        `e${i}`,
        `event.bind?${new URLSearchParams({ event, handler }).toString()}`,
      ]),
    );
    const raw = await call('batch', { halt: 0, cmd });
    const answer = bindBatchAnswer.safeParse(raw);
    if (!answer.success) {
      throw new ProviderError('bitrix24', 'batch', 'batch: answer without result', {
        providerCode: 'BAD_ANSWER',
        retryable: true,
      });
    }
    // PHP answers an empty result_error as [], a filled one as an object keyed by command.
    const errors = batchErrors.safeParse(
      Array.isArray(answer.data.result_error) ? {} : answer.data.result_error,
    );
    if (!errors.success) {
      throw new ProviderError('bitrix24', 'batch', 'batch: unreadable result_error', {
        providerCode: 'BAD_ANSWER',
        retryable: true,
      });
    }
    for (const e of Object.values(errors.data)) {
      if (/ALREADY_EXIST/i.test(e.error)) continue;
      throw new ProviderError('bitrix24', 'event.bind', `${e.error}: ${e.error_description ?? ''}`, {
        providerCode: e.error,
        retryable: RETRYABLE_CODES.has(e.error),
      });
    }
  }

  async activateLine(
    portalId: number,
    line: number,
    data: { id: string; name: string; url: string },
  ): Promise<void> {
    await this.client.call(portalId, 'imconnector.activate', {
      CONNECTOR: this.connectorId,
      LINE: line,
      ACTIVE: 1,
    });
    // Activation wipes earlier data (reference §3.4), so data.set always follows it.
    await this.client.call(portalId, 'imconnector.connector.data.set', {
      CONNECTOR: this.connectorId,
      LINE: line,
      DATA: { ID: data.id, URL: data.url, URL_IM: data.url, NAME: data.name },
    });
  }

  async deactivateLine(portalId: number, line: number): Promise<void> {
    await this.client.call(portalId, 'imconnector.activate', {
      CONNECTOR: this.connectorId,
      LINE: line,
      ACTIVE: 0,
    });
  }

  /** Bitrix24's own view of our connector on a line (`imconnector.status`, reference §3.5). */
  async lineStatus(
    portalId: number,
    line: number,
  ): Promise<{ status: boolean; configured: boolean; error: boolean }> {
    const st = await this.client.call<Record<string, unknown> | null>(portalId, 'imconnector.status', {
      CONNECTOR: this.connectorId,
      LINE: line,
    });
    return { status: truthy(st?.STATUS), configured: truthy(st?.CONFIGURED), error: truthy(st?.ERROR) };
  }

  /** Whether the portal has this open line (`imopenlines.config.list.get` filtered by ID, reference §5). */
  async hasLine(portalId: number, line: number): Promise<boolean> {
    const rows = await this.client.call<unknown>(portalId, 'imopenlines.config.list.get', {
      PARAMS: { select: ['ID'], filter: { ID: line }, limit: 1 },
    });
    return Array.isArray(rows) && rows.some((r) => Number((r as { ID?: unknown } | null)?.ID) === line);
  }

  /** Customer messages into the open line; one result per message, in order (reference §3.7). */
  async sendMessages(portalId: number, line: number, messages: InboundForBitrix[]): Promise<ElementResult[]> {
    return this.#messages('imconnector.send.messages', portalId, line, messages);
  }

  /** Same shape as send; succeeds only for messages Bitrix24 already has (found by message.id, §3.8). */
  async updateMessages(
    portalId: number,
    line: number,
    messages: InboundForBitrix[],
  ): Promise<ElementResult[]> {
    return this.#messages('imconnector.update.messages', portalId, line, messages);
  }

  async #messages(
    method: Bitrix24Method,
    portalId: number,
    line: number,
    messages: InboundForBitrix[],
  ): Promise<ElementResult[]> {
    const raw = await this.client.call(portalId, method, {
      CONNECTOR: this.connectorId,
      LINE: line,
      MESSAGES: messages.map((m) => ({
        user: {
          id: m.user.id,
          ...(m.user.name ? { name: m.user.name } : {}),
          ...(m.user.phone ? { phone: m.user.phone } : {}),
        },
        message: {
          id: m.externalMessageId,
          date: m.date,
          text: m.text,
          ...(m.files?.length ? { files: m.files } : {}),
          ...(m.disableCrm ? { disable_crm: 'Y' } : {}),
        },
        chat: {
          id: m.chat.id,
          ...(m.chat.name ? { name: m.chat.name } : {}),
          ...(m.chat.url ? { url: m.chat.url } : {}),
        },
      })),
    });
    const parsed = sendResult.safeParse(raw);
    const results = parsed.success ? (parsed.data.DATA?.RESULT ?? []) : [];
    return messages.map((_, i) => {
      const r = results[i];
      if (!r || r.SUCCESS === undefined) {
        return { ok: false, error: 'no readable result for this message', unknown: true };
      }
      if (!truthy(r.SUCCESS)) return { ok: false, error: describeErrors(r.ERRORS) };
      return { ok: true, chatId: r.session?.CHAT_ID ?? null };
    });
  }

  /** A system note in an open-line chat, visible to the agents (not sent to the customer). */
  async postNote(portalId: number, chatId: number, text: string): Promise<void> {
    await this.client.call(portalId, 'im.message.add', {
      DIALOG_ID: `chat${chatId}`,
      MESSAGE: text,
      SYSTEM: 'Y',
    });
  }

  /** Acknowledges operator messages: marks them delivered and stores our ids on them (§3.9). */
  async ackDelivery(
    portalId: number,
    line: number,
    messages: Array<{
      imChatId: number;
      imMessageId: number;
      externalIds: string[];
      externalChatId: string;
      date: number;
    }>,
  ): Promise<void> {
    // Background half of the budget: under load the read-back of what customers wait for goes first
    // (messaging/outbound/confirm.ts), and the ticks follow in bigger batches.
    await this.client.call(
      portalId,
      'imconnector.send.status.delivery',
      {
        CONNECTOR: this.connectorId,
        LINE: line,
        MESSAGES: messages.map((m) => ({
          im: { chat_id: m.imChatId, message_id: m.imMessageId },
          message: { id: m.externalIds, date: m.date },
          chat: { id: m.externalChatId },
        })),
      },
      { background: true },
    );
  }
}

export type CallFn = <T = unknown>(method: Bitrix24Method, params?: Record<string, unknown>) => Promise<T>;

function describeErrors(errors: unknown): string {
  if (Array.isArray(errors)) return errors.map(String).join('; ').slice(0, 300) || 'refused';
  if (errors && typeof errors === 'object') return Object.values(errors).map(String).join('; ').slice(0, 300);
  return typeof errors === 'string' && errors ? errors : 'refused';
}
