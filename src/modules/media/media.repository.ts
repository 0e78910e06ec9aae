import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../shared/db/schema.js';
import { failedColumns } from '../messaging/messages.repository.js';

export type Executor = Kysely<DB> | Transaction<DB>;

/** A message a media job works on. */
export type MediaMessage = NonNullable<Awaited<ReturnType<MediaRepository['findMessage']>>>;

/**
 * The `media` table (what each stored file is; the bytes are behind the storage port) and the few
 * changes media makes to a message: its content gets the stored file or the reason there is none.
 */
export class MediaRepository {
  /** `db` is also the executor for trace rows written outside a transaction. */
  constructor(readonly db: Kysely<DB>) {}

  inTransaction<T>(run: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(run);
  }

  findFile(id: string) {
    return this.db
      .selectFrom('media')
      .select(['id', 'name', 'mime', 'size'])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** The message, if it is one of `direction`. */
  findMessage(id: number, direction: 'in' | 'out') {
    return this.db
      .selectFrom('messages')
      .select(['id', 'portal_id', 'channel_id', 'type', 'status', 'content'])
      .where('id', '=', id)
      .where('direction', '=', direction)
      .executeTakeFirst();
  }

  /** Records why an inbound file could not be fetched, unless it was stored meanwhile. */
  markFetchFailed(messageId: number, mediaError: { code: string; detail: string }) {
    return this.db
      .updateTable('messages')
      .set({
        content: sql`content || ${JSON.stringify({ mediaError })}::jsonb`,
        updated_at: sql`now()`,
      })
      .where('id', '=', messageId)
      .where(sql<boolean>`NOT (content ? 'files')`)
      .returning(['portal_id', 'channel_id'])
      .executeTakeFirst();
  }

  /** The stored file's row (again, if a job runs twice) and the message's content `patch`. */
  async attachFile(
    exec: Executor,
    m: { id: number; portal_id: number },
    direction: 'in' | 'out',
    file: { mediaId: string; name: string; mime: string; size: number },
    patch: { content: Record<string, unknown>; type: string | null },
  ): Promise<void> {
    await exec
      .insertInto('media')
      .values({
        id: file.mediaId,
        portal_id: m.portal_id,
        message_id: m.id,
        direction,
        name: file.name,
        mime: file.mime,
        size: file.size,
      })
      .onConflict((oc) => oc.column('id').doUpdateSet({ name: file.name, mime: file.mime, size: file.size }))
      .execute();
    await exec
      .updateTable('messages')
      .set({
        content: sql`content || ${JSON.stringify(patch.content)}::jsonb`,
        updated_at: sql`now()`,
        ...(patch.type ? { type: patch.type } : {}),
      })
      .where('id', '=', m.id)
      .execute();
  }

  /** Fails an outbound message that is still queued; undefined when it is not. */
  failQueued(exec: Executor, messageId: number, code: string, detail: string) {
    return exec
      .updateTable('messages')
      .set(failedColumns(code, detail))
      .where('id', '=', messageId)
      .where('status', '=', 'queued')
      .returning(['portal_id', 'channel_id'])
      .executeTakeFirst();
  }

  /** A file uploaded by a caller (a template's header sample or a header to send), with no message. */
  async insertUpload(file: { id: string; portalId: number; name: string; mime: string; size: number }) {
    await this.db
      .insertInto('media')
      .values({
        id: file.id,
        portal_id: file.portalId,
        message_id: null,
        direction: 'out',
        name: file.name,
        mime: file.mime,
        size: file.size,
      })
      .execute();
  }

  /** A stored file of the portal. */
  fileOfPortal(portalId: number, id: string) {
    return this.db
      .selectFrom('media')
      .select(['id', 'name', 'mime', 'size'])
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /**
   * Ids of up to `limit` files older than `days`, oldest first. A template's header sample is kept
   * while its template is: it is the template's, not a message's.
   */
  async olderThan(days: number, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('media')
      .select('id')
      .where('created_at', '<', sql<Date>`now() - make_interval(days => ${days})`)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('templates')
              .select('templates.id')
              .whereRef('templates.sample_media_id', '=', 'media.id')
              .where('templates.status', '<>', 'deleted'),
          ),
        ),
      )
      .orderBy('created_at')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  async deleteFiles(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.db.deleteFrom('media').where('id', 'in', ids).execute();
  }

  async anyFile(): Promise<boolean> {
    return (await this.db.selectFrom('media').select('id').limit(1).executeTakeFirst()) !== undefined;
  }
}
