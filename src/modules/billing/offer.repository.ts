import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../shared/db/schema.js';

type Executor = Kysely<DB> | Transaction<DB>;

const PACK_COLUMNS = [
  'id',
  'name',
  'messages',
  'price_minor',
  'currency',
  'validity_days',
  'active',
  'created_at',
  'updated_at',
] as const;

export interface PackValues {
  name: string;
  messages: number;
  price_minor: number;
  currency: string;
  validity_days: number;
  active: boolean;
}

/** What the vendor sells: message packs and the per-channel subscription prices. */
export class OfferRepository {
  constructor(readonly db: Executor) {}

  packs(activeOnly: boolean) {
    return this.db
      .selectFrom('billing_packs')
      .select(PACK_COLUMNS)
      .$if(activeOnly, (q) => q.where('active', '=', true))
      .orderBy('currency')
      .orderBy('messages')
      .orderBy('id')
      .execute();
  }

  pack(id: number) {
    return this.db.selectFrom('billing_packs').select(PACK_COLUMNS).where('id', '=', id).executeTakeFirst();
  }

  createPack(v: PackValues) {
    return this.db.insertInto('billing_packs').values(v).returning(PACK_COLUMNS).executeTakeFirstOrThrow();
  }

  updatePack(id: number, v: Partial<PackValues>) {
    return this.db
      .updateTable('billing_packs')
      .set({ ...v, updated_at: sql`now()` })
      .where('id', '=', id)
      .returning(PACK_COLUMNS)
      .executeTakeFirst();
  }

  subscriptionPrices() {
    return this.db
      .selectFrom('billing_subscription_prices')
      .select(['currency', 'months', 'price_minor', 'updated_at'])
      .orderBy('currency')
      .orderBy('months')
      .execute();
  }

  /** Replaces the whole price list at once (all or nothing). */
  async replaceSubscriptionPrices(
    rows: Array<{ currency: string; months: 1 | 3 | 6 | 12; price_minor: number }>,
  ) {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('billing_subscription_prices').execute();
      await trx.insertInto('billing_subscription_prices').values(rows).execute();
    });
  }

  /** A pending order (the checkout work fills in the provider's ids and moves its status). */
  createOrder(o: {
    portal_id: number;
    kind: 'pack' | 'subscription';
    pack_id?: number | null;
    units?: number | null;
    validity_days?: number | null;
    channel_id?: string | null;
    months?: number | null;
    amount_minor: number;
    currency: string;
    provider: 'stripe' | 'paypal' | 'operator';
    created_by?: number | null;
  }) {
    return this.db
      .insertInto('billing_orders')
      .values(o)
      .returning(['id', 'status', 'created_at'])
      .executeTakeFirstOrThrow();
  }
}
