import type { Transaction } from 'kysely';
import type { OperatorMessage } from '../../../integrations/bitrix24/events.js';
import { GupshupSendError } from '../../../integrations/gupshup/gupshup.client.js';
import type { JobHandler, JobOutcome } from '../../../jobs/worker.js';
import type { DB, JobRow } from '../../../shared/db/schema.js';
import { retryOnConflict } from '../../../shared/db/retry.js';
import type { Log as Logger } from '../../../shared/logger.js';
import { RateLimitedError } from '../../../shared/rate-limiter.js';
import { writeTrace } from '../../trace/trace.service.js';
import { deadLetter, messageIdOf, traceRetry } from '../job-support.js';
import type { LoadedMessage, MessagesRepository } from '../messages.repository.js';
import type {
  ChannelSendSecrets,
  MessagingHooks,
  RelayChannels,
  RelayMedia,
  SendPacer,
  TemplateComposer,
  WhatsAppSender,
} from '../ports.js';
import { isAgentNote, operatorText } from './operator-text.js';
import type { SendCharge } from './charge.js';
import type { OutboundRepository } from './outbound.repository.js';
import { operatorFiles, planParts } from './parts.js';
import { inFlightSend, windowOpen } from './send-rules.js';

export interface OutboundDeps {
  messages: MessagesRepository;
  outbound: OutboundRepository;
  channels: RelayChannels;
  gupshup: WhatsAppSender;
  media: Pick<RelayMedia, 'whatsappMessage'>;
  /** Paces sends per channel to Gupshup's throughput, across instances. */
  pacer: SendPacer;
  gupshupPerSec: number;
  inFlightGraceMs: number;
  hooks?: MessagingHooks | undefined;
  /** Messages of type 'template' (sent by the templates module, not typed in Bitrix24). */
  templates?: TemplateComposer | undefined;
  nudge: () => void;
  /** The read-back before anything is sent (confirm.ts); without it nothing is checked (unit tests). */
  confirm?: SendCheck | undefined;
  /** Charging each WhatsApp message one unit (charge.ts); without it nothing is charged (unit tests). */
  charge?: SendCharge | undefined;
}

/** Decides whether a part may go: undefined when it may, else what the job does instead. */
export interface SendCheck {
  check(m: LoadedMessage, job: JobRow, log: Logger): Promise<JobOutcome | undefined>;
}

/** What one send hands Gupshup: a session message, or a template (allowed outside the window). */
type Outgoing =
  | { kind: 'session'; message: Record<string, unknown> }
  | { kind: 'template'; template: { id: string; params: string[] }; message?: Record<string, unknown> };

type Ready = { outcome: JobOutcome } | { m: LoadedMessage; ch: ChannelSendSecrets };

/**
 * Operator → customer (C5). The webhook only stores (`accept`): one row per WhatsApp message ("part",
 * parts.ts) with its `outbound.send` job. The job sends at most once: before the call the message is
 * marked in flight in its own commit; Gupshup has no idempotency key and no lookup, so a job that
 * finds the mark waits for Gupshup's own event (`statuses/`) and resends only when none came within
 * the grace period (docs/architecture.md, "Exactly once").
 */
export class OutboundService {
  constructor(private readonly d: OutboundDeps) {}

  /** OnImConnectorMessageAdd: operator messages for one line, stored for sending. */
  async accept(portalId: number, line: number, messages: OperatorMessage[], log: Logger): Promise<number> {
    const channel = await this.d.outbound.channelForLine(portalId, line);
    if (!channel) {
      await this.d.messages.trace({
        portalId,
        direction: 'out',
        step: 'no_channel_for_line',
        level: 'WARN',
        detail: `line ${line}: ${messages.length} message(s) not sent`,
      });
      log.warn({ portalId, line }, 'Operator message for a line without an active channel.');
      return 0;
    }
    let stored = 0;
    await retryOnConflict(() =>
      this.d.messages.transaction(async (trx) => {
        stored = 0;
        for (const m of messages) stored += await this.#store(trx, portalId, channel.id, m);
      }),
    );
    if (stored) this.d.nudge();
    return stored;
  }

  /** One operator message, inside the webhook's transaction; returns how many parts were new. */
  async #store(
    trx: Transaction<DB>,
    portalId: number,
    channelId: string,
    m: OperatorMessage,
  ): Promise<number> {
    // Our own failure notes, should Bitrix24 hand them to the connector, are not for the customer.
    if (isAgentNote(m.text)) return 0;
    const phone = m.externalChatId.replace(/\D/g, '');
    if (!phone) {
      await writeTrace(trx, {
        portalId,
        channelId,
        direction: 'out',
        step: 'rejected',
        level: 'WARN',
        code: 'bad_chat_id',
        detail: `Bitrix24 message ${m.imMessageId}`,
      });
      return 0;
    }
    const conversationId = await this.d.outbound.conversation(trx, portalId, channelId, phone);
    // A text with files becomes several WhatsApp messages, one row each (parts.ts).
    const parts = planParts(m.text, operatorFiles(m.files));
    return this.d.outbound.storeParts(trx, { portalId, channelId, conversationId }, m, parts);
  }

  /** outbound.send: one operator message to WhatsApp, at most once (see the class comment). */
  job(): JobHandler {
    return {
      run: (job, log) => this.#send(job, log),
      onDead: async (job, error) => {
        await deadLetter(this.d.messages, job, error);
        const id = messageIdOf(job);
        if (id !== undefined) await this.d.charge?.release(id);
      },
    };
  }

  async #send(job: JobRow, log: Logger): Promise<JobOutcome> {
    const ready = await this.#ready(job);
    if ('outcome' in ready) return ready.outcome;
    const { m, ch } = ready;
    const waiting = await this.#awaitConfirmation(job, m);
    if (waiting) return waiting;
    // The portal must hold the message as the event described it (confirm.ts, docs/security.md);
    // a template is composed by the app itself, with no operator event to confirm.
    const unconfirmed = m.type === 'template' ? undefined : await this.d.confirm?.check(m, job, log);
    if (unconfirmed) return unconfirmed;
    const message = m.type === 'template' ? await this.#composeTemplate(m) : await this.#compose(m);
    if (!message) return { kind: 'done' };
    // One unit reserved before the send (or the message is held for lack of units).
    const held = await this.d.charge?.before(m, job);
    if (held) return held;
    const paced = await this.#pace(m.channel_id);
    if (paced) return paced;
    if (!(await this.d.outbound.claimSend(m.id))) return { kind: 'done' };
    return this.#deliver(m, ch, message, log);
  }

  /** The message and its channel, or why there is nothing (more) to send. */
  async #ready(job: JobRow): Promise<Ready> {
    const id = messageIdOf(job);
    // The channel named in the job is read beside the message (one round trip less on every send).
    const named = (job.payload as { channelId?: unknown }).channelId;
    const [[m], secrets] = await Promise.all([
      id === undefined ? [] : this.d.messages.load([id]),
      typeof named === 'string' ? this.d.channels.secrets(named) : undefined,
    ]);
    if (!m) return { outcome: { kind: 'dead', error: 'message not found' } };
    if (m.portal_status === 'uninstalled') {
      return { outcome: { kind: 'cancel', reason: 'portal uninstalled' } };
    }
    if (m.gupshup_message_id) {
      if (m.bitrix_message_id !== null) await this.d.messages.enqueueAck(m.id, m.portal_id, m.channel_id);
      return { outcome: { kind: 'done' } };
    }
    if (m.status === 'failed' || m.status === 'dead') return { outcome: { kind: 'done' } };
    const ch = named === m.channel_id ? secrets : await this.d.channels.secrets(m.channel_id);
    if (!ch) return { outcome: { kind: 'cancel', reason: 'channel deleted' } };
    if (ch.status !== 'active' && ch.status !== 'interrupted') {
      return { outcome: { kind: 'dead', error: 'channel_inactive: the channel is switched off' } };
    }
    return { m, ch };
  }

  /** An earlier attempt's outcome is unknown: wait for Gupshup's events, or resend after the grace. */
  async #awaitConfirmation(job: JobRow, m: LoadedMessage): Promise<JobOutcome | undefined> {
    const f = inFlightSend(m.attempt_started_at, Date.now(), this.d.inFlightGraceMs);
    if (f.kind === 'clear') return undefined;
    const at = { portalId: m.portal_id, channelId: m.channel_id, messageId: m.id, direction: 'out' as const };
    if (f.kind === 'resend') {
      await this.d.messages.trace({
        ...at,
        step: 'resend_unconfirmed',
        level: 'WARN',
        detail: `no Gupshup event within ${Math.round(this.d.inFlightGraceMs / 1000)} s: the earlier attempt did not reach it`,
      });
      return undefined;
    }
    if (!job.last_error?.startsWith('awaiting_confirmation')) {
      await this.d.messages.trace({
        ...at,
        step: 'awaiting_confirmation',
        level: 'WARN',
        detail: 'an earlier send may have reached Gupshup; waiting for its events before any resend',
      });
    }
    return {
      kind: 'retry',
      error: 'awaiting_confirmation from Gupshup',
      delayMs: f.delayMs,
      countAttempt: false,
    };
  }

  /** A template message (templates module): its send, or null when it must not go (then failed). */
  async #composeTemplate(m: LoadedMessage): Promise<Outgoing | null> {
    const r = this.d.templates
      ? await this.d.templates.compose(m)
      : { refuse: { code: 'template_unsupported', detail: 'no templates module' } };
    if ('template' in r) return { kind: 'template', ...r };
    const at = { portalId: m.portal_id, channelId: m.channel_id, messageId: m.id, direction: 'out' as const };
    await this.d.messages.trace({
      ...at,
      step: 'failed',
      level: 'ERROR',
      code: r.refuse.code,
      detail: r.refuse.detail,
    });
    await this.#fail(m.id, r.refuse.code, r.refuse.detail);
    return null;
  }

  /** The WhatsApp message to send, or null when it was settled without sending (empty, window closed). */
  async #compose(m: LoadedMessage): Promise<Outgoing | null> {
    const content = m.content as { text?: string };
    const message = this.d.media.whatsappMessage(m.content, operatorText(content.text ?? '').whatsapp);
    const at = { portalId: m.portal_id, channelId: m.channel_id, messageId: m.id, direction: 'out' as const };
    if (!message) {
      await this.d.outbound.skip(m.id, 'empty_message');
      await this.d.messages.trace({ ...at, step: 'skipped', level: 'WARN', code: 'empty_message' });
      return null;
    }
    if (!windowOpen(m.last_inbound_at, Date.now())) {
      await this.d.messages.trace({
        ...at,
        step: 'window_closed',
        level: 'ERROR',
        code: 'window_closed',
        detail: 'more than 24 h since the customer last wrote: free text not sent',
      });
      await this.#fail(m.id, 'window_closed', 'WhatsApp 24-hour window closed');
      return null;
    }
    return { kind: 'session', message };
  }

  /** A slot of the channel's Gupshup budget; waiting for one does not spend an attempt. */
  async #pace(channelId: string): Promise<JobOutcome | undefined> {
    const perSec = this.d.gupshupPerSec;
    try {
      await this.d.pacer.acquire(`gs:${channelId}`, { perSec, burst: Math.max(1, Math.ceil(perSec)) }, 1_000);
      return undefined;
    } catch (err) {
      if (!(err instanceof RateLimitedError)) throw err;
      return { kind: 'retry', error: err.message, delayMs: Math.ceil(err.waitMs), countAttempt: false };
    }
  }

  async #deliver(m: LoadedMessage, ch: ChannelSendSecrets, out: Outgoing, log: Logger): Promise<JobOutcome> {
    let messageId: string;
    const to = {
      apiKey: ch.apiKey,
      appName: ch.appName,
      source: ch.sourceNumber,
      destination: m.customer_phone,
    };
    try {
      ({ messageId } =
        out.kind === 'template'
          ? await this.d.gupshup.sendTemplate({ ...to, template: out.template, message: out.message })
          : await this.d.gupshup.sendMessage({ ...to, message: out.message }));
    } catch (err) {
      if (!(err instanceof GupshupSendError)) throw err;
      return this.#sendFailed(m, err);
    }
    await this.d.hooks?.afterUpstreamCall?.('gupshup.send', m.id);
    log.info({ messageId: m.id, kind: out.kind }, 'Outbound message accepted by Gupshup.');
    if (await this.d.messages.recordSubmitted(m.id, m.portal_id, m.channel_id, messageId, 'sent_upstream')) {
      this.d.nudge();
    }
    if (ch.status === 'interrupted') await this.d.channels.recover(m.channel_id);
    return { kind: 'done' };
  }

  /**
   * Gupshup's answer was lost (the mark stays: reconciled like a crash), or it refused: not taken, the
   * mark is cleared; refused for good, the message fails and the agents are told.
   */
  async #sendFailed(m: LoadedMessage, err: GupshupSendError): Promise<JobOutcome> {
    if (err.outcomeUnknown) {
      await this.d.messages.trace({
        portalId: m.portal_id,
        channelId: m.channel_id,
        messageId: m.id,
        direction: 'out',
        step: 'send_outcome_unknown',
        level: 'WARN',
        detail: err.message,
      });
      return { kind: 'retry', error: `outcome unknown: ${err.message}`, delayMs: 1_000, countAttempt: true };
    }
    await this.d.outbound.releaseSend(m.id);
    await traceRetry(this.d.messages, m, 'out', err);
    if (err.retryable) throw err;
    await this.#fail(m.id, err.providerCode ?? 'rejected', err.message);
    if (err.opts.authFailure) await this.d.channels.interrupt(m.channel_id, 'api_key_rejected');
    return { kind: 'done' };
  }

  /** Failed for good: the agents' note first, then the message's failure. */
  async #fail(id: number, code: string, detail: string): Promise<void> {
    await this.d.messages.queueNoteFor(id, code);
    await this.d.messages.fail(id, code, detail);
    await this.d.charge?.release(id);
  }
}
