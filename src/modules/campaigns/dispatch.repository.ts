import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../shared/db/schema.js';
import { sendableOf, type CampaignRow } from './campaigns.repository.js';

/**
 * The dispatcher's statements (dispatch.ts): the campaign as one run sees it, the rows it takes in
 * order (FOR UPDATE SKIP LOCKED), what the channel has waiting, Gupshup's signals in the trace, the
 * tier's count, and the run's state written back. Every change of the campaign is for one run only
 * (`run_seq`): an outdated job changes nothing.
 */
type Trx = Transaction<DB>;

export type DispatchCampaign = CampaignRow & { portal_status: string };
export interface ClaimedRow {
  id: number;
  phone_e164: string | null;
  params: unknown;
  template_id: string | null;
}

/** Gupshup codes that stop a campaign (reference gupshup.md §7, §8): rate limited, template paused. */
export const STOP_CODES = ['4001', '4005', '132015'];
/** Of those, the template's own: they stop only the campaigns of the template paused. */
export const TEMPLATE_STOP_CODES = ['4005', '132015'];

export interface PaceSave {
  credit: number;
  at: Date;
  factor: number;
  changedAt: Date | null;
  cursor: number;
  reason: string | null;
}

export class DispatchRepository {
  constructor(readonly db: Kysely<DB>) {}

  forDispatch(id: number): Promise<DispatchCampaign | undefined> {
    return this.db
      .selectFrom('campaigns as c')
      .innerJoin('portals as p', 'p.id', 'c.portal_id')
      .selectAll('c')
      .select('p.status as portal_status')
      .where('c.id', '=', id)
      .executeTakeFirst();
  }

  /** scheduled → running at its start time (this run only). */
  async markRunning(id: number, runSeq: number): Promise<boolean> {
    const r = await this.db
      .updateTable('campaigns')
      .set({ status: 'running', started_at: sql`coalesce(started_at, now())`, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('run_seq', '=', runSeq)
      .where('status', '=', 'scheduled')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async stillRunning(id: number, runSeq: number): Promise<boolean> {
    const r = await this.db
      .selectFrom('campaigns')
      .select('id')
      .where('id', '=', id)
      .where('run_seq', '=', runSeq)
      .where('status', '=', 'running')
      .executeTakeFirst();
    return r !== undefined;
  }

  /** running → paused with the reason (Gupshup stopped it, the template was paused…). */
  async pause(
    id: number,
    runSeq: number,
    reason: string,
    cursor: number,
    from: Array<'running' | 'scheduled'> = ['running'],
  ): Promise<boolean> {
    const r = await this.db
      .updateTable('campaigns')
      .set({ status: 'paused', status_reason: reason, trace_cursor: cursor, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('run_seq', '=', runSeq)
      .where('status', 'in', from)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** running → finished once no row is left to hand out. */
  async finishIfDone(id: number, runSeq: number): Promise<boolean> {
    const r = await this.db
      .updateTable('campaigns')
      .set({ status: 'finished', status_reason: null, finished_at: sql`now()`, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('run_seq', '=', runSeq)
      .where('status', '=', 'running')
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('campaign_rows')
              .select('id')
              .where('campaign_id', '=', id)
              .where('status', '=', 'ready'),
          ),
        ),
      )
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  async savePace(id: number, runSeq: number, s: PaceSave): Promise<void> {
    await this.db
      .updateTable('campaigns')
      .set({
        pace_credit: s.credit,
        pace_at: s.at,
        pace_factor: s.factor,
        pace_changed_at: s.changedAt,
        trace_cursor: s.cursor,
        status_reason: s.reason,
      })
      .where('id', '=', id)
      .where('run_seq', '=', runSeq)
      .where('status', '=', 'running')
      .execute();
  }

  /**
   * What Gupshup said on the channel since `cursor` (the trace of the outbound sends and their
   * status events): a 429 on a send, a failed event that stops the campaign (4001 from any message of
   * the channel; a paused template only from a message of a template the campaign sends).
   */
  async signals(
    portalId: number,
    channelId: string,
    cursor: number,
    campaign: { id: number; templateId: string | null },
  ): Promise<{ cursor: number; throttled: boolean; stop: string | null }> {
    const r = await this.db
      .selectFrom('trace')
      .where('portal_id', '=', portalId)
      .where('id', '>', cursor)
      .select([
        // Rows of the last seconds are read again at the next look: a transaction that took its id
        // earlier may still commit, and its row must not fall behind the cursor.
        sql<number | null>`max(id) FILTER (WHERE created_at < now() - interval '2 seconds')`.as('last'),
        sql<boolean | null>`bool_or(channel_id = ${channelId} AND code = '429')`.as('throttled'),
        // A paused template stops its own campaigns, not those of the channel's other templates.
        sql<string | null>`min(code) FILTER (WHERE channel_id = ${channelId} AND code = ANY(${STOP_CODES})
          AND (code <> ALL(${TEMPLATE_STOP_CODES}) OR EXISTS (SELECT 1 FROM messages m
            WHERE m.id = trace.message_id AND (m.template_id = ${campaign.templateId}::uuid
              OR EXISTS (SELECT 1 FROM campaign_rows x
                WHERE x.campaign_id = ${campaign.id} AND x.template_id = m.template_id)))))`.as('stop'),
      ])
      .executeTakeFirstOrThrow();
    return { cursor: Number(r.last ?? cursor), throttled: r.throttled === true, stop: r.stop };
  }

  /**
   * The channel's outbound messages waiting to be sent: other messages (chats, API, notifications;
   * not those held for lack of message units), and campaign messages (any campaign of the channel,
   * and how many of them are held).
   */
  async waiting(channelId: string): Promise<{ chats: number; campaign: number; held: number }> {
    const r = await this.db
      .selectFrom('jobs as j')
      .innerJoin('messages as m', (join) => join.on(sql<boolean>`m.id = (j.payload->>'messageId')::bigint`))
      .where('j.topic', '=', 'outbound.send')
      .where('j.status', 'in', ['pending', 'running'])
      .where(sql<string>`j.payload->>'channelId'`, '=', channelId)
      .select([
        sql<number>`count(*) FILTER (WHERE coalesce(m.client_key, '') NOT LIKE 'camp:%' AND m.held_at IS NULL)`.as(
          'chats',
        ),
        sql<number>`count(*) FILTER (WHERE m.client_key LIKE 'camp:%')`.as('campaign'),
        sql<number>`count(*) FILTER (WHERE m.client_key LIKE 'camp:%' AND m.held_at IS NOT NULL)`.as('held'),
      ])
      .executeTakeFirstOrThrow();
    return { chats: Number(r.chats), campaign: Number(r.campaign), held: Number(r.held) };
  }

  /** Distinct recipients the channel's campaigns reached in the rolling 24 hours (the tier's count). */
  async recipients24h(channelId: string): Promise<number> {
    const r = await this.db
      .selectFrom('campaign_rows as r')
      .innerJoin('campaigns as c', 'c.id', 'r.campaign_id')
      .where('c.channel_id', '=', channelId)
      .where('r.queued_at', '>', sql<Date>`now() - interval '24 hours'`)
      .select(sql<number>`count(DISTINCT r.phone_e164)`.as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /**
   * A replied row for `campaigns.reply`: its campaign's agents, the conversation's chat, whether the
   * conversation's own assignment (chat.assign) is still to run, and the row's turn among the
   * campaign's replies (for the round-robin).
   */
  async replyTarget(rowId: number, conversationId: number) {
    return this.db
      .selectFrom('campaign_rows as r')
      .innerJoin('campaigns as c', 'c.id', 'r.campaign_id')
      .innerJoin('portals as p', 'p.id', 'c.portal_id')
      .innerJoin('conversations as v', (j) => j.on('v.id', '=', conversationId))
      .where('r.id', '=', rowId)
      .select([
        'c.id as campaign_id',
        'c.portal_id',
        'c.channel_id',
        'c.reply_user_ids',
        'c.reply_line_id',
        sql<number | null>`(SELECT h.line_id FROM channels h WHERE h.id = c.channel_id)`.as(
          'channel_line_id',
        ),
        'p.status as portal_status',
        'v.bitrix_chat_id',
        sql<boolean>`EXISTS (SELECT 1 FROM jobs j WHERE j.dedupe_key = 'assign:' || ${conversationId}
          AND j.status IN ('pending', 'running'))`.as('assigning'),
        sql<number>`(SELECT count(*) FROM campaign_rows x WHERE x.campaign_id = r.campaign_id
          AND x.replied_at IS NOT NULL AND (x.replied_at, x.id) < (r.replied_at, r.id))`.as('turn'),
      ])
      .executeTakeFirst();
  }

  sendable(portalId: number, channelId: string, templateId: string | null) {
    return sendableOf(this.db, portalId, channelId, templateId);
  }

  transaction<T>(fn: (trx: Trx) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /** The next rows to hand out, in list order; rows another run holds are skipped. */
  claim(trx: Trx, campaignId: number, n: number): Promise<ClaimedRow[]> {
    return trx
      .selectFrom('campaign_rows')
      .select(['id', 'phone_e164', 'params', 'template_id'])
      .where('campaign_id', '=', campaignId)
      .where('status', '=', 'ready')
      .orderBy('id')
      .limit(n)
      .forUpdate()
      .skipLocked()
      .execute();
  }

  async optedOut(trx: Trx, portalId: number, phones: string[]): Promise<Set<string>> {
    if (!phones.length) return new Set();
    const rows = await trx
      .selectFrom('opt_outs')
      .select('phone_e164')
      .where('portal_id', '=', portalId)
      .where('phone_e164', 'in', phones)
      .execute();
    return new Set(rows.map((r) => r.phone_e164));
  }

  /** The messages an earlier run stored for these keys (and died before recording them on the rows). */
  async messagesByKey(portalId: number, keys: string[]): Promise<Map<string, number>> {
    if (!keys.length) return new Map();
    const rows = await this.db
      .selectFrom('messages')
      .select(['id', 'client_key'])
      .where('portal_id', '=', portalId)
      .where('client_key', 'in', keys)
      .execute();
    return new Map(rows.map((r) => [r.client_key ?? '', r.id]));
  }

  async queued(trx: Trx, rowId: number, key: string, messageId: number): Promise<void> {
    await trx
      .updateTable('campaign_rows')
      .set({
        status: 'queued',
        client_key: key,
        message_id: messageId,
        queued_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('id', '=', rowId)
      .where('status', '=', 'ready')
      .execute();
  }

  async failed(trx: Trx, rowId: number, code: string, detail: string): Promise<void> {
    await trx
      .updateTable('campaign_rows')
      .set({
        status: 'failed',
        error_code: code.slice(0, 100),
        error_detail: detail.slice(0, 500),
        updated_at: sql`now()`,
      })
      .where('id', '=', rowId)
      .where('status', '=', 'ready')
      .execute();
  }
}
