import type { InboundForBitrix } from '../../../integrations/bitrix24/bitrix24.connector.js';
import { connectorUserName } from '../../../integrations/bitrix24/bitrix24.connector.js';
import type { InboundMessage } from '../../../integrations/gupshup/gupshup.webhook.js';
import { outcomeOf, type JobHandler, type JobOutcome } from '../../../jobs/worker.js';
import type { JobRow } from '../../../shared/db/schema.js';
import { retryOnConflict } from '../../../shared/db/retry.js';
import { toLang } from '../../../shared/i18n.js';
import { maskPhone, type Log as Logger } from '../../../shared/logger.js';
import { deadLetter, messageIdOf, traceRetry } from '../job-support.js';
import type { LoadedMessage, MessagesRepository } from '../messages.repository.js';
import type { InboundTextsHook, MessagingHooks, OpenLineConnector, RelayMedia } from '../ports.js';
import { elementVerdict, requestMayHaveArrived, sendOneByOne, triageInbound } from './batch-rules.js';
import { inboundText } from './inbound-text.js';
import type { InboundRepository } from './inbound.repository.js';
import type { IngestRepository, RawInbound } from './ingest.repository.js';
import { Repeats } from './repeats.js';
import { Coalescer } from '../../../shared/db/coalesce.js';

export interface InboundDeps {
  messages: MessagesRepository;
  inbound: InboundRepository;
  ingest: IngestRepository;
  connector: Pick<OpenLineConnector, 'sendMessages' | 'updateMessages'>;
  media: Pick<RelayMedia, 'forBitrix'>;
  inFlightGraceMs: number;
  /** Most customer messages per `imconnector.send.messages` call. */
  batchSize: number;
  hooks?: MessagingHooks | undefined;
  /** Sees each delivery batch's texts (campaign opt-outs); retried with the batch when it fails. */
  onTexts?: InboundTextsHook | undefined;
  nudge: () => void;
  /** Webhook insert statements running at once (each holds a pool connection). */
  ingestInFlight: number;
}

interface InboundItem {
  /** Position of the job in the batch. */
  index: number;
  m: LoadedMessage;
  payload: InboundForBitrix;
}

interface Group {
  portalId: number;
  line: number;
  items: InboundItem[];
}

type Outcomes = Map<number, JobOutcome>;

interface Refused {
  it: InboundItem;
  error: string;
  outcome: JobOutcome;
}

/** Inbound types whose file is downloaded before delivery (reference/gupshup.md §3.3). */
const MEDIA_TYPES = new Set(['image', 'video', 'audio', 'voice', 'file', 'document', 'sticker']);

/** Most webhooks per insert statement, and most `inbound.accept` jobs per worker statement. */
const INGEST_MAX_BATCH = 256;
const ACCEPT_BATCH = 200;
/** The worker is woken this long after a webhook stored work, once for all of them meanwhile. */
const NUDGE_AFTER_MS = 25;
/**
 * A burst of webhooks is answered first and its rows are written at the next lull: a batch of
 * `inbound.accept` jobs waits while this process takes more than BURST_PER_SEC webhooks a second (or
 * its insert statements are all busy), but never once its oldest job is DEFER_MAX_MS old. A burst of
 * a few seconds is then accepted at the rate a bare insert route reaches; a flood that lasts longer
 * is written at the balanced rate, at most that far behind. Delivery to Bitrix24 is paced by the
 * portal's 2 requests a second anyway, so the wait costs the chat nothing it would have had sooner
 * in a burst (docs/performance.md, "Ingest").
 */
const BURST_PER_SEC = 500;
const DEFER_MAX_MS = 5_000;

/** How often a channel's "last heard from" is written, at most. */
const HEARD_EVERY_MS = 10_000;

/**
 * Customer → open line (C4). The webhook only stores (`accept`); `inbound.deliver` jobs deliver, many
 * per `imconnector.send.messages` call, each message decided by its own element of the answer. Before
 * the call the messages are marked in flight; a job that finds the mark asks Bitrix24 with
 * `imconnector.update.messages` whether it already has them (docs/architecture.md, "Exactly once").
 */
export class InboundService {
  readonly #heardAt = new Map<string, number>();
  readonly #ingest: Coalescer<RawInbound, boolean>;
  readonly #repeats: Repeats;
  #nudgeTimer: NodeJS.Timeout | undefined;
  /** `inbound.accept` batches of this process waiting for a burst to pass (`acceptJob`). */
  #deferring = 0;

  constructor(private readonly d: InboundDeps) {
    this.#ingest = new Coalescer({
      write: (events) => d.ingest.insertAccepted(events),
      maxBatch: INGEST_MAX_BATCH,
      maxInFlight: d.ingestInFlight,
    });
    this.#repeats = new Repeats(d.ingest, INGEST_MAX_BATCH);
  }

  /**
   * A customer's message from Gupshup: its raw event and job, written with the other webhooks of the
   * same moment in one statement (resolves once committed); the worker writes its rows (`acceptJob`).
   * Duplicates (Gupshup retries) are recognised by WhatsApp id and traced on the message.
   */
  async accept(
    channel: { id: string; portalId: number },
    m: InboundMessage,
  ): Promise<'stored' | 'duplicate'> {
    const stored = await this.#ingest.submit({
      portalId: channel.portalId,
      channelId: channel.id,
      phone: m.phone,
      name: m.name ?? null,
      atMs: m.timestampMs,
      type: m.type,
      content: { text: inboundText(m.type, m.content), payload: m.content, name: m.name ?? null },
      waMessageId: m.waMessageId,
      receivedDetail: `${m.type} from ${maskPhone(m.phone)}`,
      hasMedia: MEDIA_TYPES.has(m.type),
    });
    if (stored) {
      this.#nudgeSoon();
      return 'stored';
    }
    await this.#repeats.record({
      portalId: channel.portalId,
      channelId: channel.id,
      waMessageId: m.waMessageId,
    });
    return 'duplicate';
  }

  /**
   * Wakes the worker once for the webhooks of the next few milliseconds rather than once per webhook:
   * under a flood each wake-up is a claim query, and fewer, larger batches cost the request path less.
   */
  #nudgeSoon(): void {
    // A batch already waits for the burst to pass, and nudges the worker when it is done: a claim per
    // nudge meanwhile would find the channel's batch busy and spend the database's time on nothing.
    if (this.#nudgeTimer || this.#deferring > 0) return;
    this.#nudgeTimer = setTimeout(() => {
      this.#nudgeTimer = undefined;
      this.d.nudge();
    }, NUDGE_AFTER_MS);
    this.#nudgeTimer.unref();
  }

  /**
   * inbound.accept: a batch of stored webhooks (one per chat, each chat's in order) becomes their
   * conversations, messages, delivery jobs and trace in one statement, which also completes the jobs.
   */
  acceptJob(): JobHandler {
    const run = async (jobs: JobRow[]): Promise<JobOutcome[]> => {
      const workerId = jobs[0]?.locked_by ?? '';
      // Webhooks waiting for their answer go first; the rows behind them are backlog.
      const oldest = Math.min(...jobs.map((j) => new Date(j.created_at).getTime()));
      this.#deferring++;
      try {
        await this.#ingest.whenQuiet(DEFER_MAX_MS - (Date.now() - oldest), BURST_PER_SEC);
      } finally {
        this.#deferring--;
      }
      const done = new Set(
        await retryOnConflict(() =>
          this.d.ingest.materialize(
            jobs.map((j) => j.id),
            workerId,
          ),
        ),
      );
      if (done.size) this.d.nudge();
      // A job not done here is no longer this worker's (its lease ran out): its holder does it.
      return jobs.map((j) =>
        done.has(j.id)
          ? { kind: 'done', recorded: true }
          : { kind: 'retry', error: 'lease lost', countAttempt: false },
      );
    };
    return {
      run: async (job) => (await run([job]))[0] ?? { kind: 'retry', error: 'no outcome' },
      batch: { size: ACCEPT_BATCH, run },
    };
  }

  /** A callback Gupshup sent that is neither a message nor a status: traced, nothing else. */
  async acceptOther(
    channel: { id: string; portalId: number },
    e: { type: string; subtype?: string | undefined },
  ): Promise<void> {
    await this.d.messages.trace({
      portalId: channel.portalId,
      channelId: channel.id,
      step: 'gupshup_event',
      detail: `${e.type}${e.subtype ? `/${e.subtype}` : ''}`,
    });
  }

  /** Seen-at for the health strip; written at most every 10 s per channel, off the answer's path. */
  channelHeard(channelId: string, log: Logger): void {
    const now = Date.now();
    if ((this.#heardAt.get(channelId) ?? 0) >= now - HEARD_EVERY_MS) return;
    this.#heardAt.set(channelId, now);
    this.d.inbound
      .touchChannelHeard(channelId)
      .catch((err: unknown) => log.warn({ err }, 'Could not record when the channel was last heard from.'));
  }

  /**
   * inbound.deliver: customer messages into the open line, many per `imconnector.send.messages` call
   * (the worker hands over up to `batchSize` jobs of one channel, each chat's in order). Every
   * message gets its own outcome from its own element of Bitrix24's answer: only the ones that failed
   * are retried.
   */
  job(): JobHandler {
    return {
      run: async (job, log) => (await this.#deliver([job], log))[0] ?? { kind: 'retry', error: 'no outcome' },
      batch: { size: this.d.batchSize, run: (jobs, log) => this.#deliver(jobs, log) },
      onDead: (job, error) => deadLetter(this.d.messages, job, error),
    };
  }

  async #deliver(jobs: JobRow[], log: Logger): Promise<JobOutcome[]> {
    const outcomes: Outcomes = new Map();
    const ids = jobs.map(messageIdOf);
    const rows = new Map(
      (await this.d.messages.load(ids.filter((i) => i !== undefined))).map((m) => [m.id, m]),
    );
    await this.#seeTexts([...rows.values()]);
    const heldChats = new Set<number>();
    const groups = new Map<string, Group>();
    for (const [index, id] of ids.entries()) {
      const t = triageInbound(
        id === undefined ? undefined : rows.get(id),
        heldChats,
        Date.now(),
        this.d.inFlightGraceMs,
      );
      if (t.kind === 'outcome') {
        outcomes.set(index, t.outcome);
        continue;
      }
      const key = `${t.m.portal_id}|${t.line}`;
      const g = groups.get(key) ?? { portalId: t.m.portal_id, line: t.line, items: [] };
      g.items.push({ index, m: t.m, payload: this.#bitrixPayload(t.m) });
      groups.set(key, g);
    }
    for (const g of groups.values()) {
      try {
        await this.#deliverGroup(g, outcomes, log);
      } catch (err) {
        for (const it of g.items) if (!outcomes.has(it.index)) outcomes.set(it.index, outcomeOf(err));
      }
    }
    return jobs.map(
      (_, i) => outcomes.get(i) ?? { kind: 'retry', error: 'not handled in this batch', countAttempt: false },
    );
  }

  /** The batch's customer texts to the hook (no statement of its own unless one concerns it). */
  async #seeTexts(rows: LoadedMessage[]): Promise<void> {
    if (!this.d.onTexts) return;
    const texts = rows
      .filter((m) => m.type === 'text')
      .map((m) => ({
        portalId: m.portal_id,
        channelId: m.channel_id,
        phoneDigits: m.customer_phone,
        text: (m.content as { text?: string }).text ?? '',
      }));
    if (texts.length) await this.d.onTexts(texts);
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

  async #deliverGroup(g: Group, outcomes: Outcomes, log: Logger): Promise<void> {
    const reconciled = await this.#reconcile(g, outcomes, log);
    const send = g.items.filter((it) => !reconciled.has(it.index));
    if (send.length === 0) return;
    try {
      await this.#sendGroup(g, send, outcomes);
    } catch (err) {
      if (!sendOneByOne(err, send.length)) throw err;
      log.warn(
        { count: send.length, code: (err as { providerCode?: string }).providerCode },
        'Batch refused as a whole; sending one by one.',
      );
      for (const it of send) {
        try {
          await this.#sendGroup(g, [it], outcomes);
        } catch (one) {
          outcomes.set(it.index, outcomeOf(one));
        }
      }
    }
  }

  /** An earlier attempt may have reached Bitrix24: update succeeds only for a message it already has. */
  async #reconcile(g: Group, outcomes: Outcomes, log: Logger): Promise<Set<number>> {
    const reconciled = new Set<number>();
    const unsure = g.items.filter((it) => it.m.attempt_started_at);
    if (unsure.length === 0) return reconciled;
    const res = await this.d.connector.updateMessages(
      g.portalId,
      g.line,
      unsure.map((it) => it.payload),
    );
    const found = unsure.filter((_, k) => res[k]?.ok);
    if (found.length) {
      await this.#record(
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
    return reconciled;
  }

  /**
   * One `imconnector.send.messages` call. Outcomes are set only once what they stand for is recorded:
   * `done` after the delivery is committed, so a failed write leaves the job to be reconciled.
   */
  async #sendGroup(g: Group, send: InboundItem[], outcomes: Outcomes): Promise<void> {
    const sendIds = send.map((it) => it.m.id);
    await this.d.messages.markAttempt(sendIds);
    let results;
    try {
      results = await this.d.connector.sendMessages(
        g.portalId,
        g.line,
        send.map((it) => it.payload),
      );
    } catch (err) {
      if (!requestMayHaveArrived(err)) await this.d.messages.clearAttempt(sendIds);
      for (const it of send) await traceRetry(this.d.messages, it.m, 'in', err);
      throw err;
    }
    for (const it of send) await this.d.hooks?.afterUpstreamCall?.('bitrix.send', it.m.id);
    const delivered: Array<{ index: number; m: LoadedMessage; chatId: number | null }> = [];
    const refused: Refused[] = [];
    for (const [k, it] of send.entries()) {
      const v = elementVerdict(results[k]);
      if (v.kind === 'delivered') delivered.push({ index: it.index, m: it.m, chatId: v.chatId });
      else if (v.kind === 'unknown') outcomes.set(it.index, v.outcome);
      else refused.push({ it, error: v.error, outcome: v.outcome });
    }
    if (delivered.length) {
      await this.#record(delivered, null);
      for (const d of delivered) outcomes.set(d.index, { kind: 'done' });
    }
    if (refused.length) await this.#refused(g.portalId, refused, outcomes);
  }

  /** Refused elements were not taken: their marks are cleared and only they are retried. */
  async #refused(portalId: number, refused: Refused[], outcomes: Outcomes): Promise<void> {
    await this.d.messages.clearAttempt(refused.map((r) => r.it.m.id));
    for (const { it, outcome } of refused) outcomes.set(it.index, outcome);
    await this.d.messages.trace(
      ...refused.map(({ it, error }) => ({
        portalId,
        channelId: it.m.channel_id,
        messageId: it.m.id,
        direction: 'in' as const,
        step: 'bitrix_refused' as const,
        level: 'WARN' as const,
        detail: error,
      })),
    );
  }

  /** Marks messages delivered, with their Bitrix24 chat, in one transaction. */
  async #record(
    items: Array<{ m: LoadedMessage; chatId: number | null }>,
    note: string | null,
  ): Promise<void> {
    const delivered = items.map(({ m, chatId }) => ({
      id: m.id,
      portalId: m.portal_id,
      channelId: m.channel_id,
      conversationId: m.conversation_id,
      chatId,
    }));
    await retryOnConflict(() => this.d.inbound.recordDelivered(delivered, note));
  }
}
