import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB, NotificationReportKind } from '../../shared/db/schema.js';

type Executor = Kysely<DB> | Transaction<DB>;
export type CrmEntity = 'deal' | 'lead';

/** A report some group receives: the only ones CRM changes are recorded for. */
export interface ActiveReport {
  id: number;
  kind: NotificationReportKind;
  category_id: number | null;
  stage_id: string | null;
  field: string | null;
  source_id: string | null;
  created_at: Date;
}

export interface Snapshot {
  category_id: number | null;
  stage_id: string | null;
  moved_at: Date | null;
  fields: Record<string, string>;
  modified_at: Date;
}

export interface NewEvent {
  portal_id: number;
  report_id: number;
  entity_type: CrmEntity;
  entity_id: number;
  company_id: number | null;
  title: string;
  dedupe_key: string;
  occurred_at: Date;
}

const KINDS: Record<CrmEntity, NotificationReportKind[]> = {
  deal: ['deal_stage', 'deal_field_changed'],
  lead: ['new_lead'],
};

/** The CRM events' tables: snapshots, the events they record, and each portal's reconciliation state. */
export class CrmEventsRepository {
  constructor(readonly db: Executor) {}

  transaction<T>(fn: (repo: CrmEventsRepository) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(new CrmEventsRepository(trx)));
  }

  /** The portal's reports (of one entity's kinds, when given) that at least one group has enabled. */
  activeReports(portalId: number, entity?: CrmEntity): Promise<ActiveReport[]> {
    let q = this.db
      .selectFrom('notification_reports as r')
      .select(['r.id', 'r.kind', 'r.category_id', 'r.stage_id', 'r.field', 'r.source_id', 'r.created_at'])
      .where('r.portal_id', '=', portalId)
      .where((eb) =>
        eb.exists(
          eb
            .selectFrom('notification_group_reports as gr')
            .innerJoin('notification_groups as g', 'g.id', 'gr.group_id')
            .select(sql`1`.as('one'))
            .whereRef('gr.report_id', '=', 'r.id')
            .where('gr.enabled', '=', true)
            .where('g.portal_id', '=', portalId),
        ),
      );
    if (entity) q = q.where('r.kind', 'in', KINDS[entity]);
    return q.orderBy('r.id').execute();
  }

  /** The deal's last state, locked until the transaction ends; undefined when never seen. */
  async lockSnapshot(portalId: number, entity: CrmEntity, id: number): Promise<Snapshot | undefined> {
    return this.db
      .selectFrom('notification_crm_snapshots')
      .select(['category_id', 'stage_id', 'moved_at', 'fields', 'modified_at'])
      .where('portal_id', '=', portalId)
      .where('entity_type', '=', entity)
      .where('entity_id', '=', id)
      .forUpdate()
      .executeTakeFirst();
  }

  /** Stores a first state; false when another transaction stored one first (lock it and compare). */
  async insertSnapshot(portalId: number, entity: CrmEntity, id: number, s: Snapshot): Promise<boolean> {
    const r = await this.db
      .insertInto('notification_crm_snapshots')
      .values({
        portal_id: portalId,
        entity_type: entity,
        entity_id: id,
        ...s,
        fields: JSON.stringify(s.fields),
      })
      .onConflict((oc) => oc.columns(['portal_id', 'entity_type', 'entity_id']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async updateSnapshot(portalId: number, entity: CrmEntity, id: number, s: Snapshot): Promise<void> {
    await this.db
      .updateTable('notification_crm_snapshots')
      .set({ ...s, fields: JSON.stringify(s.fields), updated_at: sql`now()` })
      .where('portal_id', '=', portalId)
      .where('entity_type', '=', entity)
      .where('entity_id', '=', id)
      .execute();
  }

  /** Records events; one already recorded for the report under the same key is kept as it was. */
  async insertEvents(events: NewEvent[]): Promise<number> {
    if (events.length === 0) return 0;
    const r = await this.db
      .insertInto('notification_events')
      .values(events)
      .onConflict((oc) => oc.columns(['report_id', 'dedupe_key']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0);
  }

  // ------------------------------------------------------------------ reconciliation state

  sync(portalId: number) {
    return this.db
      .selectFrom('notification_crm_sync')
      .select(['deals_after', 'leads_after', 'events_version'])
      .where('portal_id', '=', portalId)
      .executeTakeFirst();
  }

  /**
   * Keeps the cursors no earlier than the oldest enabled report (nothing older can be one of its
   * events): set there on the first run, moved up when the older reports are gone.
   */
  async raiseCursors(portalId: number, from: Date): Promise<void> {
    await this.db
      .insertInto('notification_crm_sync')
      .values({ portal_id: portalId, deals_after: from, leads_after: from })
      .onConflict((oc) =>
        oc.column('portal_id').doUpdateSet({
          deals_after: sql`greatest(notification_crm_sync.deals_after, excluded.deals_after)`,
          leads_after: sql`greatest(notification_crm_sync.leads_after, excluded.leads_after)`,
        }),
      )
      .execute();
  }

  /** Moves a cursor forward only (two runs racing never move it back). */
  async advance(portalId: number, entity: CrmEntity, to: Date): Promise<void> {
    const col = entity === 'deal' ? 'deals_after' : 'leads_after';
    await this.db
      .updateTable('notification_crm_sync')
      .set({
        [col]: sql`greatest(${sql.ref(col)}, ${to})`,
        reconciled_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('portal_id', '=', portalId)
      .execute();
  }

  async setEventsVersion(portalId: number, version: number): Promise<void> {
    await this.db
      .insertInto('notification_crm_sync')
      .values({ portal_id: portalId, events_version: version })
      .onConflict((oc) =>
        oc.column('portal_id').doUpdateSet({
          events_version: sql`greatest(notification_crm_sync.events_version, excluded.events_version)`,
          updated_at: sql`now()`,
        }),
      )
      .execute();
  }

  /** Installed portals with at least one report a group has enabled: the ones to reconcile. */
  async portalsToReconcile(): Promise<number[]> {
    const rows = await this.db
      .selectFrom('notification_group_reports as gr')
      .innerJoin('notification_groups as g', 'g.id', 'gr.group_id')
      .innerJoin('portals as p', 'p.id', 'g.portal_id')
      .select('p.id')
      .distinct()
      .where('gr.enabled', '=', true)
      .where('p.status', '=', 'installed')
      .orderBy('p.id')
      .execute();
    return rows.map((r) => r.id);
  }

  /** Installed portals whose event bindings are older than `version`. */
  async portalsToRebind(version: number): Promise<number[]> {
    const rows = await this.db
      .selectFrom('portals as p')
      .leftJoin('notification_crm_sync as s', 's.portal_id', 'p.id')
      .select('p.id')
      .where('p.status', '=', 'installed')
      .where(sql<boolean>`coalesce(s.events_version, 0) < ${version}`)
      .orderBy('p.id')
      .execute();
    return rows.map((r) => r.id);
  }
}
