import { sql, type Kysely, type Transaction } from 'kysely';
import type { Log as Logger } from '../../shared/logger.js';
import type { Bitrix24Connector, InboundForBitrix } from '../../integrations/bitrix24/bitrix24.connector.js';
import { connectorUserName } from '../../integrations/bitrix24/bitrix24.connector.js';
import { GupshupSendError, type GupshupClient } from '../../integrations/gupshup/gupshup.client.js';
import type { InboundMessage, StatusEvent } from '../../integrations/gupshup/gupshup.webhook.js';
import type { DB, JobRow } from '../../shared/db/schema.js';
import { ConflictError, NotFoundError, ProviderError } from '../../shared/errors.js';
import { maskPhone } from '../../shared/logger.js';
import { retryOnConflict } from '../../shared/db/retry.js';
import { enqueueJob } from '../../jobs/jobs.repository.js';
import type { JobHandler, JobOutcome } from '../../jobs/worker.js';
import type { ChannelsService } from '../channels/channels.service.js';
import { bbcodeToWhatsApp } from './bbcode.js';
import { failureNote, NOTE_MARK } from '../../shared/texts.js';
import { toLang } from '../../shared/i18n.js';
import { inboundText } from './inbound-text.js';
import { storeInbound } from './inbound.repository.js';
import type { MediaService } from '../media/media.service.js';
import { sentPartIds, storeOperatorParts } from './parts.js';
import { writeTrace } from './trace.repository.js';

type Trx = Transaction<DB>;

/**
 * The relay (C4, C5). Webhooks only store: `acceptInbound`, `acceptStatus` and `acceptOperatorMessages`
 * write the message, its trace and a job in one transaction and return. Jobs do the upstream calls.
 *
 * Exactly once, across crashes (docs/architecture.md): before an upstream call the message is marked
 * `attempt_started_at` in its own commit. A job that finds that mark set does not resend blindly:
 * - towards Bitrix24 it asks `imconnector.update.messages` with the same message id, which succeeds
 *   only if Bitrix24 already has the message;
 * - towards Gupshup (no idempotency key, no lookup) it waits for Gupshup's own events: `enqueued` or
 *   `failed` arrives for every accepted message, and `acceptStatus` adopts its id onto the one message
 *   in flight to that number. Only when none arrives within the grace period is the message sent again.
 */

export interface MessagingHooks {
  /** Test seam: runs right after the upstream call returned, before its result is recorded. */
  afterUpstreamCall?: (kind: 'gupshup.send' | 'bitrix.send', messageId: number) => Promise<void>;
}

/** WhatsApp's customer service window: free text only within 24 h of the customer's last message. */
/** Longest an upstream call can take (client time-out plus margin). */
const IN_FLIGHT_CALL_MS = 45_000;

export const SERVICE_WINDOW_MS = 24 * 60 * 60 * 1000;

const STATUS_RANK: Record<string, number> = {
  queued: 0,
  sending: 1,
  submitted: 2,
  enqueued: 3,
  sent: 4,
  delivered: 5,
  read: 6,
};

export interface MessagingDeps {
  db: Kysely<DB>;
  channels: ChannelsService;
  connector: Bitrix24Connector;
  gupshup: GupshupClient;
  media: MediaService;
  inFlightGraceMs: number;
  hooks?: MessagingHooks;
  nudge: () => void;
}

interface OperatorMessage {
  imChatId: number;
  imMessageId: number;
  text: string;
  files: unknown[];
  externalChatId: string;
  userId: number | null;
}

export class MessagingService {
  constructor(private readonly d: MessagingDeps) {}

  // ---------------------------------------------------------------- webhooks (store and answer)

  /** A customer's message from Gupshup. Duplicates (Gupshup retries) are recognised by WhatsApp id. */
  async acceptInbound(
    channel: { id: string; portalId: number },
    m: InboundMessage,
  ): Promise<'stored' | 'duplicate'> {
    const id = await retryOnConflict(() =>
      storeInbound(this.d.db, {
        portalId: channel.portalId,
        channelId: channel.id,
        phone: m.phone,
        name: m.name ?? null,
        at: new Date(m.timestampMs),
        type: m.type,
        content: JSON.stringify({
          text: inboundText(m.type, m.content),
          payload: m.content,
          name: m.name ?? null,
        }),
        waMessageId: m.waMessageId,
        receivedDetail: `${m.type} from ${maskPhone(m.phone)}`,
        hasMedia: MEDIA_TYPES.has(m.type),
      }),
    );
    let outcome: 'stored' | 'duplicate' = 'stored';
    if (id === null) {
      outcome = 'duplicate';
      const original = await this.d.db
        .selectFrom('messages')
        .select('id')
        .where('channel_id', '=', channel.id)
        .where('direction', '=', 'in')
        .where('wa_message_id', '=', m.waMessageId)
        .executeTakeFirst();
      await writeTrace(this.d.db, {
        portalId: channel.portalId,
        channelId: channel.id,
        messageId: original?.id ?? null,
        direction: 'in',
        step: 'duplicate_ignored',
        detail: 'Gupshup posted it again',
      });
    }
    if (outcome === 'stored') this.d.nudge();
    return outcome;
  }

  /** A Gupshup message-event: stored as a job, applied by `statusJob` (events arrive late and unordered). */
  async acceptStatus(channel: { id: string; portalId: number }, s: StatusEvent): Promise<void> {
    await enqueueJob(this.d.db, {
      topic: 'status.apply',
      portalId: channel.portalId,
      payload: { channelId: channel.id, event: s },
      dedupeKey: `st:${channel.id}:${s.gupshupId}:${s.status}:${s.id}`,
    });
    this.d.nudge();
  }

  /** OnImConnectorMessageAdd: operator messages for one line, stored for sending. */
  async acceptOperatorMessages(
    portalId: number,
    line: number,
    messages: OperatorMessage[],
    log: Logger,
  ): Promise<number> {
    const channel = await this.d.db
      .selectFrom('channels')
      .select(['id', 'status'])
      .where('portal_id', '=', portalId)
      .where('line_id', '=', line)
      .where('status', 'in', ['active', 'interrupted'])
      .executeTakeFirst();
    if (!channel) {
      await writeTrace(this.d.db, {
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
      this.d.db.transaction().execute(async (trx) => {
        stored = 0;
        for (const m of messages) {
          // Our own failure notes, should Bitrix24 hand them to the connector, are not for the customer.
          if (
            bbcodeToWhatsApp(m.text)
              .replace(/^\*[^*\n]*:\*\n/, '')
              .startsWith(NOTE_MARK)
          ) {
            continue;
          }
          const phone = m.externalChatId.replace(/\D/g, '');
          if (!phone) {
            await writeTrace(trx, {
              portalId,
              channelId: channel.id,
              direction: 'out',
              step: 'rejected',
              level: 'WARN',
              code: 'bad_chat_id',
              detail: `Bitrix24 message ${m.imMessageId}`,
            });
            continue;
          }
          const conv = await this.#conversation(trx, { id: channel.id, portalId }, phone, undefined, null);
          // A text with files becomes several WhatsApp messages, one row each (parts.ts).
          stored += await storeOperatorParts(
            trx,
            { portalId, channelId: channel.id, conversationId: conv },
            m,
          );
        }
      }),
    );
    if (stored) this.d.nudge();
    return stored;
  }

  async #conversation(
    trx: Trx,
    channel: { id: string; portalId: number },
    phone: string,
    name: string | undefined,
    inboundAt: Date | null,
  ): Promise<number> {
    const row = await trx
      .insertInto('conversations')
      .values({
        portal_id: channel.portalId,
        channel_id: channel.id,
        customer_phone: phone,
        customer_name: name ?? null,
        last_inbound_at: inboundAt,
      })
      .onConflict((oc) =>
        oc.columns(['channel_id', 'customer_phone']).doUpdateSet({
          customer_name: sql`coalesce(excluded.customer_name, conversations.customer_name)`,
          last_inbound_at: sql`greatest(excluded.last_inbound_at, conversations.last_inbound_at)`,
        }),
      )
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /**
   * POST /api/v1/messages/:id/replay: a dead-lettered message goes back to the queue with a fresh
   * retry budget. Its in-flight mark is kept, so a send whose outcome was never known is still
   * reconciled rather than repeated.
   */
  async replay(portalId: number, id: number): Promise<{ id: number; status: string }> {
    const result = await this.d.db.transaction().execute(async (trx) => {
      const m = await trx
        .selectFrom('messages')
        .select(['id', 'status', 'direction', 'channel_id'])
        .where('portal_id', '=', portalId)
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!m) throw new NotFoundError('Message not found');
      if (m.status !== 'dead') {
        throw new ConflictError(`Only dead-lettered messages can be replayed; this one is ${m.status}`);
      }
      const status = m.direction === 'in' ? 'received' : 'queued';
      await trx
        .updateTable('messages')
        .set({ status, error_code: null, error_detail: null, failed_at: null, updated_at: sql`now()` })
        .where('id', '=', id)
        .execute();
      // A new job, not the old one revived: it queues behind the chat's newer messages, so the rule
      // "one message of a chat in flight at a time" (which Gupshup reconciliation relies on) holds.
      const old = await trx
        .selectFrom('jobs')
        .select(['topic', 'chat_key', 'payload'])
        .where((eb) =>
          eb.or([
            eb('dedupe_key', '=', `${m.direction}:${id}`),
            eb('dedupe_key', 'like', `${m.direction}:${id}:replay:%`),
          ]),
        )
        .where('status', 'in', ['dead', 'cancelled'])
        .orderBy('id', 'desc')
        .executeTakeFirst();
      if (!old) throw new ConflictError('The message has no dead job to replay');
      await enqueueJob(trx, {
        topic: old.topic,
        portalId,
        payload: old.payload as Record<string, unknown>,
        dedupeKey: `${m.direction}:${id}:replay:${Date.now()}`,
        ...(old.chat_key ? { chatKey: old.chat_key } : {}),
      });
      await writeTrace(trx, {
        portalId,
        channelId: m.channel_id,
        messageId: id,
        direction: m.direction,
        step: 'replayed',
        level: 'WARN',
        detail: 'replay requested through the API',
      });
      return { id, status };
    });
    this.d.nudge();
    return result;
  }

  // ---------------------------------------------------------------- jobs

  #messageId(job: JobRow): number | undefined {
    const p = job.payload as { messageId?: unknown };
    return typeof p.messageId === 'number' ? p.messageId : undefined;
  }

  async #loadMessage(id: number) {
    return this.d.db
      .selectFrom('messages')
      .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
      .innerJoin('portals', 'portals.id', 'messages.portal_id')
      .select([
        'messages.id',
        'messages.portal_id',
        'messages.channel_id',
        'messages.direction',
        'messages.status',
        'messages.content',
        'messages.wa_message_id',
        'messages.gupshup_message_id',
        'messages.bitrix_message_id',
        'messages.bitrix_chat_id',
        'messages.attempt_started_at',
        'messages.customer_ts',
        'messages.created_at',
        'conversations.id as conversation_id',
        'conversations.customer_phone',
        'conversations.customer_name',
        'portals.status as portal_status',
        'portals.lang as portal_lang',
        'conversations.last_inbound_at',
      ])
      .where('messages.id', '=', id)
      .executeTakeFirst();
  }

  async #markDead(job: JobRow, error: string, step = 'dead_lettered'): Promise<void> {
    const id = this.#messageId(job);
    if (id === undefined || job.portal_id === null) return;
    const m = await this.d.db
      .updateTable('messages')
      .set({
        status: 'dead',
        error_detail: error.slice(0, 500),
        failed_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .where('status', 'not in', ['delivered', 'read'])
      .returning(['channel_id', 'direction'])
      .executeTakeFirst();
    if (m?.direction === 'out') await this.#queueNote(this.d.db, id, codeOf(error) ?? 'dead');
    if (m) {
      await writeTrace(this.d.db, {
        portalId: job.portal_id,
        channelId: m.channel_id,
        messageId: id,
        direction: m.direction,
        step,
        level: 'ERROR',
        code: codeOf(error),
        detail: error,
      });
    }
  }

  /** inbound.deliver: one customer message into the open line. */
  inboundJob(): JobHandler {
    return {
      run: (job, log) => this.#deliverInbound(job, log),
      onDead: (job, error) => this.#markDead(job, error),
    };
  }

  async #deliverInbound(job: JobRow, log: Logger): Promise<JobOutcome> {
    const id = this.#messageId(job);
    const m = id === undefined ? undefined : await this.#loadMessage(id);
    if (!m) return { kind: 'dead', error: 'message not found' };
    if (m.status === 'delivered') return { kind: 'done' };
    if (m.portal_status === 'uninstalled') return { kind: 'cancel', reason: 'portal uninstalled' };
    const ch = await this.d.channels.secrets(m.channel_id);
    if (!ch || !ch.lineId || (ch.status !== 'active' && ch.status !== 'interrupted')) {
      return { kind: 'dead', error: 'channel_inactive: the channel has no active open line' };
    }
    const content = m.content as { text?: string; name?: string | null };
    const name = connectorUserName(content.name ?? m.customer_name ?? undefined);
    const media = this.d.media.forBitrix(m.content, toLang(m.portal_lang));
    const payload: InboundForBitrix = {
      externalMessageId: m.wa_message_id ?? `in-${m.id}`,
      date: Math.floor((m.customer_ts ?? m.created_at).getTime() / 1000),
      ...media,
      user: { id: m.customer_phone, phone: `+${m.customer_phone}`, ...(name ? { name } : {}) },
      chat: {
        id: m.customer_phone,
        url: `https://wa.me/${m.customer_phone}`,
        ...(name ? { name: `${name} (WhatsApp)` } : {}),
      },
    };
    const line = ch.lineId;

    if (m.attempt_started_at) {
      // Another worker's call may still be on its way (a lease can only be lost by a dead worker, but a
      // timed-out request can land late): ask only once every call started then must have ended.
      const age = Date.now() - m.attempt_started_at.getTime();
      const settle = Math.min(this.d.inFlightGraceMs, IN_FLIGHT_CALL_MS);
      if (age < settle) {
        return {
          kind: 'retry',
          error: 'awaiting_confirmation: an earlier delivery may still be in flight',
          delayMs: settle - age + 50,
          countAttempt: false,
        };
      }
      // An earlier attempt may have reached Bitrix24: update succeeds only for a message it already has.
      const [r] = await this.d.connector.updateMessages(m.portal_id, line, [payload]);
      if (r?.ok) {
        await this.#recordInbound(
          m.id,
          m.portal_id,
          m.channel_id,
          m.conversation_id,
          null,
          'reconciled: Bitrix24 already had it',
        );
        log.info({ messageId: m.id }, 'Inbound message was already in Bitrix24; recorded without resending.');
        return { kind: 'done' };
      }
    }
    await this.d.db
      .updateTable('messages')
      .set({ attempt_started_at: sql`now()`, updated_at: sql`now()` })
      .where('id', '=', m.id)
      .execute();
    let results;
    try {
      results = await this.d.connector.sendMessages(m.portal_id, line, [payload]);
    } catch (err) {
      if (err instanceof ProviderError && err.status !== undefined) await this.#clearAttempt(m.id);
      await this.#traceRetry(m.portal_id, m.channel_id, m.id, 'in', err);
      throw err;
    }
    await this.d.hooks?.afterUpstreamCall?.('bitrix.send', m.id);
    const r = results[0];
    if (r && !r.ok && r.unknown) {
      return { kind: 'retry', error: `outcome unknown: ${r.error}`, delayMs: 1_000, countAttempt: true };
    }
    if (!r?.ok) {
      await this.#clearAttempt(m.id);
      const error = r && !r.ok ? r.error : 'no result';
      await writeTrace(this.d.db, {
        portalId: m.portal_id,
        channelId: m.channel_id,
        messageId: m.id,
        direction: 'in',
        step: 'bitrix_refused',
        level: 'WARN',
        detail: error,
      });
      return { kind: 'retry', error: `Bitrix24 refused the message: ${error}` };
    }
    await this.#recordInbound(m.id, m.portal_id, m.channel_id, m.conversation_id, r.chatId, null);
    return { kind: 'done' };
  }

  async #recordInbound(
    id: number,
    portalId: number,
    channelId: string,
    conversationId: number,
    chatId: number | null,
    note: string | null,
  ): Promise<void> {
    // Rows are locked in the order the webhooks lock them (conversation, then message): no deadlock.
    await retryOnConflict(() =>
      this.d.db.transaction().execute(async (trx) => {
        if (chatId) {
          await trx
            .updateTable('conversations')
            .set({ bitrix_chat_id: chatId })
            .where('id', '=', conversationId)
            .execute();
        }
        await trx
          .updateTable('messages')
          .set({
            status: 'delivered',
            attempt_started_at: null,
            delivered_at: sql`now()`,
            updated_at: sql`now()`,
            ...(chatId ? { bitrix_chat_id: chatId } : {}),
          })
          .where('id', '=', id)
          .execute();
        await writeTrace(trx, {
          portalId,
          channelId,
          messageId: id,
          direction: 'in',
          step: 'delivered_to_bitrix',
          detail: note ?? (chatId ? `chat ${chatId}` : null),
        });
      }),
    );
  }

  async #clearAttempt(id: number): Promise<void> {
    await this.d.db.updateTable('messages').set({ attempt_started_at: null }).where('id', '=', id).execute();
  }

  async #traceRetry(
    portalId: number,
    channelId: string,
    messageId: number,
    direction: 'in' | 'out',
    err: unknown,
  ): Promise<void> {
    const e = err instanceof ProviderError ? err : undefined;
    await writeTrace(this.d.db, {
      portalId,
      channelId,
      messageId,
      direction,
      step: e && !e.retryable ? 'failed' : 'retry_scheduled',
      level: e && !e.retryable ? 'ERROR' : 'WARN',
      code: e?.providerCode ?? null,
      detail: e ? `${e.provider}: ${e.message}` : err instanceof Error ? err.message : String(err),
    });
  }

  /** outbound.send: one operator message to WhatsApp, at most once (see the class comment). */
  outboundJob(): JobHandler {
    return {
      run: (job, log) => this.#sendOutbound(job, log),
      onDead: (job, error) => this.#markDead(job, error),
    };
  }

  async #sendOutbound(job: JobRow, log: Logger): Promise<JobOutcome> {
    const id = this.#messageId(job);
    const m = id === undefined ? undefined : await this.#loadMessage(id);
    if (!m) return { kind: 'dead', error: 'message not found' };
    if (m.portal_status === 'uninstalled') return { kind: 'cancel', reason: 'portal uninstalled' };
    if (m.gupshup_message_id) {
      await this.#ensureAck(m.id, m.portal_id);
      return { kind: 'done' };
    }
    if (m.status === 'failed' || m.status === 'dead') return { kind: 'done' };
    const ch = await this.d.channels.secrets(m.channel_id);
    if (!ch) return { kind: 'cancel', reason: 'channel deleted' };
    if (ch.status !== 'active' && ch.status !== 'interrupted') {
      return { kind: 'dead', error: 'channel_inactive: the channel is switched off' };
    }

    if (m.attempt_started_at) {
      const age = Date.now() - m.attempt_started_at.getTime();
      if (age < this.d.inFlightGraceMs) {
        if (!job.last_error?.startsWith('awaiting_confirmation')) {
          await writeTrace(this.d.db, {
            portalId: m.portal_id,
            channelId: m.channel_id,
            messageId: m.id,
            direction: 'out',
            step: 'awaiting_confirmation',
            level: 'WARN',
            detail: 'an earlier send may have reached Gupshup; waiting for its events before any resend',
          });
        }
        return {
          kind: 'retry',
          error: 'awaiting_confirmation from Gupshup',
          delayMs: Math.min(this.d.inFlightGraceMs - age + 50, 5_000),
          countAttempt: false,
        };
      }
      await writeTrace(this.d.db, {
        portalId: m.portal_id,
        channelId: m.channel_id,
        messageId: m.id,
        direction: 'out',
        step: 'resend_unconfirmed',
        level: 'WARN',
        detail: `no Gupshup event within ${Math.round(this.d.inFlightGraceMs / 1000)} s: the earlier attempt did not reach it`,
      });
    }

    const content = m.content as { text?: string };
    const text = bbcodeToWhatsApp(content.text ?? '');
    const message = this.d.media.whatsappMessage(m.content, text);
    if (!message) {
      await this.#finishWithoutSending(m.id, m.portal_id, m.channel_id, 'empty_message');
      return { kind: 'done' };
    }
    const lastInbound = m.last_inbound_at?.getTime() ?? 0;
    if (Date.now() - lastInbound > SERVICE_WINDOW_MS) {
      await writeTrace(this.d.db, {
        portalId: m.portal_id,
        channelId: m.channel_id,
        messageId: m.id,
        direction: 'out',
        step: 'window_closed',
        level: 'ERROR',
        code: 'window_closed',
        detail: 'more than 24 h since the customer last wrote: free text not sent',
      });
      await this.#failOutbound(m.id, 'window_closed', 'WhatsApp 24-hour window closed');
      return { kind: 'done' };
    }
    const claimed = await this.d.db
      .updateTable('messages')
      .set({ attempt_started_at: sql`now()`, status: 'sending', updated_at: sql`now()` })
      .where('id', '=', m.id)
      .where('gupshup_message_id', 'is', null)
      .executeTakeFirst();
    if (Number(claimed.numUpdatedRows) === 0) return { kind: 'done' };

    let messageId: string;
    try {
      ({ messageId } = await this.d.gupshup.sendMessage({
        apiKey: ch.apiKey,
        appName: ch.appName,
        source: ch.sourceNumber,
        destination: m.customer_phone,
        message,
      }));
    } catch (err) {
      if (!(err instanceof GupshupSendError)) throw err;
      if (err.outcomeUnknown) {
        await writeTrace(this.d.db, {
          portalId: m.portal_id,
          channelId: m.channel_id,
          messageId: m.id,
          direction: 'out',
          step: 'send_outcome_unknown',
          level: 'WARN',
          detail: err.message,
        });
        return {
          kind: 'retry',
          error: `outcome unknown: ${err.message}`,
          delayMs: 1_000,
          countAttempt: true,
        };
      }
      await this.d.db
        .updateTable('messages')
        .set({ attempt_started_at: null, status: 'queued' })
        .where('id', '=', m.id)
        .execute();
      await this.#traceRetry(m.portal_id, m.channel_id, m.id, 'out', err);
      if (!err.retryable) {
        await this.#failOutbound(m.id, err.providerCode ?? 'rejected', err.message);
        if (err.opts.authFailure) await this.d.channels.interrupt(m.channel_id, 'api_key_rejected');
        return { kind: 'done' };
      }
      throw err;
    }
    await this.d.hooks?.afterUpstreamCall?.('gupshup.send', m.id);
    log.info({ messageId: m.id }, 'Operator message accepted by Gupshup.');
    await this.#recordSubmitted(m.id, m.portal_id, m.channel_id, messageId, 'sent_upstream');
    if (ch.status === 'interrupted') await this.d.channels.recover(m.channel_id);
    return { kind: 'done' };
  }

  async #recordSubmitted(
    id: number,
    portalId: number,
    channelId: string,
    gupshupId: string,
    step: string,
  ): Promise<boolean> {
    const done = await this.d.db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('messages')
        .set({
          gupshup_message_id: gupshupId,
          attempt_started_at: null,
          status: sql`CASE WHEN status IN ('queued', 'sending') THEN 'submitted' ELSE status END`,
          sent_at: sql`coalesce(sent_at, now())`,
          updated_at: sql`now()`,
        })
        .where('id', '=', id)
        .where('gupshup_message_id', 'is', null)
        .executeTakeFirst();
      if (Number(r.numUpdatedRows) === 0) return false;
      await enqueueJob(trx, {
        topic: 'outbound.ack',
        portalId,
        payload: { messageId: id, channelId },
        dedupeKey: `ack:${id}`,
      });
      await writeTrace(trx, {
        portalId,
        channelId,
        messageId: id,
        direction: 'out',
        step,
        detail: `Gupshup id ${gupshupId}`,
      });
      return true;
    });
    if (done) this.d.nudge();
    return done;
  }

  async #ensureAck(id: number, portalId: number): Promise<void> {
    await enqueueJob(this.d.db, {
      topic: 'outbound.ack',
      portalId,
      payload: { messageId: id },
      dedupeKey: `ack:${id}`,
    });
  }

  async #finishWithoutSending(id: number, portalId: number, channelId: string, code: string): Promise<void> {
    await this.d.db
      .updateTable('messages')
      .set({ status: 'skipped', error_code: code, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
    await writeTrace(this.d.db, {
      portalId,
      channelId,
      messageId: id,
      direction: 'out',
      step: 'skipped',
      level: 'WARN',
      code,
    });
  }

  async #failOutbound(id: number, code: string, detail: string): Promise<void> {
    await this.#queueNote(this.d.db, id, code);
    await this.d.db
      .updateTable('messages')
      .set({
        status: 'failed',
        error_code: code,
        error_detail: detail.slice(0, 500),
        failed_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .execute();
  }

  async #queueNote(exec: Kysely<DB> | Trx, messageId: number, code: string): Promise<void> {
    const m = await exec
      .selectFrom('messages')
      .select(['portal_id', 'channel_id'])
      .where('id', '=', messageId)
      .executeTakeFirst();
    if (!m) return;
    await enqueueJob(exec, {
      topic: 'chat.notify',
      portalId: m.portal_id,
      payload: { messageId, channelId: m.channel_id, code },
      dedupeKey: `note:${messageId}:${code}`,
    });
  }

  /**
   * chat.notify: a failed operator message gets a system note in its open-line chat, in the portal's
   * language, saying what happened and what to do (`im.message.add` with SYSTEM=Y).
   */
  notifyJob(): JobHandler {
    return {
      run: async (job) => {
        const id = this.#messageId(job);
        const rawCode = (job.payload as { code?: unknown }).code;
        const code = typeof rawCode === 'string' || typeof rawCode === 'number' ? String(rawCode) : 'failed';
        const m = id === undefined ? undefined : await this.#loadMessage(id);
        if (!m?.bitrix_chat_id) return { kind: 'dead', error: 'no Bitrix24 chat to write into' };
        if (m.portal_status === 'uninstalled') return { kind: 'cancel', reason: 'portal uninstalled' };
        await this.d.connector.postNote(
          m.portal_id,
          m.bitrix_chat_id,
          failureNote(toLang(m.portal_lang), code),
        );
        await writeTrace(this.d.db, {
          portalId: m.portal_id,
          channelId: m.channel_id,
          messageId: m.id,
          direction: 'out',
          step: 'agent_notified',
          code,
        });
        return { kind: 'done' };
      },
    };
  }

  /** outbound.ack: tells Bitrix24 the operator's message left (imconnector.send.status.delivery). */
  ackJob(): JobHandler {
    return {
      run: async (job) => {
        const id = this.#messageId(job);
        const m = id === undefined ? undefined : await this.#loadMessage(id);
        if (!m?.gupshup_message_id || m.bitrix_chat_id === null || m.bitrix_message_id === null) {
          return { kind: 'dead', error: 'nothing to acknowledge' };
        }
        if (m.portal_status === 'uninstalled') return { kind: 'cancel', reason: 'portal uninstalled' };
        const ch = await this.d.channels.secrets(m.channel_id);
        if (!ch?.lineId) return { kind: 'cancel', reason: 'channel has no line any more' };
        await this.d.connector.ackDelivery(m.portal_id, ch.lineId, {
          imChatId: m.bitrix_chat_id,
          imMessageId: m.bitrix_message_id,
          externalIds: await sentPartIds(this.d.db, m.portal_id, m.bitrix_message_id),
          externalChatId: m.customer_phone,
          date: Math.floor(Date.now() / 1000),
        });
        await writeTrace(this.d.db, {
          portalId: m.portal_id,
          channelId: m.channel_id,
          messageId: m.id,
          direction: 'out',
          step: 'acknowledged_in_bitrix',
        });
        return { kind: 'done' };
      },
      onDead: async (job, error) => {
        const id = this.#messageId(job);
        if (id === undefined || job.portal_id === null) return;
        await writeTrace(this.d.db, {
          portalId: job.portal_id,
          messageId: id,
          direction: 'out',
          step: 'ack_failed',
          level: 'ERROR',
          detail: error,
        });
      },
    };
  }

  /** status.apply: a Gupshup message-event onto our message; statuses never go backwards. */
  statusJob(): JobHandler {
    return {
      run: (job) => this.#applyStatus(job),
      onDead: async (job, error) => {
        if (job.portal_id === null) return;
        const p = job.payload as { channelId?: string; event?: StatusEvent };
        await writeTrace(this.d.db, {
          portalId: job.portal_id,
          channelId: p.channelId ?? null,
          direction: 'out',
          step: 'status_unmatched',
          level: 'WARN',
          code: p.event?.status ?? null,
          detail: `${error}; Gupshup id ${p.event?.gupshupId ?? '?'}`,
        });
      },
    };
  }

  async #applyStatus(job: JobRow): Promise<JobOutcome> {
    const { channelId, event: s } = job.payload as { channelId: string; event: StatusEvent };
    let m = await this.d.db
      .selectFrom('messages')
      .select(['id', 'portal_id', 'status', 'gupshup_message_id'])
      .where('channel_id', '=', channelId)
      .where('direction', '=', 'out')
      .where((eb) => eb.or([eb('gupshup_message_id', '=', s.gupshupId), eb('wa_message_id', '=', s.id)]))
      .executeTakeFirst();
    // Only the events Gupshup sends for its own message id right after accepting a send can name a
    // send whose answer we lost; sent/delivered/read may belong to messages sent outside this app.
    if (!m && !s.hasGsId && (s.status === 'enqueued' || s.status === 'failed')) {
      m = await this.#adopt(channelId, s);
    }
    if (!m) return { kind: 'retry', error: `no message with Gupshup id yet (${s.status})`, delayMs: 2_000 };
    if (m.status === 'deleted') return { kind: 'done' };

    const portalId = m.portal_id;
    const current = STATUS_RANK[m.status] ?? 0;
    const isFailure = s.status === 'failed';
    const rank = STATUS_RANK[s.status];
    const advances = isFailure
      ? current < (STATUS_RANK.delivered ?? 5) && m.status !== 'failed'
      : rank !== undefined && rank > current && m.status !== 'failed';
    const waId = s.whatsappMessageId ?? (s.hasGsId ? s.id : undefined);
    await this.d.db.transaction().execute(async (trx) => {
      if (advances) {
        await trx
          .updateTable('messages')
          .set({
            status: s.status,
            updated_at: sql`now()`,
            ...(isFailure
              ? {
                  error_code: s.code ?? 'failed',
                  error_detail: (s.reason ?? '').slice(0, 500),
                  failed_at: sql`now()`,
                }
              : {}),
            ...(s.status === 'delivered' ? { delivered_at: sql`now()` } : {}),
            ...(s.status === 'read'
              ? { read_at: sql`now()`, delivered_at: sql`coalesce(delivered_at, now())` }
              : {}),
          })
          .where('id', '=', m.id)
          .execute();
        if (isFailure) await this.#queueNote(trx, m.id, s.code ?? 'failed');
        if (isFailure && s.code === '1003') await this.d.channels.interrupt(channelId, 'wallet_empty', trx);
      }
      if (waId) {
        await trx
          .updateTable('messages')
          .set({ wa_message_id: waId })
          .where('id', '=', m.id)
          .where('wa_message_id', 'is', null)
          .execute();
      }
      await writeTrace(trx, {
        portalId,
        channelId,
        messageId: m.id,
        direction: 'out',
        step: `status_${s.status}`,
        level: isFailure ? 'ERROR' : advances ? 'INFO' : 'INFO',
        code: isFailure ? (s.code ?? null) : null,
        detail: isFailure
          ? (s.reason ?? null)
          : advances
            ? null
            : `arrived after ${m.status}; kept ${m.status}`,
      });
    });
    return { kind: 'done' };
  }

  /**
   * An event for a Gupshup id we never recorded: the send whose answer was lost. It belongs to the one
   * message to that number still marked in flight on this channel (chats send one at a time).
   */
  async #adopt(channelId: string, s: StatusEvent) {
    if (!s.destination) return undefined;
    const candidates = await this.d.db
      .selectFrom('messages')
      .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
      .select(['messages.id', 'messages.portal_id'])
      .where('messages.channel_id', '=', channelId)
      .where('messages.direction', '=', 'out')
      .where('messages.gupshup_message_id', 'is', null)
      .where('messages.attempt_started_at', 'is not', null)
      // The event was generated after the attempt began (5 s of clock skew allowed), and not long after.
      .where('messages.attempt_started_at', '<=', new Date(s.timestampMs + 5_000))
      .where('messages.attempt_started_at', '>=', new Date(s.timestampMs - IN_FLIGHT_CALL_MS - 60_000))
      .where('conversations.customer_phone', '=', s.destination.replace(/\D/g, ''))
      .execute();
    if (candidates.length !== 1) return undefined;
    const c = candidates[0];
    if (!c) return undefined;
    const adopted = await this.#recordSubmitted(
      c.id,
      c.portal_id,
      channelId,
      s.gupshupId,
      'sent_upstream_confirmed',
    );
    if (!adopted) return undefined;
    return this.d.db
      .selectFrom('messages')
      .select(['id', 'portal_id', 'status', 'gupshup_message_id'])
      .where('id', '=', c.id)
      .executeTakeFirst();
  }
}

/** Inbound types whose file is downloaded before delivery (reference/gupshup.md §3.3). */
const MEDIA_TYPES = new Set(['image', 'video', 'audio', 'voice', 'file', 'document', 'sticker']);

function codeOf(error: string): string | null {
  const m = /^([a-z_]+):/.exec(error);
  return m?.[1] ?? 'retries_exhausted';
}
