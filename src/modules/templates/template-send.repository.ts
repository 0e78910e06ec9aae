import { sql, type Kysely, type Transaction } from 'kysely';
import { enqueueJob } from '../../jobs/jobs.repository.js';
import type { DB, TemplateStatus } from '../../shared/db/schema.js';
import { writeTrace } from '../trace/trace.service.js';

type Trx = Transaction<DB>;
type Executor = Kysely<DB> | Trx;

/**
 * The statements of sending templates (owner: tplsend): reading templates, channels, chats and media
 * for a send, storing a template message with its jobs in one transaction, and what the follow-up
 * jobs read and mark. MERGE NOTE (tplcore): the template reads could move to templates.repository.ts.
 */

/** A template with what a send needs, and the open lines it is assigned to. */
export interface TemplateForSend {
  id: string;
  portal_id: number;
  channel_id: string;
  element_name: string;
  display_name: string;
  language: string;
  category: string;
  template_type: 'TEXT' | 'IMAGE' | 'DOCUMENT' | 'VIDEO';
  header: string | null;
  body: string;
  footer: string | null;
  buttons: unknown;
  params: unknown;
  /** 0011 (tplcore): the text header's {{1}} as {name, example}, or null. */
  header_param: unknown;
  status: TemplateStatus;
  status_reason: string | null;
  gupshup_id: string | null;
  active: boolean;
  line_ids: number[];
}

function templateColumns(db: Executor) {
  return db
    .selectFrom('templates as t')
    .select([
      't.id',
      't.portal_id',
      't.channel_id',
      't.element_name',
      't.display_name',
      't.language',
      't.category',
      't.template_type',
      't.header',
      't.body',
      't.footer',
      't.buttons',
      't.params',
      't.header_param',
      't.status',
      't.status_reason',
      't.gupshup_id',
      't.active',
      sql<
        number[]
      >`coalesce((select array_agg(l.line_id order by l.line_id) from template_lines l where l.template_id = t.id), '{}')`.as(
        'line_ids',
      ),
    ])
    .where('t.status', '<>', 'deleted');
}

/** The conversation behind a Bitrix24 open-line chat, with its channel. */
export interface ChatConversation {
  id: number;
  channel_id: string;
  customer_phone: string;
  last_inbound_at: Date | null;
  line_id: number | null;
  channel_status: string;
}

/** A template message to store (the service built its content). */
export interface NewTemplateMessage {
  portalId: number;
  channelId: string;
  phone: string;
  templateId: string;
  clientKey: string | null;
  sentBy: number | null;
  content: Record<string, unknown>;
  /** Jobs before the send, in the chat's order: the CRM phone check, the header media download. */
  checkCrm: boolean;
  fetchMedia: boolean;
  /** The follow-ups: a record in the open-line chat, the answer to a waiting workflow. */
  record: boolean;
  robot: boolean;
  detail: string;
}

export class TemplateSendRepository {
  constructor(readonly db: Kysely<DB>) {}

  transaction<T>(fn: (trx: Trx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  async template(portalId: number, id: string): Promise<TemplateForSend | undefined> {
    return await templateColumns(this.db)
      .where('t.portal_id', '=', portalId)
      .where('t.id', '=', id)
      .executeTakeFirst();
  }

  /** The channel's approved, active templates, all or those assigned to `lineId`. */
  async usable(channelId: string, lineId?: number | null): Promise<TemplateForSend[]> {
    let q = templateColumns(this.db)
      .where('t.channel_id', '=', channelId)
      .where('t.status', '=', 'approved')
      .where('t.active', '=', true)
      .where('t.gupshup_id', 'is not', null);
    if (lineId !== undefined) {
      q = q.where((eb) =>
        eb.exists(
          eb
            .selectFrom('template_lines as tl')
            .select('tl.line_id')
            .whereRef('tl.template_id', '=', 't.id')
            .where('tl.line_id', '=', lineId ?? -1),
        ),
      );
    }
    return await q.orderBy('t.display_name').execute();
  }

  /**
   * Templates of a channel named `name` (element or display name, any case), approved and active
   * ones first: how an automation rule names its template.
   */
  byName(channelId: string, name: string) {
    return this.db
      .selectFrom('templates')
      .select(['id', 'language', 'status', 'active'])
      .where('channel_id', '=', channelId)
      .where('status', '<>', 'deleted')
      .where((eb) =>
        eb.or([
          eb(sql`lower(element_name)`, '=', name.toLowerCase()),
          eb(sql`lower(display_name)`, '=', name.toLowerCase()),
        ]),
      )
      .orderBy(sql`(status = 'approved' AND active)`, 'desc')
      .orderBy('language')
      .execute();
  }

  /** A live channel of the portal (not deleted). */
  channel(portalId: number, channelId: string) {
    return this.db
      .selectFrom('channels')
      .select(['id', 'name', 'status', 'line_id', 'source_number'])
      .where('portal_id', '=', portalId)
      .where('id', '=', channelId)
      .where('status', '<>', 'deleted')
      .executeTakeFirst();
  }

  /** The portal's live channels on an open line. */
  channels(portalId: number) {
    return this.db
      .selectFrom('channels')
      .select(['id', 'name', 'status', 'line_id', 'source_number'])
      .where('portal_id', '=', portalId)
      .where('status', 'in', ['active', 'interrupted'])
      .orderBy('name')
      .execute();
  }

  /** The conversation Bitrix24 shows as open-line chat `chatId` (the newest, should there be two). */
  async chat(portalId: number, chatId: number): Promise<ChatConversation | undefined> {
    return this.db
      .selectFrom('conversations as c')
      .innerJoin('channels as ch', 'ch.id', 'c.channel_id')
      .select([
        'c.id',
        'c.channel_id',
        'c.customer_phone',
        'c.last_inbound_at',
        'ch.line_id',
        'ch.status as channel_status',
      ])
      .where('c.portal_id', '=', portalId)
      .where('c.bitrix_chat_id', '=', chatId)
      .where('ch.status', '<>', 'deleted')
      .orderBy('c.id', 'desc')
      .executeTakeFirst();
  }

  /** A stored file of the portal (an uploaded header, `POST /templates/media`). */
  media(portalId: number, mediaId: string) {
    return this.db
      .selectFrom('media')
      .select(['id', 'name', 'mime', 'size'])
      .where('portal_id', '=', portalId)
      .where('id', '=', mediaId)
      .executeTakeFirst();
  }

  /** The message stored under an idempotency key, with what it was sent with. */
  byClientKey(portalId: number, clientKey: string, exec: Executor = this.db) {
    return exec
      .selectFrom('messages')
      .select(['id', 'status', sql<string | null>`content->>'fingerprint'`.as('fingerprint')])
      .where('portal_id', '=', portalId)
      .where('client_key', '=', clientKey)
      .executeTakeFirst();
  }

  /**
   * Stores a template message in one transaction: the conversation (found or created for the number
   * on the channel), the message (once per idempotency key), its jobs in the chat's order (CRM check,
   * header download, send) and its follow-ups, and the trace. Null when the key was taken meanwhile.
   */
  async store(m: NewTemplateMessage): Promise<number | null> {
    return this.transaction(async (trx) => {
      const conv = await this.#conversation(trx, m.portalId, m.channelId, m.phone);
      const row = await trx
        .insertInto('messages')
        .values({
          portal_id: m.portalId,
          channel_id: m.channelId,
          conversation_id: conv.id,
          direction: 'out',
          type: 'template',
          status: 'queued',
          content: JSON.stringify(m.content),
          template_id: m.templateId,
          client_key: m.clientKey,
          sent_by: m.sentBy,
          bitrix_chat_id: conv.bitrix_chat_id,
        })
        .onConflict((oc) =>
          oc.columns(['portal_id', 'client_key']).where('client_key', 'is not', null).doNothing(),
        )
        .returning('id')
        .executeTakeFirst();
      if (!row) return null;
      await this.#jobs(trx, m, row.id, conv.id, conv.bitrix_chat_id !== null);
      return row.id;
    });
  }

  async #conversation(trx: Trx, portalId: number, channelId: string, phone: string) {
    return trx
      .insertInto('conversations')
      .values({ portal_id: portalId, channel_id: channelId, customer_phone: phone, customer_name: null })
      .onConflict((oc) =>
        oc
          .columns(['channel_id', 'customer_phone'])
          .doUpdateSet({ customer_phone: sql`conversations.customer_phone` }),
      )
      .returning(['id', 'bitrix_chat_id'])
      .executeTakeFirstOrThrow();
  }

  async #jobs(
    trx: Trx,
    m: NewTemplateMessage,
    id: number,
    conversationId: number,
    hasChat: boolean,
  ): Promise<void> {
    const { portalId, channelId } = m;
    const payload = { messageId: id, channelId };
    const chatKey = `out:${conversationId}`;
    if (m.checkCrm) {
      await enqueueJob(trx, {
        topic: 'template.check',
        portalId,
        payload,
        dedupeKey: `tplcheck:${id}`,
        chatKey,
      });
    }
    if (m.fetchMedia) {
      await enqueueJob(trx, {
        topic: 'outbound.media',
        portalId,
        payload,
        dedupeKey: `outmedia:${id}`,
        chatKey,
      });
    }
    await enqueueJob(trx, { topic: 'outbound.send', portalId, payload, dedupeKey: `out:${id}`, chatKey });
    // No chat yet (a campaign's or a notification's new number): nothing to record it in until the
    // customer answers, and then the inbound delivery queues it (queuePendingRecords). The upsert of
    // the conversation above waits for a delivery that is giving it its chat, so one of the two sees
    // the other.
    if (m.record && hasChat) {
      await enqueueJob(trx, { topic: 'template.record', portalId, payload, dedupeKey: `tplrec:${id}` });
    }
    if (m.robot) {
      await enqueueJob(trx, { topic: 'template.robot', portalId, payload, dedupeKey: `tplrobot:${id}` });
    }
    const at = { portalId, channelId, messageId: id, direction: 'out' as const };
    await writeTrace(trx, { ...at, step: 'received', detail: m.detail }, { ...at, step: 'queued' });
  }

  /** A workflow's answer when nothing could be stored for its call (no usable channel, template…). */
  async queueRobotRefusal(portalId: number, key: string, payload: Record<string, unknown>): Promise<boolean> {
    return enqueueJob(this.db, { topic: 'template.robot', portalId, payload, dedupeKey: `tplrobot:${key}` });
  }

  // ------------------------------------------------------------------ follow-up jobs

  /** What the follow-ups of a template message read: its state, content, chat and portal. */
  followUp(id: number) {
    return this.db
      .selectFrom('messages as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .innerJoin('portals as p', 'p.id', 'm.portal_id')
      .select([
        'm.id',
        'm.portal_id',
        'm.channel_id',
        'm.status',
        'm.content',
        'm.sent_by',
        'm.sent_at',
        'm.created_at',
        'm.error_code',
        'm.error_detail',
        'm.gupshup_message_id',
        'c.id as conversation_id',
        'c.bitrix_chat_id',
        'c.customer_phone',
        'c.crm_entity',
        'c.crm_entity_id',
        'p.lang',
        'p.status as portal_status',
      ])
      .where('m.id', '=', id)
      .where('m.type', '=', 'template')
      .executeTakeFirst();
  }

  /** Adds keys to a message's content (`recordedAt`, `robotAnsweredAt`, `phoneChecked`). */
  async mark(id: number, patch: Record<string, unknown>): Promise<void> {
    await this.db
      .updateTable('messages')
      .set({ content: sql`content || ${JSON.stringify(patch)}::jsonb`, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** Fails a template message that has not gone yet (its send job then has nothing to do). */
  async failQueued(id: number, code: string, detail: string): Promise<boolean> {
    const r = await this.db
      .updateTable('messages')
      .set({
        status: 'failed',
        error_code: code,
        error_detail: detail.slice(0, 500),
        failed_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .where('status', 'in', ['queued', 'sending'])
      .where('gupshup_message_id', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Names of the approved, active templates a line offers (the window-closed note lists them). */
  async namesForLine(channelId: string, lineId: number | null): Promise<string[]> {
    if (lineId === null) return [];
    const rows = await this.usable(channelId, lineId);
    return rows.map((t) => t.display_name);
  }
}

/**
 * These conversations' first chats in Bitrix24 appeared (the customers answered): the records of the
 * templates sent to them before, which had no chat to go into, are queued now, in one statement.
 * Called by the inbound delivery in its transaction, after it locked the conversations (a statement
 * of its own: its snapshot must see a send that committed while the delivery waited for the lock).
 */
export async function queuePendingRecords(trx: Trx, conversationIds: number[]): Promise<void> {
  if (!conversationIds.length) return;
  await sql`
    INSERT INTO jobs (topic, portal_id, payload, dedupe_key)
    SELECT 'template.record', m.portal_id,
           jsonb_build_object('messageId', m.id, 'channelId', m.channel_id::text), 'tplrec:' || m.id || ':chat'
    FROM messages m
    WHERE m.conversation_id = ANY(${conversationIds}::bigint[]) AND m.type = 'template' AND m.direction = 'out'
      AND NOT (m.content ? 'recordedAt') AND m.status NOT IN ('failed', 'dead')
    ORDER BY m.id
    ON CONFLICT (dedupe_key) DO NOTHING`.execute(trx);
}
