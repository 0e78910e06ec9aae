import { sql, type Kysely } from 'kysely';
import type { DB, TemplateRow, TemplateStatus } from '../../shared/db/schema.js';
import type { TemplateCategory } from './template-model.js';
import {
  contentColumns,
  type Executor,
  type StatusChange,
  type TemplateContentPatch,
} from './template-columns.js';

/**
 * The status side of the `templates` table: what the submit, delete and sync jobs and Gupshup's
 * template events write (templates.repository.ts extends it with everything else).
 */
export class TemplateStatusRepository {
  constructor(readonly db: Kysely<DB>) {}

  /** Draft → submitting, in its own commit before Gupshup is called; false when it was not a draft. */
  async markSubmitting(id: string): Promise<boolean> {
    const r = await this.db
      .updateTable('templates')
      .set({ status: 'submitting', updated_at: sql`now()` })
      .where('id', '=', id)
      .where('status', '=', 'draft')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /**
   * Gupshup has the template: its id, and its status unless an event already moved it on (an
   * approval may arrive before the create's answer is recorded).
   */
  async recordSubmitted(exec: Executor, id: string, gupshupId: string, change: StatusChange) {
    return exec
      .updateTable('templates')
      .set({
        gupshup_id: gupshupId,
        status: sql<TemplateStatus>`CASE WHEN status IN ('draft', 'submitting') THEN ${change.status} ELSE status END`,
        status_reason: sql<
          string | null
        >`CASE WHEN status IN ('draft', 'submitting') THEN ${change.reason} ELSE status_reason END`,
        status_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .where((eb) => eb.or([eb('gupshup_id', 'is', null), eb('gupshup_id', '=', gupshupId)]))
      .returningAll()
      .executeTakeFirst();
  }

  /** A submission that did not reach review: 'failed' with why, unless it moved on meanwhile. */
  async recordFailed(exec: Executor, id: string, reason: string) {
    return exec
      .updateTable('templates')
      .set({
        status: 'failed',
        status_reason: reason.slice(0, 1000),
        status_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .where('status', 'in', ['draft', 'submitting'])
      .returningAll()
      .executeTakeFirst();
  }

  /** A new status for a template; returns the row when it changed. */
  async setStatus(exec: Executor, id: string, change: StatusChange): Promise<TemplateRow | undefined> {
    return exec
      .updateTable('templates')
      .set({
        status: change.status,
        status_reason: change.reason?.slice(0, 1000) ?? null,
        status_at: sql`now()`,
        updated_at: sql`now()`,
        synced_at: sql`now()`,
        ...(change.status === 'deleted'
          ? { active: false, deleted_at: sql<Date>`coalesce(deleted_at, now())` }
          : {}),
      })
      .where('id', '=', id)
      .where('status', '<>', 'deleted')
      .where((eb) =>
        eb.or([
          eb('status', '<>', change.status),
          eb('status_reason', 'is distinct from', change.reason?.slice(0, 1000) ?? null),
        ]),
      )
      .returningAll()
      .executeTakeFirst();
  }

  /** Templates of a channel a Gupshup event names: by Gupshup's id, else by element name and language. */
  async matching(
    exec: Executor,
    channelId: string,
    m: { gupshupId?: string | undefined; elementName?: string | undefined; language?: string | undefined },
  ): Promise<TemplateRow[]> {
    const base = exec
      .selectFrom('templates')
      .selectAll()
      .where('channel_id', '=', channelId)
      .where('status', '<>', 'deleted');
    if (m.gupshupId) {
      const byId = await base.where('gupshup_id', '=', m.gupshupId).execute();
      if (byId.length) return byId;
    }
    // Not recorded yet (the create's answer is still on its way): by name, only rows without an id.
    if (!m.elementName || !m.language) return [];
    return base
      .where('element_name', '=', m.elementName)
      .where('language', '=', m.language)
      .where('gupshup_id', 'is', null)
      .execute();
  }

  async setCategory(exec: Executor, id: string, category: TemplateCategory): Promise<void> {
    await exec
      .updateTable('templates')
      .set({ category, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** Every template of a channel that is not deleted (the sync's view of ours). */
  ofChannel(exec: Executor, channelId: string): Promise<TemplateRow[]> {
    return exec
      .selectFrom('templates')
      .selectAll()
      .where('channel_id', '=', channelId)
      .where('status', '<>', 'deleted')
      .execute();
  }

  /**
   * Adopts a Gupshup template onto our row of the same name and language: its id, status and (for a
   * row that never reached review) Gupshup's content, which is what WhatsApp will send.
   */
  async adopt(
    exec: Executor,
    id: string,
    gupshupId: string,
    change: StatusChange,
    content?: TemplateContentPatch,
  ) {
    return exec
      .updateTable('templates')
      .set({
        ...(content ? contentColumns(content) : {}),
        gupshup_id: gupshupId,
        status: change.status,
        status_reason: change.reason,
        status_at: sql`now()`,
        synced_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('id', '=', id)
      .where('gupshup_id', 'is', null)
      .returningAll()
      .executeTakeFirst();
  }

  async markSynced(exec: Executor, channelId: string): Promise<void> {
    await exec
      .updateTable('templates')
      .set({ synced_at: sql`now()` })
      .where('channel_id', '=', channelId)
      .where('status', '<>', 'deleted')
      .execute();
  }

  /** A deletion is asked for: not offered any more, deleted when Gupshup has done it. */
  async requestDelete(exec: Executor, id: string): Promise<TemplateRow | undefined> {
    return exec
      .updateTable('templates')
      .set({ deleted_at: sql`now()`, active: false, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('status', '<>', 'deleted')
      .returningAll()
      .executeTakeFirst();
  }

  /** Gupshup refused a deletion: the template stays (still switched off), with Gupshup's words. */
  async deleteRefused(exec: Executor, id: string, reason: string): Promise<void> {
    await exec
      .updateTable('templates')
      .set({ deleted_at: null, status_reason: reason.slice(0, 1000), updated_at: sql`now()` })
      .where('id', '=', id)
      .where('status', '<>', 'deleted')
      .execute();
  }

  /** Every language of an element name on a channel is deleted (Gupshup deletes them together). */
  async markElementDeleted(exec: Executor, channelId: string, elementName: string): Promise<TemplateRow[]> {
    return exec
      .updateTable('templates')
      .set({
        status: 'deleted',
        active: false,
        deleted_at: sql`coalesce(deleted_at, now())`,
        status_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('channel_id', '=', channelId)
      .where('element_name', '=', elementName)
      .where('status', '<>', 'deleted')
      .returningAll()
      .execute();
  }
}
