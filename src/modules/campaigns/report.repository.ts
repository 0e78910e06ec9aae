import { sql, type Kysely } from 'kysely';
import type { DB } from '../../shared/db/schema.js';
import { FAILED_STATUSES } from './campaigns.repository.js';

/** The report's statements: failures by code, the pace of the last minute, the rows for the export. */
export interface ExportRow {
  id: number;
  line_no: number;
  phone_e164: string | null;
  raw_phone: string;
  name: string;
  status: string;
  error_code: string | null;
  message_status: string | null;
  message_error: string | null;
  queued_at: Date | null;
  sent_at: Date | null;
  delivered_at: Date | null;
  read_at: Date | null;
  replied_at: Date | null;
}

export class ReportRepository {
  constructor(readonly db: Kysely<DB>) {}

  /** Failed rows and failed messages, by code (the row's own code first, else the message's). */
  async failures(campaignId: number): Promise<Array<{ code: string; count: number; detail: string | null }>> {
    const rows = await this.db
      .selectFrom('campaign_rows as r')
      .leftJoin('messages as m', 'm.id', 'r.message_id')
      .where('r.campaign_id', '=', campaignId)
      .where((eb) => eb.or([eb('r.status', '=', 'failed'), eb('m.status', 'in', FAILED_STATUSES)]))
      .select([
        sql<string>`coalesce(CASE WHEN r.status = 'failed' THEN r.error_code END, m.error_code, 'failed')`.as(
          'code',
        ),
        sql<number>`count(*)`.as('count'),
        // One row's detail: a send refusal keeps its values there (dispatch.ts).
        sql<string | null>`min(r.error_detail) FILTER (WHERE r.status = 'failed')`.as('detail'),
      ])
      .groupBy(sql`1`)
      .orderBy(sql`2`, 'desc')
      .execute();
    return rows.map((r) => ({ code: r.code, count: Number(r.count), detail: r.detail }));
  }

  /** Rows handed to the send service in the last minute. */
  async lastMinute(campaignId: number): Promise<number> {
    const r = await this.db
      .selectFrom('campaign_rows')
      .where('campaign_id', '=', campaignId)
      .where('queued_at', '>', sql<Date>`now() - interval '1 minute'`)
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /** One page of rows after `afterId`, in list order, with their message's progress. */
  exportPage(campaignId: number, afterId: number, limit: number): Promise<ExportRow[]> {
    return this.db
      .selectFrom('campaign_rows as r')
      .leftJoin('messages as m', 'm.id', 'r.message_id')
      .where('r.campaign_id', '=', campaignId)
      .where('r.id', '>', afterId)
      .orderBy('r.id')
      .limit(limit)
      .select([
        'r.id',
        'r.line_no',
        'r.phone_e164',
        'r.raw_phone',
        'r.name',
        'r.status',
        'r.error_code',
        'm.status as message_status',
        'm.error_code as message_error',
        'r.queued_at',
        'm.sent_at',
        'm.delivered_at',
        'm.read_at',
        'r.replied_at',
      ])
      .execute();
  }
}
