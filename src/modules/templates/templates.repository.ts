import { sql, type Transaction } from 'kysely';
import type { DB, TemplateRow, TemplateStatus } from '../../shared/db/schema.js';
import { contentColumns, type Executor, type TemplateContentPatch } from './template-columns.js';
import type { TemplateCategory, TemplateType } from './template-model.js';
import { TemplateStatusRepository } from './template-status.repository.js';

export type { Executor, StatusChange, TemplateContentPatch } from './template-columns.js';

/** A unique index refused the write: the channel has this element name in this language already. */
export const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === '23505';

export interface NewTemplate extends TemplateContentPatch {
  portalId: number;
  channelId: string;
  elementName: string;
  displayName: string;
  language: string;
  category: TemplateCategory;
  type: TemplateType;
  sampleMediaId: string | null;
  source: 'app' | 'console';
  createdBy: number | null;
  gupshupId?: string;
  status?: TemplateStatus;
  statusReason?: string | null;
}

export interface TemplatesFilter {
  /** Only these channels; undefined: every channel of the portal. */
  channelIds?: readonly string[] | undefined;
  category?: string | undefined;
  status?: string | undefined;
  language?: string | undefined;
  active?: boolean | undefined;
  /** Part of the element or display name, any case. */
  q?: string | undefined;
}

/**
 * The `templates` and `template_lines` tables (migrations 0009, 0011). `deleted_at` is set when a
 * deletion is asked for; the status becomes 'deleted' when Gupshup has deleted it. Rows are never
 * removed: sent messages keep pointing at their template.
 */
export class TemplatesRepository extends TemplateStatusRepository {
  inTransaction<T>(run: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(run);
  }

  async insert(exec: Executor, t: NewTemplate): Promise<TemplateRow> {
    return exec
      .insertInto('templates')
      .values({
        portal_id: t.portalId,
        channel_id: t.channelId,
        element_name: t.elementName,
        display_name: t.displayName,
        language: t.language,
        category: t.category,
        template_type: t.type,
        ...contentColumns(t),
        sample_media_id: t.sampleMediaId,
        source: t.source,
        created_by: t.createdBy,
        gupshup_id: t.gupshupId ?? null,
        status: t.status ?? 'draft',
        status_reason: t.statusReason ?? null,
        ...(t.status && t.status !== 'draft'
          ? { status_at: sql<Date>`now()`, synced_at: sql<Date>`now()` }
          : {}),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** A template of the portal (deleted ones too). */
  find(portalId: number, id: string): Promise<TemplateRow | undefined> {
    return this.db
      .selectFrom('templates')
      .selectAll()
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** A template by id alone, for the jobs. */
  byId(id: string): Promise<TemplateRow | undefined> {
    return this.db.selectFrom('templates').selectAll().where('id', '=', id).executeTakeFirst();
  }

  list(portalId: number, f: TemplatesFilter): Promise<TemplateRow[]> {
    let q = this.db.selectFrom('templates').selectAll().where('portal_id', '=', portalId);
    if (f.channelIds) {
      if (f.channelIds.length === 0) return Promise.resolve([]);
      q = q.where('channel_id', 'in', f.channelIds);
    }
    if (f.category) q = q.where('category', '=', f.category as TemplateCategory);
    if (f.status) q = q.where('status', '=', f.status as TemplateStatus);
    if (f.language) q = q.where('language', '=', f.language);
    if (f.active !== undefined) q = q.where('active', '=', f.active);
    if (f.q) {
      const like = `%${f.q.replace(/[\\%_]/g, '\\$&')}%`;
      q = q.where((eb) => eb.or([eb('element_name', 'ilike', like), eb('display_name', 'ilike', like)]));
    }
    return q.orderBy('created_at', 'desc').orderBy('id').limit(1000).execute();
  }

  /** What a chat on `lineId` of `channelId` may offer: approved, switched on, assigned to the line. */
  offered(portalId: number, channelId: string, lineId: number): Promise<TemplateRow[]> {
    return this.db
      .selectFrom('templates')
      .innerJoin('template_lines', 'template_lines.template_id', 'templates.id')
      .selectAll('templates')
      .where('templates.portal_id', '=', portalId)
      .where('templates.channel_id', '=', channelId)
      .where('template_lines.line_id', '=', lineId)
      .where('templates.status', '=', 'approved')
      .where('templates.active', '=', true)
      .where('templates.deleted_at', 'is', null)
      .orderBy('templates.display_name')
      .execute();
  }

  /** The open lines of each template. */
  async linesOf(ids: readonly string[]): Promise<Map<string, number[]>> {
    const out = new Map<string, number[]>(ids.map((id) => [id, []]));
    if (ids.length === 0) return out;
    const rows = await this.db
      .selectFrom('template_lines')
      .select(['template_id', 'line_id'])
      .where('template_id', 'in', ids)
      .execute();
    for (const r of rows) out.get(r.template_id)?.push(r.line_id);
    return out;
  }

  /** Replaces a template's lines. */
  async setLines(exec: Executor, templateId: string, lineIds: readonly number[]): Promise<void> {
    await exec.deleteFrom('template_lines').where('template_id', '=', templateId).execute();
    if (lineIds.length) {
      await exec
        .insertInto('template_lines')
        .values(lineIds.map((line_id) => ({ template_id: templateId, line_id })))
        .execute();
    }
    await this.touch(exec, templateId);
  }

  async update(
    exec: Executor,
    id: string,
    patch: { display_name?: string; active?: boolean },
  ): Promise<TemplateRow | undefined> {
    return exec
      .updateTable('templates')
      .set({ ...patch, updated_at: sql`now()` })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
  }

  private async touch(exec: Executor, id: string): Promise<void> {
    await exec
      .updateTable('templates')
      .set({ updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** A channel of the portal that is not deleted. */
  channel(portalId: number, channelId: string) {
    return this.db
      .selectFrom('channels')
      .select(['id', 'portal_id', 'gupshup_app_id', 'line_id'])
      .where('portal_id', '=', portalId)
      .where('id', '=', channelId)
      .where('status', '<>', 'deleted')
      .executeTakeFirst();
  }

  /** Channels whose templates the periodic sync reads: an App ID and a key, on an installed portal. */
  async syncableChannels(): Promise<Array<{ id: string; portalId: number }>> {
    const rows = await this.db
      .selectFrom('channels')
      .innerJoin('portals', 'portals.id', 'channels.portal_id')
      .select(['channels.id', 'channels.portal_id'])
      .where('channels.status', '<>', 'deleted')
      .where('channels.gupshup_app_id', 'is not', null)
      .where('channels.api_key_enc', 'is not', null)
      .where('portals.status', '=', 'installed')
      .execute();
    return rows.map((r) => ({ id: r.id, portalId: r.portal_id }));
  }
}
