import type { Kysely, Transaction } from 'kysely';
import type { ElementResult, InboundForBitrix } from '../../integrations/bitrix24/bitrix24.connector.js';
import type { SendMessageInput, SendTemplateInput } from '../../integrations/gupshup/gupshup.client.js';
import type { TemplateEvent } from '../../integrations/gupshup/gupshup.webhook.js';
import type { DB } from '../../shared/db/schema.js';
import type { Lang } from '../../shared/i18n.js';
import type { Budget } from '../../shared/rate-limiter.js';
import type { ChannelStatusReason } from '../channels/status-reasons.js';

/**
 * What the messaging module needs from elsewhere. The composition root hands in the real adapters
 * (Bitrix24 connector, Gupshup client, media and channels services, the rate limiter); tests can hand
 * fakes.
 */

export type Executor = Kysely<DB> | Transaction<DB>;

/** One operator message acknowledged in Bitrix24 (`imconnector.send.status.delivery`). */
export interface DeliveryAck {
  imChatId: number;
  imMessageId: number;
  externalIds: string[];
  externalChatId: string;
  date: number;
}

/** The Bitrix24 connector calls the relay makes (integrations/bitrix24/bitrix24.connector.ts). */
export interface OpenLineConnector {
  sendMessages(portalId: number, line: number, messages: InboundForBitrix[]): Promise<ElementResult[]>;
  /** Succeeds only for messages Bitrix24 already has: the reconciliation after a crash. */
  updateMessages(portalId: number, line: number, messages: InboundForBitrix[]): Promise<ElementResult[]>;
  ackDelivery(portalId: number, line: number, messages: DeliveryAck[]): Promise<void>;
  /** A system note in an open-line chat, for the agents only. */
  postNote(portalId: number, chatId: number, text: string): Promise<void>;
}

/** Gupshup's send (integrations/gupshup/gupshup.client.ts); it throws `GupshupSendError`. */
export interface WhatsAppSender {
  sendMessage(input: SendMessageInput): Promise<{ messageId: string }>;
  sendTemplate(input: SendTemplateInput): Promise<{ messageId: string }>;
}

/**
 * The templates module's part of `outbound.send` (templates/template-outbound.ts): what Gupshup's
 * template send gets for a message of type 'template', or why it must not go (the message then fails
 * with that code). It throws while the message's header file is not ready yet (the job retries).
 */
export interface TemplateComposer {
  compose(m: {
    id: number;
    portal_id: number;
    content: unknown;
  }): Promise<
    | { template: { id: string; params: string[] }; message?: Record<string, unknown> }
    | { refuse: { code: string; detail: string } }
  >;
}

/** The templates a window-closed note offers (templates module): one line of text, or null. */
export type TemplateOffer = (
  m: { channel_id: string; channel_line: number | null },
  lang: Lang,
) => Promise<string | null>;

/** The media module: signed links for Bitrix24, the WhatsApp message for a stored file. */
export interface RelayMedia {
  forBitrix(content: unknown, lang: Lang): { text: string; files?: Array<{ url: string; name: string }> };
  whatsappMessage(content: unknown, text: string): Record<string, unknown> | null;
}

/** A channel's Gupshup identity, as the send needs it. */
export interface ChannelSendSecrets {
  apiKey: string;
  appName: string;
  sourceNumber: string;
  status: string;
}

/** The channels module: secrets for sending, and the Interrupted state a rejected key or wallet causes. */
export interface RelayChannels {
  secrets(channelId: string): Promise<ChannelSendSecrets | undefined>;
  interrupt(channelId: string, reason: ChannelStatusReason, exec?: Executor): Promise<void>;
  recover(channelId: string): Promise<void>;
}

/** The channel a Gupshup callback URL names, checked against its secret (404/403 otherwise). */
export interface CallbackAuth {
  authenticateCallback(
    channelId: string,
    secret: string,
  ): Promise<{ id: string; portalId: number; appName: string }>;
}

/** Where Gupshup's template events go (the templates module). */
export interface TemplateEvents {
  acceptEvent(channel: { id: string; portalId: number }, e: TemplateEvent): Promise<void>;
}

/** Paces sends per channel to Gupshup's throughput across instances; throws `RateLimitedError`. */
export interface SendPacer {
  acquire(key: string, budget: Budget, maxWaitMs: number): Promise<void>;
}

/**
 * Customer texts as the delivery job reads them (number: E.164 digits without the plus), for modules
 * that react to what customers write (campaign opt-outs). Called once per delivery batch; it must
 * not touch the database unless one of the texts concerns it, and be idempotent (a batch may be
 * retried).
 */
export type InboundTextsHook = (
  texts: Array<{ portalId: number; channelId: string; phoneDigits: string; text: string }>,
) => Promise<void>;

export interface MessagingHooks {
  /** Test seam: runs right after the upstream call returned, before its result is recorded. */
  afterUpstreamCall?: (kind: 'gupshup.send' | 'bitrix.send', messageId: number) => Promise<void>;
  /** Test seam: runs right after a send's unit was reserved (committed), before Gupshup is called. */
  afterReserve?: (messageId: number) => Promise<void>;
}
