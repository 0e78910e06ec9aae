import { sql, type Kysely, type Transaction } from 'kysely';
import type { Log as Logger } from '../../shared/logger.js';
import type {
  Bitrix24Connector,
  ElementResult,
  InboundForBitrix,
} from '../../integrations/bitrix24/bitrix24.connector.js';
import { connectorUserName } from '../../integrations/bitrix24/bitrix24.connector.js';
import { GupshupSendError, type GupshupClient } from '../../integrations/gupshup/gupshup.client.js';
import type { InboundMessage, StatusEvent } from '../../integrations/gupshup/gupshup.webhook.js';
import type { DB, JobRow } from '../../shared/db/schema.js';
import { ConflictError, NotFoundError, ProviderError } from '../../shared/errors.js';
import { maskPhone } from '../../shared/logger.js';
import { retryOnConflict } from '../../shared/db/retry.js';
import { enqueueJob } from '../../jobs/jobs.repository.js';
import { outcomeOf, type JobHandler, type JobOutcome } from '../../jobs/worker.js';
import type { ChannelsService } from '../channels/channels.service.js';
import { bbcodeToWhatsApp } from './bbcode.js';
import { failureNote, NOTE_MARK } from '../../shared/texts.js';
import { toLang } from '../../shared/i18n.js';
import { inboundText } from './inbound-text.js';
import { storeInbound } from './inbound.repository.js';
import type { MediaService } from '../media/media.service.js';
import { failedColumns, sentPartIds, storeOperatorParts } from './parts.js';
import { writeTrace } from '../trace/trace.service.js';
import { queueAgentNote } from './agent-notes.js';
import { RateLimitedError, type RateLimiter } from '../../shared/rate-limiter.js';

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
  /** Most customer messages per `imconnector.send.messages` call. */
  inboundBatchSize: number;
  /** Paces sends per channel to Gupshup's throughput, across instances. */
  limiter: RateLimiter;
  gupshupPerSec: number;
  hooks?: MessagingHooks;
  nudge: () => void;
}

async function loadMessages(db: Kysely<DB>, ids: number[]) {
  if (ids.length === 0) return [];
  return db
    .selectFrom('messages')
    .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
    .innerJoin('portals', 'portals.id', 'messages.portal_id')
    .innerJoin('channels', 'channels.id', 'messages.channel_id')
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
      // The line the message goes through, read with it (no key decryption just to learn the line).
      'channels.line_id as channel_line',
      'channels.status as channel_status',
      // The app assigns this channel's new customers (and creates their CRM record): see docs/architecture.md.
      sql<boolean>`exists (select 1 from channel_roles r where r.channel_id = messages.channel_id and r.receives_new)`.as(
        'app_creates_crm',
      ),
    ])
    .where('messages.id', 'in', ids)
    .execute();
}

type LoadedMessage = Awaited<ReturnType<typeof loadMessages>>[number];

interface InboundItem {
  /** Position of the job in the batch. */
  index: number;
  m: LoadedMessage;
  payload: InboundForBitrix;
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

  async #loadMessage(id: number): Promise<LoadedMessage | undefined> {
    return (await this.#loadMessages([id]))[0];
  }

  async #loadMessages(ids: number[]): Promise<LoadedMessage[]> {
    return loadMessages(this.d.db, ids);
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

  /**
   * inbound.deliver: customer messages into the open line, many per `imconnector.send.messages` call
   * (the worker hands over up to `inboundBatchSize` jobs of one channel, each chat's in order). Every
   * message gets its own outcome from its own element of Bitrix24's answer: only the ones that failed
   * are retried.
   */
  inboundJob(): JobHandler {
    return {
      run: async (job, log) =>
        (await this.#deliverInbound([job], log))[0] ?? { kind: 'retry', error: 'no outcome' },
      batch: { size: this.d.inboundBatchSize, run: (jobs, log) => this.#deliverInbound(jobs, log) },
      onDead: (job, error) => this.#markDead(job, error),
    };
  }

  #bitrixPayload(m: LoadedMessage): InboundForBitrix {
    const content = m.content as { text?: string; name?: string | null };
    const name = connectorUserName(content.name ?? m.customer_name ?? undefined);
    const media = this.d.media.forBitrix(m.content, toLang(m.portal_lang));
    return {
      externalMessageId: m.wa_message_id ?? `in-${m.id}`,
      date: Math.floor((m.customer_ts ?? m.created_at).getTime() / 1000),
      ...media,
      user: { id: m.customer_phone, phone: `+${m.customer_phone}`, ...(name ? { name } : {}) },
      ...(m.app_creates_crm ? { disableCrm: true } : {}),
      chat: {
        id: m.customer_phone,
        url: `https://wa.me/${m.customer_phone}`,
        ...(name ? { name: `${name} (WhatsApp)` } : {}),
      },
    };
  }

  async #deliverInbound(jobs: JobRow[], log: Logger): Promise<JobOutcome[]> {
    const outcomes = new Map<number, JobOutcome>();
    const ids = jobs.map((j) => this.#messageId(j));
    const rows = new Map(
      (await this.#loadMessages(ids.filter((i) => i !== undefined))).map((m) => [m.id, m]),
    );
    // A chat whose earlier message is held back holds back its later ones too: order within a chat.
    const heldChats = new Set<number>();
    const groups = new Map<string, { portalId: number; line: number; items: InboundItem[] }>();
    for (const i of jobs.keys()) {
      const id = ids[i];
      const m = id === undefined ? undefined : rows.get(id);
      if (!m) {
        outcomes.set(i, { kind: 'dead', error: 'message not found' });
        continue;
      }
      if (m.status === 'delivered') {
        outcomes.set(i, { kind: 'done' });
        continue;
      }
      if (m.portal_status === 'uninstalled') {
        outcomes.set(i, { kind: 'cancel', reason: 'portal uninstalled' });
        continue;
      }
      const usable = m.channel_status === 'active' || m.channel_status === 'interrupted';
      const line = usable ? m.channel_line : null;
      if (!line) {
        outcomes.set(i, { kind: 'dead', error: 'channel_inactive: the channel has no active open line' });
        continue;
      }
      if (heldChats.has(m.conversation_id)) {
        outcomes.set(i, {
          kind: 'retry',
          error: 'waiting for an earlier message of the same chat',
          delayMs: 250,
          countAttempt: false,
        });
        continue;
      }
      if (m.attempt_started_at) {
        // Another worker's call may still be on its way (a lease can only be lost by a dead worker, but
        // a timed-out request can land late): ask only once every call started then must have ended.
        const age = Date.now() - m.attempt_started_at.getTime();
        const settle = Math.min(this.d.inFlightGraceMs, IN_FLIGHT_CALL_MS);
        if (age < settle) {
          heldChats.add(m.conversation_id);
          outcomes.set(i, {
            kind: 'retry',
            error: 'awaiting_confirmation: an earlier delivery may still be in flight',
            delayMs: settle - age + 50,
            countAttempt: false,
          });
          continue;
        }
      }
      const key = `${m.portal_id}|${line}`;
      const g = groups.get(key) ?? { portalId: m.portal_id, line, items: [] };
      g.items.push({ index: i, m, payload: this.#bitrixPayload(m) });
      groups.set(key, g);
    }
    for (const g of groups.values()) {
      try {
        await this.#deliverGroup(g.portalId, g.line, g.items, outcomes, log);
      } catch (err) {
        for (const it of g.items) if (!outcomes.has(it.index)) outcomes.set(it.index, outcomeOf(err));
      }
    }
    return jobs.map(
      (_, i) => outcomes.get(i) ?? { kind: 'retry', error: 'not handled in this batch', countAttempt: false },
    );
  }

  async #deliverGroup(
    portalId: number,
    line: number,
    items: InboundItem[],
    outcomes: Map<number, JobOutcome>,
    log: Logger,
  ): Promise<void> {
    // An earlier attempt may have reached Bitrix24: update succeeds only for a message it already has.
    const unsure = items.filter((it) => it.m.attempt_started_at);
    const reconciled = new Set<number>();
    if (unsure.length) {
      const res = await this.d.connector.updateMessages(
        portalId,
        line,
        unsure.map((it) => it.payload),
      );
      const found = unsure.filter((_, k) => res[k]?.ok);
      if (found.length) {
        await this.#recordInbound(
          found.map((it) => ({ m: it.m, chatId: null })),
          'reconciled: Bitrix24 already had it',
        );
        log.info(
          { count: found.length },
          'Inbound messages were already in Bitrix24; recorded without resending.',
        );
      }
      for (const it of found) {
        reconciled.add(it.index);
        outcomes.set(it.index, { kind: 'done' });
      }
    }
    const send = items.filter((it) => !reconciled.has(it.index));
    if (send.length === 0) return;
    try {
      await this.#sendGroup(portalId, line, send, outcomes);
    } catch (err) {
      // A call-level refusal that will not pass (a malformed element, a request too large) must not
      // dead-letter a whole batch of unrelated chats: each message is tried on its own instead.
      if (!(err instanceof ProviderError) || err.retryable || send.length === 1) throw err;
      log.warn(
        { count: send.length, code: err.providerCode },
        'Batch refused as a whole; sending one by one.',
      );
      for (const it of send) {
        try {
          await this.#sendGroup(portalId, line, [it], outcomes);
        } catch (one) {
          outcomes.set(it.index, outcomeOf(one));
        }
      }
    }
  }

  /**
   * One `imconnector.send.messages` call. Outcomes are set only once what they stand for is recorded:
   * `done` after the delivery is committed, so a failed write leaves the job to be reconciled.
   */
  async #sendGroup(
    portalId: number,
    line: number,
    send: InboundItem[],
    outcomes: Map<number, JobOutcome>,
  ): Promise<void> {
    const sendIds = send.map((it) => it.m.id);
    await this.d.db
      .updateTable('messages')
      .set({ attempt_started_at: sql`now()`, updated_at: sql`now()` })
      .where('id', 'in', sendIds)
      .execute();
    let results: ElementResult[];
    try {
      results = await this.d.connector.sendMessages(
        portalId,
        line,
        send.map((it) => it.payload),
      );
    } catch (err) {
      if (!requestMayHaveArrived(err)) await this.#clearAttempt(sendIds);
      for (const it of send) await this.#traceRetry(portalId, it.m.channel_id, it.m.id, 'in', err);
      throw err;
    }
    for (const it of send) await this.d.hooks?.afterUpstreamCall?.('bitrix.send', it.m.id);
    const delivered: Array<{ index: number; m: LoadedMessage; chatId: number | null }> = [];
    const refused: Array<{ it: InboundItem; error: string }> = [];
    for (const [k, it] of send.entries()) {
      const r = results[k];
      if (r?.ok) delivered.push({ index: it.index, m: it.m, chatId: r.chatId });
      else if (r?.unknown) {
        outcomes.set(it.index, {
          kind: 'retry',
          error: `outcome unknown: ${r.error}`,
          delayMs: 1_000,
          countAttempt: true,
        });
      } else refused.push({ it, error: r ? r.error : 'no result' });
    }
    if (delivered.length) {
      await this.#recordInbound(delivered, null);
      for (const d of delivered) outcomes.set(d.index, { kind: 'done' });
    }
    if (refused.length) {
      await this.#clearAttempt(refused.map((r) => r.it.m.id));
      for (const { it, error } of refused) {
        outcomes.set(it.index, { kind: 'retry', error: `Bitrix24 refused the message: ${error}` });
      }
      await writeTrace(
        this.d.db,
        ...refused.map(({ it, error }) => ({
          portalId,
          channelId: it.m.channel_id,
          messageId: it.m.id,
          direction: 'in' as const,
          step: 'bitrix_refused',
          level: 'WARN' as const,
          detail: error,
        })),
      );
    }
  }

  /** Marks messages delivered, with their Bitrix24 chat, in one transaction. */
  async #recordInbound(
    items: Array<{ m: LoadedMessage; chatId: number | null }>,
    note: string | null,
  ): Promise<void> {
    // Rows are locked in the order the webhooks lock them (conversation, then message): no deadlock.
    const byConversation = new Map<number, number>();
    for (const it of items) if (it.chatId) byConversation.set(it.m.conversation_id, it.chatId);
    const convIds = [...byConversation.keys()].sort((a, b) => a - b);
    await retryOnConflict(() =>
      this.d.db.transaction().execute(async (trx) => {
        for (const conv of convIds) {
          const chatId = byConversation.get(conv) ?? null;
          const before = await trx
            .selectFrom('conversations')
            .select(['portal_id', 'channel_id', 'bitrix_chat_id'])
            .where('id', '=', conv)
            .forUpdate()
            .executeTakeFirstOrThrow();
          await trx
            .updateTable('conversations')
            .set({ bitrix_chat_id: chatId })
            .where('id', '=', conv)
            .execute();
          // The conversation's first chat in Bitrix24: who gets it is decided once (roles/assign.service.ts).
          if (before.bitrix_chat_id === null && chatId) {
            await enqueueJob(trx, {
              topic: 'chat.assign',
              portalId: before.portal_id,
              payload: { conversationId: conv, channelId: before.channel_id, chatId },
              dedupeKey: `assign:${conv}`,
            });
          }
        }
        for (const it of items) {
          await trx
            .updateTable('messages')
            .set({
              status: 'delivered',
              attempt_started_at: null,
              delivered_at: sql`now()`,
              updated_at: sql`now()`,
              ...(it.chatId ? { bitrix_chat_id: it.chatId } : {}),
            })
            .where('id', '=', it.m.id)
            .execute();
        }
        await writeTrace(
          trx,
          ...items.map((it) => ({
            portalId: it.m.portal_id,
            channelId: it.m.channel_id,
            messageId: it.m.id,
            direction: 'in' as const,
            step: 'delivered_to_bitrix',
            detail: note ?? (it.chatId ? `chat ${it.chatId}` : null),
          })),
        );
      }),
    );
  }

  async #clearAttempt(ids: number[]): Promise<void> {
    await this.d.db
      .updateTable('messages')
      .set({ attempt_started_at: null })
      .where('id', 'in', ids)
      .execute();
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
      await this.#ensureAck(m.id, m.portal_id, m.channel_id);
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
    try {
      const perSec = this.d.gupshupPerSec;
      await this.d.limiter.acquire(
        `gs:${m.channel_id}`,
        { perSec, burst: Math.max(1, Math.ceil(perSec)) },
        1_000,
      );
    } catch (err) {
      if (!(err instanceof RateLimitedError)) throw err;
      return { kind: 'retry', error: err.message, delayMs: Math.ceil(err.waitMs), countAttempt: false };
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

  async #ensureAck(id: number, portalId: number, channelId: string): Promise<void> {
    await enqueueJob(this.d.db, {
      topic: 'outbound.ack',
      portalId,
      payload: { messageId: id, channelId },
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
    await this.d.db.updateTable('messages').set(failedColumns(code, detail)).where('id', '=', id).execute();
  }

  async #queueNote(exec: Kysely<DB> | Trx, messageId: number, code: string): Promise<void> {
    const m = await exec
      .selectFrom('messages')
      .select(['portal_id', 'channel_id'])
      .where('id', '=', messageId)
      .executeTakeFirst();
    if (!m) return;
    await queueAgentNote(exec, { messageId, portalId: m.portal_id, channelId: m.channel_id, code });
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

  /**
   * outbound.ack: tells Bitrix24 the operator's messages left (imconnector.send.status.delivery), many
   * per call: each ack is one element of MESSAGES, so a burst of replies costs a few calls, not one each.
   */
  ackJob(): JobHandler {
    return {
      run: async (job, log) => (await this.#ack([job], log))[0] ?? { kind: 'retry', error: 'no outcome' },
      batch: { size: this.d.inboundBatchSize, run: (jobs, log) => this.#ack(jobs, log) },
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

  async #ack(jobs: JobRow[], log: Logger): Promise<JobOutcome[]> {
    const ids = jobs.map((j) => this.#messageId(j));
    const rows = new Map(
      (await this.#loadMessages(ids.filter((i) => i !== undefined))).map((m) => [m.id, m]),
    );
    const outcomes: JobOutcome[] = [];
    const groups = new Map<
      string,
      { portalId: number; line: number; items: Array<[number, LoadedMessage]> }
    >();
    for (const [i, id] of ids.entries()) {
      const m = id === undefined ? undefined : rows.get(id);
      if (!m?.gupshup_message_id || m.bitrix_chat_id === null || m.bitrix_message_id === null) {
        outcomes[i] = { kind: 'dead', error: 'nothing to acknowledge' };
        continue;
      }
      if (m.portal_status === 'uninstalled') {
        outcomes[i] = { kind: 'cancel', reason: 'portal uninstalled' };
        continue;
      }
      const line = m.channel_line;
      if (!line) {
        outcomes[i] = { kind: 'cancel', reason: 'channel has no line any more' };
        continue;
      }
      const key = `${m.portal_id}|${line}`;
      const g = groups.get(key) ?? { portalId: m.portal_id, line, items: [] };
      g.items.push([i, m]);
      groups.set(key, g);
    }
    for (const g of groups.values()) {
      try {
        // Parts of one operator message share its Bitrix24 id: one element each, with every part's id.
        const byImMessage = new Map<number, LoadedMessage>();
        for (const [, m] of g.items) byImMessage.set(m.bitrix_message_id ?? 0, m);
        const elements = [];
        for (const m of byImMessage.values()) {
          elements.push({
            imChatId: m.bitrix_chat_id ?? 0,
            imMessageId: m.bitrix_message_id ?? 0,
            externalIds: await sentPartIds(this.d.db, m.portal_id, m.bitrix_message_id ?? 0),
            externalChatId: m.customer_phone,
            date: Math.floor(Date.now() / 1000),
          });
        }
        await this.d.connector.ackDelivery(g.portalId, g.line, elements);
      } catch (err) {
        for (const [i] of g.items) outcomes[i] = outcomeOf(err);
        continue;
      }
      // Acknowledged: done whatever happens to the trace write (a repeat ack would be a wasted call).
      for (const [i] of g.items) outcomes[i] = { kind: 'done' };
      await writeTrace(
        this.d.db,
        ...g.items.map(([, m]) => ({
          portalId: m.portal_id,
          channelId: m.channel_id,
          messageId: m.id,
          direction: 'out' as const,
          step: 'acknowledged_in_bitrix',
        })),
      ).catch((err: unknown) => log.warn({ err }, 'Could not trace the acknowledgement.'));
      log.debug({ count: g.items.length }, 'Operator messages acknowledged in Bitrix24.');
    }
    return jobs.map((_, i) => outcomes[i] ?? { kind: 'retry', error: 'not handled in this batch' });
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

/**
 * Whether a failed call may still have reached Bitrix24. A definite answer (an HTTP status) and a
 * refusal before sending (our own rate budget, a database error before the request) mean it did not;
 * a transport failure (time-out, reset) leaves it unknown.
 */
function requestMayHaveArrived(err: unknown): boolean {
  if (!(err instanceof ProviderError)) return false;
  if (err.status !== undefined || err.providerCode === 'LOCAL_RATE_LIMIT') return false;
  return true;
}

function codeOf(error: string): string | null {
  const m = /^([a-z_]+):/.exec(error);
  return m?.[1] ?? 'retries_exhausted';
}
