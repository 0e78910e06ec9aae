import { sql, type Insertable, type Kysely, type Selectable, type Transaction } from 'kysely';
import { enqueueJob } from '../../jobs/jobs.repository.js';
import type { CampaignsTable } from '../../shared/db/campaigns-schema.js';
import type { DB } from '../../shared/db/schema.js';
import type { CampaignCounts, CampaignStatus } from './campaign-model.js';

/**
 * Campaigns' statements (the API side): the campaign, its state changes (each with the dispatch job
 * it needs, in one transaction), the counts of its rows. The dispatcher's own statements are in
 * dispatch.repository.ts, the report's in report.repository.ts.
 */
export type CampaignRow = Selectable<CampaignsTable>;
export type CampaignPatch = Partial<{
  name: string;
  channel_id: string;
  template_id: string | null;
  reply_line_id: number | null;
  reply_user_ids: number[];
  window_days: number[];
  window_from: number;
  window_to: number;
  time_zone: string;
  start_at: Date | null;
  rate_per_minute: number;
}>;

export const EMPTY_COUNTS: CampaignCounts = {
  total: 0,
  ready: 0,
  queued: 0,
  sent: 0,
  delivered: 0,
  read: 0,
  replied: 0,
  failed: 0,
  cancelled: 0,
  rejected: 0,
};

export const DISPATCH_TOPIC = 'campaigns.dispatch';
/** Message statuses at or past "Gupshup took it" (the funnel's steps are cumulative). */
export const SENT_STATUSES = ['submitted', 'enqueued', 'sent', 'delivered', 'read'];
export const FAILED_STATUSES = ['failed', 'dead', 'skipped'];

export interface Transition {
  from: readonly CampaignStatus[];
  to: CampaignStatus;
  reason?: string | null;
  /** A new run (start, resume): a new dispatch chain, from `runAt`, with a fresh pace. */
  run?: { runAt: Date };
  /** Only while the list is ready (a start: a CRM list may have begun loading since the checks). */
  listReady?: boolean;
}

type Trx = Transaction<DB>;

export class CampaignsRepository {
  constructor(readonly db: Kysely<DB>) {}

  create(v: Insertable<CampaignsTable>): Promise<CampaignRow> {
    return this.db.insertInto('campaigns').values(v).returningAll().executeTakeFirstOrThrow();
  }

  get(portalId: number, id: number): Promise<CampaignRow | undefined> {
    return this.db
      .selectFrom('campaigns')
      .selectAll()
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async list(
    portalId: number,
    o: { status?: CampaignStatus | undefined; channels: 'all' | string[]; limit: number; offset: number },
  ): Promise<{ rows: CampaignRow[]; total: number }> {
    if (o.channels !== 'all' && o.channels.length === 0) return { rows: [], total: 0 };
    let q = this.db.selectFrom('campaigns').where('portal_id', '=', portalId);
    if (o.status) q = q.where('status', '=', o.status);
    if (o.channels !== 'all') q = q.where('channel_id', 'in', o.channels);
    const [rows, total] = await Promise.all([
      q.selectAll().orderBy('id', 'desc').limit(o.limit).offset(o.offset).execute(),
      q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    ]);
    return { rows, total: Number(total.n) };
  }

  /** Changes a draft; undefined when it is no longer a draft (or does not exist). */
  update(portalId: number, id: number, patch: CampaignPatch): Promise<CampaignRow | undefined> {
    return this.db
      .updateTable('campaigns')
      .set({ ...patch, updated_at: sql`now()` })
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .where('status', '=', 'draft')
      .returningAll()
      .executeTakeFirst();
  }

  async delete(portalId: number, id: number, statuses: readonly CampaignStatus[]): Promise<boolean> {
    const r = await this.db
      .deleteFrom('campaigns')
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .where('status', 'in', statuses)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /**
   * One state change, only from the given states (else undefined: someone else moved it first). A new
   * run gets its dispatch job in the same transaction; a cancel turns the rows not handed yet into
   * 'cancelled' with it.
   */
  transition(portalId: number, id: number, t: Transition): Promise<CampaignRow | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .updateTable('campaigns')
        .set({
          status: t.to,
          status_reason: t.reason ?? null,
          updated_at: sql`now()`,
          ...(t.to === 'running' ? { started_at: sql`coalesce(started_at, now())` } : {}),
          ...(t.to === 'finished' || t.to === 'cancelled' ? { finished_at: sql`now()` } : {}),
          ...(t.run
            ? {
                run_seq: sql`run_seq + 1`,
                pace_credit: 0,
                pace_at: null,
                // Gupshup's signals before this run are not this run's.
                trace_cursor: sql`(SELECT coalesce(max(id), 0) FROM trace WHERE portal_id = ${portalId})`,
              }
            : {}),
        })
        .where('portal_id', '=', portalId)
        .where('id', '=', id)
        .where('status', 'in', t.from)
        .$if(t.listReady === true, (q) => q.where('list_status', '=', 'ready'))
        .returningAll()
        .executeTakeFirst();
      if (!row) return undefined;
      if (t.run) await enqueueDispatch(trx, row, t.run.runAt);
      if (t.to === 'cancelled') await cancelReadyRows(trx, id);
      return row;
    });
  }

  /** The rows of each campaign by state, and its messages' progress. */
  async counts(ids: number[]): Promise<Map<number, CampaignCounts>> {
    const out = new Map<number, CampaignCounts>();
    if (!ids.length) return out;
    const rows = await this.db
      .selectFrom('campaign_rows as r')
      .leftJoin('messages as m', 'm.id', 'r.message_id')
      .where('r.campaign_id', 'in', ids)
      .groupBy('r.campaign_id')
      .select((eb) => [
        'r.campaign_id',
        sql<number>`count(*) FILTER (WHERE r.status <> 'rejected')`.as('total'),
        sql<number>`count(*) FILTER (WHERE r.status = 'ready')`.as('ready'),
        sql<number>`count(*) FILTER (WHERE r.status = 'queued')`.as('queued'),
        sql<number>`count(*) FILTER (WHERE m.status = ANY(${SENT_STATUSES}))`.as('sent'),
        sql<number>`count(*) FILTER (WHERE m.status IN ('delivered', 'read'))`.as('delivered'),
        sql<number>`count(*) FILTER (WHERE m.status = 'read')`.as('read'),
        sql<number>`count(*) FILTER (WHERE r.replied_at IS NOT NULL)`.as('replied'),
        sql<number>`count(*) FILTER (WHERE r.status = 'failed' OR m.status = ANY(${FAILED_STATUSES}))`.as(
          'failed',
        ),
        sql<number>`count(*) FILTER (WHERE r.status = 'cancelled')`.as('cancelled'),
        eb.fn.countAll<number>().as('all'),
      ])
      .execute();
    for (const r of rows) {
      const all = Number(r.all);
      const total = Number(r.total);
      out.set(r.campaign_id, {
        total,
        ready: Number(r.ready),
        queued: Number(r.queued),
        sent: Number(r.sent),
        delivered: Number(r.delivered),
        read: Number(r.read),
        replied: Number(r.replied),
        failed: Number(r.failed),
        cancelled: Number(r.cancelled),
        rejected: all - total,
      });
    }
    return out;
  }

  sendable(portalId: number, channelId: string, templateId: string | null) {
    return sendableOf(this.db, portalId, channelId, templateId);
  }
}

export async function enqueueDispatch(
  trx: Trx | Kysely<DB>,
  c: Pick<CampaignRow, 'id' | 'portal_id' | 'run_seq'>,
  runAt: Date,
): Promise<void> {
  await enqueueJob(trx, {
    topic: DISPATCH_TOPIC,
    portalId: c.portal_id,
    payload: { campaignId: c.id, runSeq: c.run_seq },
    dedupeKey: `${DISPATCH_TOPIC}:${c.id}:${c.run_seq}`,
    runAt,
  });
}

async function cancelReadyRows(trx: Trx, campaignId: number): Promise<void> {
  await trx
    .updateTable('campaign_rows')
    .set({ status: 'cancelled', error_code: 'cancelled', updated_at: sql`now()` })
    .where('campaign_id', '=', campaignId)
    .where('status', '=', 'ready')
    .execute();
}

export const REPLY_TOPIC = 'campaigns.reply';

/**
 * The customer answered on these conversations (called by the inbound delivery in its transaction):
 * the campaign rows whose message went to them in the last 7 days get their first reply time (every
 * campaign that wrote that week counts the reply), and when the campaign whose message came last names
 * agents or another open line for its replies, a `campaigns.reply` job hands the chat to them — one
 * hand-over per answer: the customer answers the latest message, and two transfers would bounce the
 * chat between two campaigns' agents.
 */
export async function markCampaignReplies(
  trx: Trx,
  items: Array<{ conversationId: number; chatId: number | null }>,
): Promise<void> {
  const ids = [...new Set(items.map((it) => it.conversationId))];
  if (!ids.length) return;
  const { rows } = await sql<{
    row_id: number;
    portal_id: number;
    conversation_id: number;
    message_id: number;
    routed: boolean;
  }>`
    UPDATE campaign_rows r SET replied_at = now(), updated_at = now()
    FROM messages m, campaigns c
    WHERE m.conversation_id = ANY(${ids}::bigint[]) AND m.client_key LIKE 'camp:%'
      AND m.created_at > now() - interval '7 days'
      AND r.message_id = m.id AND r.replied_at IS NULL AND c.id = r.campaign_id
    RETURNING r.id AS row_id, c.portal_id, m.conversation_id, m.id AS message_id,
      cardinality(c.reply_user_ids) > 0 OR c.reply_line_id IS NOT NULL AS routed`.execute(trx);
  const latest = new Map<number, (typeof rows)[number]>();
  for (const r of rows) {
    const seen = latest.get(Number(r.conversation_id));
    if (!seen || Number(r.message_id) > Number(seen.message_id)) latest.set(Number(r.conversation_id), r);
  }
  for (const r of latest.values()) {
    if (!r.routed) continue;
    const chatId = items.find((it) => it.conversationId === r.conversation_id)?.chatId ?? null;
    await enqueueJob(trx, {
      topic: REPLY_TOPIC,
      portalId: r.portal_id,
      payload: { rowId: r.row_id, conversationId: r.conversation_id, chatId },
      dedupeKey: `${REPLY_TOPIC}:${r.row_id}`,
    });
  }
}

/** What a start, a resume or a dispatcher run needs to know about the channel and the template. */
export async function sendableOf(
  db: Kysely<DB>,
  portalId: number,
  channelId: string,
  templateId: string | null,
) {
  const [channel, template] = await Promise.all([
    db
      .selectFrom('channels')
      .select(['id', 'status', 'line_id'])
      .where('portal_id', '=', portalId)
      .where('id', '=', channelId)
      .where('deleted_at', 'is', null)
      .executeTakeFirst(),
    templateId
      ? db
          .selectFrom('templates')
          .select(['id', 'channel_id', 'status', 'active', 'gupshup_id', 'display_name'])
          .where('portal_id', '=', portalId)
          .where('id', '=', templateId)
          .executeTakeFirst()
      : undefined,
  ]);
  return { channel, template };
}
