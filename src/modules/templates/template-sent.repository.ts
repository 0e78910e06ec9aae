import type { Kysely } from 'kysely';
import type { DB } from '../../shared/db/schema.js';

/** The one read the picker makes after a send: where the template message it sent stands. */
export class TemplateSentRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** A template message of the portal, with who sent it; undefined for any other message. */
  find(portalId: number, id: number) {
    return this.db
      .selectFrom('messages')
      .select(['id', 'status', 'error_code', 'error_detail', 'sent_by', 'sent_at', 'failed_at'])
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .where('direction', '=', 'out')
      .where('template_id', 'is not', null)
      .executeTakeFirst();
  }
}
