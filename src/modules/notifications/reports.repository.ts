import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, NotificationParam, NotificationReportKind } from '../../shared/db/schema.js';

type Executor = Kysely<DB> | Transaction<DB>;

const REPORT_COLUMNS = [
  'id',
  'name',
  'kind',
  'category_id',
  'stage_id',
  'field',
  'source_id',
  'template_id',
  'params',
] as const;

export interface ReportValues {
  name: string;
  kind: NotificationReportKind;
  category_id: number | null;
  stage_id: string | null;
  field: string | null;
  source_id: string | null;
  template_id: string | null;
  params: NotificationParam[];
}

export interface GroupReportValues {
  enabled: boolean;
  preset: 'working' | 'extended' | 'full_time' | 'custom';
  days: number[];
  from_minute: number;
  to_minute: number;
  holidays: 'skip' | 'allow';
}

/** The reports of the scheduled notifications and which groups receive them, when. */
export class ReportsRepository {
  constructor(readonly db: Executor) {}

  reports(portalId: number) {
    return this.db
      .selectFrom('notification_reports')
      .select(REPORT_COLUMNS)
      .where('portal_id', '=', portalId)
      .orderBy('id')
      .execute();
  }

  report(portalId: number, id: number) {
    return this.db
      .selectFrom('notification_reports')
      .select(REPORT_COLUMNS)
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** null when the name is taken in the portal. */
  async create(portalId: number, v: ReportValues) {
    const r = await sql<{ id: number }>`INSERT INTO notification_reports
        (portal_id, name, kind, category_id, stage_id, field, source_id, template_id, params)
      VALUES (${portalId}, ${v.name}, ${v.kind}, ${v.category_id}, ${v.stage_id}, ${v.field}, ${v.source_id},
              ${v.template_id}, ${JSON.stringify(v.params)})
      ON CONFLICT DO NOTHING RETURNING id`.execute(this.db);
    return r.rows[0]?.id ?? null;
  }

  /** undefined when no such report; null when the name is taken by another report. */
  async replace(portalId: number, id: number, v: ReportValues) {
    const taken = await this.db
      .selectFrom('notification_reports')
      .select('id')
      .where('portal_id', '=', portalId)
      .where('id', '<>', id)
      .where(sql`lower(name)`, '=', v.name.toLowerCase())
      .executeTakeFirst();
    if (taken) return null;
    return this.db
      .updateTable('notification_reports')
      .set({ ...v, params: JSON.stringify(v.params), updated_at: sql`now()` })
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .returning('id')
      .executeTakeFirst();
  }

  async delete(portalId: number, id: number) {
    const r = await this.db
      .deleteFrom('notification_reports')
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Every report of the portal with this group's setting for it (not enabled when it has none). */
  groupReports(portalId: number, groupId: number) {
    return this.db
      .selectFrom('notification_reports as r')
      .leftJoin('notification_group_reports as gr', (j) =>
        j.onRef('gr.report_id', '=', 'r.id').on('gr.group_id', '=', groupId),
      )
      .select(['r.id', 'r.name', 'r.kind', 'r.template_id'])
      .select(['gr.enabled', 'gr.preset', 'gr.days', 'gr.from_minute', 'gr.to_minute', 'gr.holidays'])
      .where('r.portal_id', '=', portalId)
      .orderBy('r.id')
      .execute();
  }

  async setGroupReport(groupId: number, reportId: number, v: GroupReportValues) {
    await this.db
      .insertInto('notification_group_reports')
      .values({ group_id: groupId, report_id: reportId, ...v })
      .onConflict((oc) => oc.columns(['group_id', 'report_id']).doUpdateSet(v))
      .execute();
  }
}
