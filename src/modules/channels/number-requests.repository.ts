import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../shared/db/schema.js';

type Executor = Kysely<DB> | Transaction<DB>;

export interface NewNumberRequest {
  portalId: number;
  companyName: string;
  contactName: string;
  contactEmail: string | null;
  contactPhone: string | null;
  lineId: number | null;
  requestedByUserId: number | null;
}

/** The `number_requests` table: new numbers a portal asked for, until the operator confirms them. */
export class NumberRequestsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  insert(r: NewNumberRequest) {
    return this.db
      .insertInto('number_requests')
      .values({
        portal_id: r.portalId,
        company_name: r.companyName,
        contact_name: r.contactName,
        contact_email: r.contactEmail,
        contact_phone: r.contactPhone,
        line_id: r.lineId,
        requested_by_user_id: r.requestedByUserId,
      })
      .returning(['id', 'status', 'created_at'])
      .executeTakeFirstOrThrow();
  }

  /** The portal's pending requests, oldest first. */
  list(portalId: number) {
    return this.db
      .selectFrom('number_requests')
      .select([
        'id',
        'company_name',
        'contact_name',
        'contact_email',
        'line_id',
        'status',
        'created_at',
        'channel_id',
      ])
      .where('portal_id', '=', portalId)
      .where('status', '=', 'pending')
      .orderBy('id')
      .execute();
  }

  /** Pending requests of every portal, with the portal's domain. */
  pending() {
    return this.db
      .selectFrom('number_requests')
      .innerJoin('portals', 'portals.id', 'number_requests.portal_id')
      .select([
        'number_requests.id',
        'portals.domain',
        'number_requests.company_name',
        'number_requests.contact_name',
        'number_requests.contact_email',
        'number_requests.contact_phone',
        'number_requests.created_at',
      ])
      .where('number_requests.status', '=', 'pending')
      .orderBy('number_requests.id')
      .execute();
  }

  /** Pending → Cancelled; false when the portal has no pending request with this id. */
  async cancel(portalId: number, id: number): Promise<boolean> {
    const r = await this.db
      .updateTable('number_requests')
      .set({ status: 'cancelled' })
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  find(id: number) {
    return this.db
      .selectFrom('number_requests')
      .select(['id', 'portal_id', 'company_name', 'line_id', 'status'])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async markConfirmed(exec: Executor, id: number, channelId: string): Promise<void> {
    await exec
      .updateTable('number_requests')
      .set({ status: 'confirmed', channel_id: channelId, confirmed_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }
}
