import { sql, type Kysely } from 'kysely';
import type { DB } from '../../shared/db/schema.js';

/**
 * A portal's billing settings (0013's `billing_settings`): the low-balance threshold and whether the
 * current crossing was warned about. The crossing itself is `billing_check_low_balance`, which the
 * balance row's trigger also runs on every change of `available`.
 */
export class SettingsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  async threshold(portalId: number): Promise<number | null> {
    const r = await this.db
      .selectFrom('billing_settings')
      .select('low_balance_threshold')
      .where('portal_id', '=', portalId)
      .executeTakeFirst();
    return r?.low_balance_threshold ?? null;
  }

  /**
   * Sets the threshold and re-arms the warning; a balance already below the new threshold queues the
   * warning at once (same transaction). Returns whether it did.
   */
  setThreshold(portalId: number, threshold: number | null, userId: number | null): Promise<boolean> {
    return this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('billing_settings')
        .values({
          portal_id: portalId,
          low_balance_threshold: threshold,
          low_balance_warned: false,
          updated_by_user_id: userId,
        })
        .onConflict((oc) =>
          oc.column('portal_id').doUpdateSet({
            low_balance_threshold: threshold,
            low_balance_warned: false,
            updated_by_user_id: sql`coalesce(${userId}::bigint, billing_settings.updated_by_user_id)`,
            updated_at: sql`now()`,
          }),
        )
        .execute();
      const r = await sql<{
        warned: boolean;
      }>`SELECT billing_check_low_balance(${portalId}::bigint) AS warned`.execute(trx);
      return r.rows[0]?.warned === true;
    });
  }

  /** Who hears about the portal's balance: the installing admin and whoever last set the threshold. */
  async recipients(portalId: number): Promise<{ lang: string | null; userIds: number[] } | undefined> {
    const r = await this.db
      .selectFrom('portals')
      .leftJoin('billing_settings', 'billing_settings.portal_id', 'portals.id')
      .select([
        'portals.lang',
        'portals.status',
        'portals.installed_by_user_id',
        'billing_settings.updated_by_user_id',
      ])
      .where('portals.id', '=', portalId)
      .executeTakeFirst();
    if (!r || r.status === 'uninstalled') return undefined;
    const ids = [r.installed_by_user_id, r.updated_by_user_id].filter(
      (x): x is number => x !== null && x > 0,
    );
    return { lang: r.lang, userIds: [...new Set(ids.map(Number))] };
  }
}
