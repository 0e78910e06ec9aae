import { sql, type Kysely } from 'kysely';
import type { DB } from '../../shared/db/schema.js';

/** The `api_tokens` table: bearer tokens stored as keyed digests, never as themselves. */
export class TokensRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async insert(t: {
    portalId: number;
    tokenMac: string;
    prefix: string;
    label: string | null;
    createdByUserId: number | null;
  }): Promise<number> {
    const row = await this.db
      .insertInto('api_tokens')
      .values({
        portal_id: t.portalId,
        token_mac: t.tokenMac,
        prefix: t.prefix,
        label: t.label,
        created_by_user_id: t.createdByUserId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return row.id;
  }

  /** The token with this digest and the status of its portal. */
  findByMac(tokenMac: string) {
    return this.db
      .selectFrom('api_tokens')
      .innerJoin('portals', 'portals.id', 'api_tokens.portal_id')
      .select(['api_tokens.id', 'api_tokens.portal_id', 'api_tokens.revoked_at', 'portals.status'])
      .where('api_tokens.token_mac', '=', tokenMac)
      .executeTakeFirst();
  }

  /** Records a use at most once a minute: a busy integration does not write on every call. */
  async touch(id: number): Promise<void> {
    await this.db
      .updateTable('api_tokens')
      .set({ last_used_at: sql`now()` })
      .where('id', '=', id)
      .where((eb) =>
        eb.or([
          eb('last_used_at', 'is', null),
          eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`),
        ]),
      )
      .execute();
  }

  list(portalId: number) {
    return this.db
      .selectFrom('api_tokens')
      .select(['id', 'prefix', 'label', 'created_at', 'last_used_at', 'revoked_at'])
      .where('portal_id', '=', portalId)
      .orderBy('id')
      .execute();
  }

  async revoke(portalId: number, id: number): Promise<boolean> {
    const r = await this.db
      .updateTable('api_tokens')
      .set({ revoked_at: sql`now()` })
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }
}
