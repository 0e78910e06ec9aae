import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../shared/db/schema.js';
import type { OptOutSource } from './campaign-model.js';

type Executor = Kysely<DB> | Transaction<DB>;

export interface OptOutRow {
  phone_e164: string;
  source: OptOutSource;
  channel_id: string | null;
  created_by: number | null;
  created_at: Date;
}

export interface NewOptOut {
  portalId: number;
  phone: string;
  source: OptOutSource;
  channelId: string | null;
  createdBy: number | null;
}

/** Customers who asked not to get campaigns, per portal (0022 `opt_outs`). */
export class OptOutsRepository {
  constructor(readonly db: Executor) {}

  /** Newest first; `search` matches digits anywhere in the number. */
  async list(portalId: number, search: string, limit: number, offset: number) {
    let q = this.db.selectFrom('opt_outs').where('portal_id', '=', portalId);
    const digits = search.replace(/\D/g, '');
    if (digits) q = q.where('phone_e164', 'like', `%${digits}%`);
    const [items, total] = await Promise.all([
      q
        .select(['phone_e164', 'source', 'channel_id', 'created_by', 'created_at'])
        .orderBy('created_at', 'desc')
        .orderBy('phone_e164')
        .limit(limit)
        .offset(offset)
        .execute(),
      q.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow(),
    ]);
    return { items: items as OptOutRow[], total: total.n };
  }

  /** Records opt-outs; a number already there keeps its first record. Returns how many were new. */
  async add(rows: NewOptOut[]): Promise<number> {
    if (rows.length === 0) return 0;
    const res = await this.db
      .insertInto('opt_outs')
      .values(
        rows.map((r) => ({
          portal_id: r.portalId,
          phone_e164: r.phone,
          source: r.source,
          channel_id: r.channelId,
          created_by: r.createdBy,
        })),
      )
      .onConflict((oc) => oc.columns(['portal_id', 'phone_e164']).doNothing())
      .executeTakeFirst();
    return Number(res.numInsertedOrUpdatedRows ?? 0);
  }

  async remove(portalId: number, phone: string): Promise<boolean> {
    const res = await this.db
      .deleteFrom('opt_outs')
      .where('portal_id', '=', portalId)
      .where('phone_e164', '=', phone)
      .executeTakeFirst();
    return Number(res.numDeletedRows) > 0;
  }

  /** Which of these numbers opted out (one statement per batch of a list). */
  async among(portalId: number, phones: string[]): Promise<Set<string>> {
    if (phones.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('opt_outs')
      .select('phone_e164')
      .where('portal_id', '=', portalId)
      .where('phone_e164', '=', sql<string>`any(${sql.val(phones)}::text[])`)
      .execute();
    return new Set(rows.map((r) => r.phone_e164));
  }

  /** The number of the portal's channel (that one when given, else its oldest): the default country. */
  async channelNumber(portalId: number, channelId?: string): Promise<string | undefined> {
    let q = this.db
      .selectFrom('channels')
      .select('source_number')
      .where('portal_id', '=', portalId)
      .where('deleted_at', 'is', null);
    if (channelId) q = q.where('id', '=', channelId);
    const row = await q.orderBy('created_at').limit(1).executeTakeFirst();
    return row?.source_number;
  }
}
