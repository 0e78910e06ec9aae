import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { enqueueJob, type NewJob } from '../../jobs/jobs.repository.js';
import { randomToken } from '../../shared/crypto.js';
import type { DB, SmsMessagesTable, SmsSettingsTable, SmsSource, SmsStatus } from '../../shared/db/schema.js';
import { writeTrace, type TraceEntry } from '../trace/trace.service.js';

type Trx = Transaction<DB>;
type Executor = Kysely<DB> | Trx;

export type SmsSettingsRow = Selectable<SmsSettingsTable>;
export type SmsMessageRow = Selectable<SmsMessagesTable>;

/** Settings fields an admin changes (PUT /sms/settings), already checked. */
export interface SmsSettingsPatch {
  token_enc?: string | null;
  sender_name?: string | null;
  sender_status?: string | null;
  timeout_ms?: number;
  test_mode?: boolean;
  consent_field?: string | null;
  allowed_countries?: string[];
  default_country?: string;
  max_parts?: number;
  no_accents?: boolean;
  fallback_channel_ids?: string[];
}

export interface NewSms {
  portalId: number;
  source: SmsSource;
  bitrixMessageId?: string | null;
  relayMessageId?: number | null;
  origin?: Record<string, unknown>;
  createdBy?: number | null;
  toRaw: string;
  toE164?: string | null;
  text: string;
  noAccents: boolean;
}

/** A delivery report turned into what it means for our row. */
export interface ReportChange {
  status: 'accepted' | 'delivered' | 'undelivered';
  reportStatus: number;
  reportName: string;
  smsapiId: string;
  doneAt: Date | null;
  points: number | null;
}

/** The statements of the SMS module (settings, messages, and the jobs stored with them). */
export class SmsRepository {
  constructor(readonly db: Kysely<DB>) {}

  transaction<T>(fn: (trx: Trx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  settings(portalId: number, db: Executor = this.db): Promise<SmsSettingsRow | undefined> {
    return db.selectFrom('sms_settings').selectAll().where('portal_id', '=', portalId).executeTakeFirst();
  }

  /** The portal's settings, created with defaults (and its report secret) on first use. */
  async ensureSettings(portalId: number): Promise<SmsSettingsRow> {
    await this.db
      .insertInto('sms_settings')
      .values({ portal_id: portalId, dlr_secret: randomToken(24) })
      .onConflict((oc) => oc.column('portal_id').doNothing())
      .execute();
    return this.db
      .selectFrom('sms_settings')
      .selectAll()
      .where('portal_id', '=', portalId)
      .executeTakeFirstOrThrow();
  }

  async updateSettings(portalId: number, patch: SmsSettingsPatch): Promise<void> {
    if (Object.keys(patch).length === 0) return;
    await this.db
      .updateTable('sms_settings')
      .set({ ...patch, updated_at: new Date() })
      .where('portal_id', '=', portalId)
      .execute();
  }

  async markRegistered(portalId: number): Promise<void> {
    await this.db
      .updateTable('sms_settings')
      .set({ provider_registered_at: new Date(), updated_at: new Date() })
      .where('portal_id', '=', portalId)
      .execute();
  }

  /** The portal's channels (the fallback may only name these). */
  async channelIds(portalId: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('channels')
      .select('id')
      .where('portal_id', '=', portalId)
      .execute();
    return rows.map((c) => c.id);
  }

  /** The nonce the portal's report URL is made from (dlr-secret.ts). */
  async dlrNonce(portalId: number): Promise<string | undefined> {
    const r = await this.db
      .selectFrom('sms_settings')
      .select('dlr_secret')
      .where('portal_id', '=', portalId)
      .executeTakeFirst();
    return r?.dlr_secret;
  }

  /** The portal's member id (the token's key is bound to it) and language. */
  portal(portalId: number, db: Executor = this.db) {
    return db
      .selectFrom('portals')
      .select(['id', 'member_id', 'lang', 'status'])
      .where('id', '=', portalId)
      .executeTakeFirst();
  }

  /**
   * Stores an SMS, its job and its trace together. A second call with the same Bitrix24 message id (or
   * relay message) stores nothing and answers the first row: `created` false.
   */
  async insertSms(
    n: NewSms,
    then: (id: number) => { job?: NewJob; trace?: TraceEntry[] },
  ): Promise<{ id: number; created: boolean }> {
    return this.transaction(async (trx) => {
      const ins = await trx
        .insertInto('sms_messages')
        .values({
          portal_id: n.portalId,
          source: n.source,
          bitrix_message_id: n.bitrixMessageId ?? null,
          relay_message_id: n.relayMessageId ?? null,
          origin: JSON.stringify(n.origin ?? {}),
          created_by: n.createdBy ?? null,
          to_raw: n.toRaw.slice(0, 100),
          to_e164: n.toE164 ?? null,
          content: JSON.stringify({ text: n.text }),
          no_accents: n.noAccents,
        })
        .onConflict((oc) => oc.doNothing())
        .returning('id')
        .executeTakeFirst();
      if (!ins) {
        const prior = await this.#existing(trx, n);
        return { id: prior, created: false };
      }
      const { job, trace } = then(ins.id);
      if (job) await enqueueJob(trx, job);
      if (trace) await writeTrace(trx, ...trace);
      return { id: ins.id, created: true };
    });
  }

  async #existing(trx: Trx, n: NewSms): Promise<number> {
    let q = trx.selectFrom('sms_messages').select('id').where('portal_id', '=', n.portalId);
    if (n.bitrixMessageId) q = q.where('bitrix_message_id', '=', n.bitrixMessageId);
    else if (n.relayMessageId) q = q.where('relay_message_id', '=', n.relayMessageId);
    else throw new Error('an SMS without an idempotency key cannot conflict');
    return (await q.executeTakeFirstOrThrow()).id;
  }

  message(id: number, db: Executor = this.db): Promise<SmsMessageRow | undefined> {
    return db.selectFrom('sms_messages').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Sets what was learnt before the send (number, length); nothing once the row left 'queued'. */
  async prepared(
    id: number,
    v: { toE164: string; encoding: 'GSM-7' | 'UCS-2'; parts: number },
  ): Promise<void> {
    await this.db
      .updateTable('sms_messages')
      .set({ to_e164: v.toE164, encoding: v.encoding, parts: v.parts, updated_at: new Date() })
      .where('id', '=', id)
      .execute();
  }

  /**
   * SMSAPI took the SMS: its id and points. A report that came first (a delivered one) keeps its
   * status; only the id and price are filled in. Returns whether the row moved to 'accepted'.
   */
  async accepted(
    id: number,
    v: { smsapiId: string | null; points: number | null; parts: number | null },
    after: (trx: Trx, moved: boolean) => Promise<void>,
  ): Promise<boolean> {
    return this.transaction(async (trx) => {
      const r = await trx
        .updateTable('sms_messages')
        .set({
          status: sql<SmsStatus>`CASE WHEN status = 'queued' THEN 'accepted' ELSE status END`,
          smsapi_id: sql<string | null>`coalesce(smsapi_id, ${v.smsapiId})`,
          points: sql<number | null>`coalesce(points, ${v.points})`,
          parts: sql<number | null>`coalesce(${v.parts}, parts)`,
          accepted_at: sql<Date>`coalesce(accepted_at, now())`,
          updated_at: new Date(),
        })
        .where('id', '=', id)
        .where('status', 'in', ['queued', 'accepted', 'delivered', 'undelivered'])
        .returning(sql<boolean>`(status = 'accepted')`.as('moved'))
        .executeTakeFirst();
      const moved = !!r?.moved;
      await after(trx, moved);
      return moved;
    });
  }

  /** The SMS never left: refused by us or by SMSAPI. Only a queued row fails. */
  async failed(
    id: number,
    v: { code: string; detail: string },
    after: (trx: Trx) => Promise<void>,
  ): Promise<boolean> {
    return this.transaction(async (trx) => {
      const r = await trx
        .updateTable('sms_messages')
        .set({
          status: 'failed',
          error_code: v.code.slice(0, 100),
          error_detail: v.detail.slice(0, 500),
          done_at: new Date(),
          updated_at: new Date(),
        })
        .where('id', '=', id)
        .where('status', '=', 'queued')
        .executeTakeFirst();
      const moved = Number(r.numUpdatedRows) > 0;
      if (moved) await after(trx);
      return moved;
    });
  }

  /**
   * Applies one delivery report to the portal's row it names (our idx, and SMSAPI's id once known). The
   * status only moves forward: queued → accepted → delivered/undelivered; a final status is only
   * replaced by a later final report (its done date after ours). Returns the row when it moved.
   * Every SMS is sent with our idx, so a report without one names none of ours: SMSAPI's id alone is
   * no proof (it is shown in the trace and the log), and the URL's secret only names the portal.
   */
  async applyReport(
    trx: Trx,
    portalId: number,
    idx: string | null,
    c: ReportChange,
  ): Promise<{ id: number; status: SmsStatus; bitrixMessageId: string | null } | undefined> {
    if (!idx) return undefined;
    const rank = (col: string) =>
      sql`CASE ${sql.ref(col)} WHEN 'queued' THEN 0 WHEN 'accepted' THEN 1 ELSE 2 END`;
    const newRank = c.status === 'accepted' ? 1 : 2;
    const final = c.status !== 'accepted';
    const row = await trx
      .updateTable('sms_messages')
      .set({
        status: c.status,
        report_status: c.reportStatus,
        report_name: c.reportName.slice(0, 40),
        smsapi_id: sql<string>`coalesce(smsapi_id, ${c.smsapiId})`,
        points: sql<number | null>`coalesce(${c.points}, points)`,
        accepted_at: sql<Date>`coalesce(accepted_at, now())`,
        ...(final ? { done_at: c.doneAt ?? new Date() } : {}),
        updated_at: new Date(),
      })
      .where('portal_id', '=', portalId)
      // Reports are untrusted (reference §4.4): our idx, and SMSAPI's id once we know it, must match.
      .where('idx', '=', idx)
      .where((eb) => eb.or([eb('smsapi_id', 'is', null), eb('smsapi_id', '=', c.smsapiId)]))
      .where('status', '<>', 'failed')
      .where((eb) =>
        eb.or([
          eb(rank('status'), '<', newRank),
          ...(final
            ? [
                eb.and([
                  eb(rank('status'), '=', 2),
                  eb('status', '<>', c.status),
                  eb('done_at', '<', c.doneAt ?? new Date(0)),
                ]),
              ]
            : []),
        ]),
      )
      .returning(['id', 'status', 'bitrix_message_id'])
      .executeTakeFirst();
    return row ? { id: row.id, status: row.status, bitrixMessageId: row.bitrix_message_id } : undefined;
  }

  /** The portal's SMS log, newest first. */
  async list(portalId: number, page: number, size: number) {
    const [items, total] = await Promise.all([
      this.db
        .selectFrom('sms_messages')
        .select([
          'id',
          'to_e164',
          'to_raw',
          'status',
          'parts',
          'points',
          'error_code',
          'error_detail',
          'created_at',
          'done_at',
          'source',
        ])
        .where('portal_id', '=', portalId)
        .orderBy('id', 'desc')
        .limit(size)
        .offset((page - 1) * size)
        .execute(),
      this.db
        .selectFrom('sms_messages')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('portal_id', '=', portalId)
        .executeTakeFirstOrThrow(),
    ]);
    return { items, total: Number(total.n) };
  }

  /** The relay message a fallback starts from: its channel, number, template text and chat. */
  relayMessage(messageId: number) {
    return this.db
      .selectFrom('messages as m')
      .innerJoin('conversations as c', 'c.id', 'm.conversation_id')
      .select([
        'm.id',
        'm.portal_id',
        'm.channel_id',
        'm.content',
        'm.type',
        'm.template_id',
        'c.customer_phone',
        'c.bitrix_chat_id',
      ])
      .where('m.id', '=', messageId)
      .executeTakeFirst();
  }
}
