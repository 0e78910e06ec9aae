import type { Kysely } from 'kysely';
import type { OperatorMessage } from '../../integrations/bitrix24/events.js';
import type { GupshupCallback } from '../../integrations/gupshup/gupshup.webhook.js';
import type { JobHandler } from '../../jobs/worker.js';
import type { DB } from '../../shared/db/schema.js';
import type { Log as Logger } from '../../shared/logger.js';
import { InboundRepository } from './inbound/inbound.repository.js';
import { InboundService } from './inbound/inbound.service.js';
import { IngestRepository } from './inbound/ingest.repository.js';
import { listMessages, replayMessage } from './message-log.js';
import { MessagesRepository, type MessagesFilter } from './messages.repository.js';
import { AgentNotesService } from './notes.service.js';
import { AckService } from './outbound/ack.service.js';
import { OutboundConfirm, type PortalReadBack } from './outbound/confirm.js';
import { ConfirmRepository } from './outbound/confirm.repository.js';
import { OutboundRepository } from './outbound/outbound.repository.js';
import { OutboundService } from './outbound/outbound.service.js';
import { SendCharge, type ChargeDeps } from './outbound/charge.js';
import { ChargeRepository } from './outbound/charge.repository.js';
import { BillingEvents } from './statuses/billing-events.js';
import type {
  InboundTextsHook,
  MessagingHooks,
  OpenLineConnector,
  RelayChannels,
  RelayMedia,
  SendPacer,
  TemplateComposer,
  TemplateOffer,
  WhatsAppSender,
} from './ports.js';
import { StatusesRepository } from './statuses/statuses.repository.js';
import { StatusesService, type SendFailedHook } from './statuses/statuses.service.js';

export type { MessagingHooks } from './ports.js';

export interface MessagingDeps {
  db: Kysely<DB>;
  channels: RelayChannels;
  connector: OpenLineConnector;
  gupshup: WhatsAppSender;
  media: RelayMedia;
  inFlightGraceMs: number;
  /** Most customer messages per `imconnector.send.messages` call. */
  inboundBatchSize: number;
  /** Webhook insert statements running at once; webhooks arriving meanwhile share the next one. */
  ingestInFlight: number;
  /** Paces sends per channel to Gupshup's throughput, across instances. */
  limiter: SendPacer;
  gupshupPerSec: number;
  hooks?: MessagingHooks;
  /** Campaign opt-outs: customer texts that are only a stop keyword (campaigns/opt-outs.service.ts). */
  onInboundTexts?: InboundTextsHook | undefined;
  /** Template messages: their send (outbound.send) and the offer in window-closed notes. */
  templates?: { composer: TemplateComposer; offer: TemplateOffer } | undefined;
  nudge: () => void;
  /** Reads operator messages back from the portal before they are sent (outbound/confirm.ts). */
  readBack: PortalReadBack & { maxChats: number; isPassingRefusal(code: string): boolean };
  /** Charging the send path (billing module's `MessageBilling` and BILLING_* settings). */
  billing?: Omit<ChargeDeps, 'repo' | 'messages' | 'channels' | 'hooks'> | undefined;
  /** A message that failed for good (the SMS fallback of templates not on WhatsApp). */
  onSendFailed?: SendFailedHook | undefined;
}

type ChannelRef = { id: string; portalId: number };

/**
 * The relay (C4, C5), one entry point for the routes and the worker. Webhooks only store: a customer's
 * message as its raw event and job (inbound/ingest.repository.ts), a status with its job. Jobs do the
 * rest and the upstream calls: `inbound/` (customer → open line), `outbound/` (operator → customer,
 * and the delivery acks), `statuses/` (Gupshup's events).
 * Exactly once across crashes: docs/architecture.md.
 */
export class MessagingService {
  readonly #repo: MessagesRepository;
  readonly #inbound: InboundService;
  readonly #outbound: OutboundService;
  readonly #statuses: StatusesService;
  readonly #acks: AckService;
  readonly #notes: AgentNotesService;
  readonly #charge: SendCharge | undefined;
  readonly #billingEvents: BillingEvents | undefined;

  constructor(private readonly d: MessagingDeps) {
    const messages = new MessagesRepository(d.db);
    const outbound = new OutboundRepository(d.db);
    const { hooks, nudge, inFlightGraceMs } = d;
    this.#repo = messages;
    const chargeRepo = new ChargeRepository(d.db);
    const charge = d.billing
      ? new SendCharge({ ...d.billing, repo: chargeRepo, messages, channels: d.channels, hooks })
      : undefined;
    this.#charge = charge;
    this.#billingEvents = charge ? new BillingEvents({ charge, repo: chargeRepo, nudge }) : undefined;
    this.#inbound = new InboundService({
      messages,
      inbound: new InboundRepository(d.db),
      ingest: new IngestRepository(d.db),
      ingestInFlight: d.ingestInFlight,
      connector: d.connector,
      media: d.media,
      inFlightGraceMs,
      batchSize: d.inboundBatchSize,
      hooks,
      onTexts: d.onInboundTexts,
      nudge,
    });
    this.#outbound = new OutboundService({
      messages,
      outbound,
      channels: d.channels,
      gupshup: d.gupshup,
      media: d.media,
      pacer: d.limiter,
      gupshupPerSec: d.gupshupPerSec,
      inFlightGraceMs,
      hooks,
      templates: d.templates?.composer,
      nudge,
      confirm: new OutboundConfirm({
        repo: new ConfirmRepository(d.db),
        readBack: d.readBack,
        maxChats: d.readBack.maxChats,
        isPassingRefusal: (code) => d.readBack.isPassingRefusal(code),
      }),
      charge,
    });
    this.#statuses = new StatusesService({
      messages,
      statuses: new StatusesRepository(d.db),
      channels: d.channels,
      nudge,
      charge,
      onFailed: d.onSendFailed,
    });
    this.#acks = new AckService({
      messages,
      outbound,
      connector: d.connector,
      batchSize: d.inboundBatchSize,
    });
    this.#notes = new AgentNotesService({ messages, connector: d.connector, offer: d.templates?.offer });
  }

  // ---------------------------------------------------------------- webhooks (store and answer)

  /** A Gupshup callback for a channel: a customer's message, a status event, or anything else. */
  async acceptCallback(channel: ChannelRef, cb: GupshupCallback, log: Logger): Promise<void> {
    switch (cb.kind) {
      case 'message':
        await this.#inbound.accept(channel, cb);
        break;
      case 'status':
        await this.#statuses.accept(channel, cb);
        break;
      case 'billing':
        await this.#billingEvents?.accept(channel, cb);
        break;
      case 'other':
        await this.#inbound.acceptOther(channel, cb);
        break;
    }
    this.#inbound.channelHeard(channel.id, log);
  }

  /** OnImConnectorMessageAdd: operator messages for one line, stored for sending. */
  acceptOperatorMessages(portalId: number, line: number, messages: OperatorMessage[], log: Logger) {
    return this.#outbound.accept(portalId, line, messages, log);
  }

  // ---------------------------------------------------------------- the message log

  list(portalId: number, q: MessagesFilter) {
    return listMessages(this.#repo, portalId, q);
  }

  /** A dead-lettered message back to the queue (message-log.ts). */
  async replay(portalId: number, id: number): Promise<{ id: number; status: string }> {
    const result = await replayMessage(this.#repo, portalId, id);
    this.d.nudge();
    return result;
  }

  // ---------------------------------------------------------------- jobs

  acceptJob(): JobHandler {
    return this.#inbound.acceptJob();
  }

  inboundJob(): JobHandler {
    return this.#inbound.job();
  }

  outboundJob(): JobHandler {
    return this.#outbound.job();
  }

  ackJob(): JobHandler {
    return this.#acks.job();
  }

  statusJob(): JobHandler {
    return this.#statuses.job();
  }

  notifyJob(): JobHandler {
    return this.#notes.job();
  }

  /** billing.event and billing.sweep (outbound/charge.ts); none when billing is not wired. */
  billingJobs(): Record<string, JobHandler> {
    if (!this.#charge || !this.#billingEvents) return {};
    return { 'billing.event': this.#billingEvents.job(), 'billing.sweep': this.#charge.sweepJob() };
  }

  /** The send path's billing sweep, run now (tests, operators). */
  sweepBilling(now?: number) {
    return this.#charge?.sweep(now) ?? Promise.resolve({ settled: 0, released: 0 });
  }
}
