import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { executePrepared } from '../../shared/db/database.js';
import type { DB, LedgerKind, ReservationState } from '../../shared/db/schema.js';
import { NotFoundError, ValidationError } from '../../shared/errors.js';

export type Executor = Kysely<DB> | Transaction<DB>;

/** What billing_credit answers (migrations/0010_billing.sql). */
export interface CreditRow {
  outcome: 'credited' | 'duplicate_order' | 'duplicate_event';
  lot_id: number | null;
  expires_at: Date | null;
  available: number;
  debt: number;
}

export interface ReserveRow {
  outcome: 'reserved' | 'exists' | 'insufficient';
  reservation_id: number | null;
  state: ReservationState | null;
  available: number;
}

export interface ResolveRow {
  outcome: 'settled' | 'released' | 'already_settled' | 'already_released';
  reservation_id: number;
  state: ReservationState;
}

export interface RefundRow {
  outcome: 'reversed' | 'nothing_to_reverse' | 'duplicate_event';
  reversed: number;
  from_pack: number;
  from_expired: number;
  from_other_packs: number;
  debt_added: number;
  reversed_total: number;
}

export interface ReconcileRow {
  portal_id: number;
  subject: string;
  subject_id: number | null;
  expected: number;
  actual: number;
}

export interface CreditInput {
  portalId: number;
  units: number;
  validityDays: number;
  orderId?: number | null;
  provider?: string | null;
  eventId?: string | null;
}

export interface RefundInput {
  orderId: number;
  /** Total units the order should have lost so far (cumulative); undefined = the whole pack. */
  units?: number | null;
  provider?: string | null;
  eventId?: string | null;
}

export interface LedgerFilter {
  limit: number;
  cursor?: number | undefined;
  kind?: LedgerKind | undefined;
}

/**
 * The ledger's SQL: calls of the billing_* functions (the only way the app changes the ledger; its
 * database role may not write those tables) and the reads behind the balance, the ledger page and the
 * consumption chart. The functions' SQLSTATEs become our errors here: 22023 → 400, P0002 → 404.
 */
export class BillingRepository {
  constructor(readonly db: Executor) {}

  /** Runs `fn` in one transaction, with a repository bound to it. */
  transaction<T>(fn: (tx: BillingRepository) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(new BillingRepository(trx)));
  }

  async credit(i: CreditInput): Promise<CreditRow> {
    const q = sql<CreditRow>`SELECT * FROM billing_credit(${i.portalId}::bigint, ${i.units}::integer,
      ${i.validityDays}::integer, ${i.orderId ?? null}::bigint, ${i.provider ?? null}::text,
      ${i.eventId ?? null}::text)`;
    return one(await this.#call(q));
  }

  async reserve(portalId: number, messageRef: string, units: number, channelId: string | null) {
    const q = sql<ReserveRow>`SELECT * FROM billing_reserve(${portalId}::bigint, ${messageRef}::text,
      ${units}::integer, ${channelId}::uuid)`;
    return one(await this.#call(q, 'billing_reserve'));
  }

  async settle(reservationId: number): Promise<ResolveRow> {
    const q = sql<ResolveRow>`SELECT * FROM billing_settle(${reservationId}::bigint)`;
    return one(await this.#call(q, 'billing_settle'));
  }

  async release(reservationId: number): Promise<ResolveRow> {
    const q = sql<ResolveRow>`SELECT * FROM billing_release(${reservationId}::bigint)`;
    return one(await this.#call(q, 'billing_release'));
  }

  /** Lots past validity expire; one row per portal whose balance went down. */
  async expire(limit: number): Promise<Array<{ portal_id: number; units: number }>> {
    return this.#call(
      sql<{ portal_id: number; units: number }>`SELECT * FROM billing_expire(now(), ${limit}::integer)`,
    );
  }

  async refund(i: RefundInput): Promise<RefundRow> {
    const q = sql<RefundRow>`SELECT * FROM billing_refund(${i.orderId}::bigint, ${i.units ?? null}::integer,
      ${i.provider ?? null}::text, ${i.eventId ?? null}::text)`;
    return one(await this.#call(q));
  }

  /** 'new' the first time an event is seen, 'seen' if noted but not applied, 'applied' after. */
  async recordEvent(e: {
    provider: string;
    eventId: string;
    type?: string | null;
    portalId?: number | null;
  }) {
    const q = sql<{ state: 'new' | 'seen' | 'applied' }>`SELECT billing_record_event(${e.provider}::text,
      ${e.eventId}::text, ${e.type ?? null}::text, ${e.portalId ?? null}::bigint, NULL::bigint) AS state`;
    return one(await this.#call(q)).state;
  }

  /** Rows where the ledger disagrees with itself: none when all is well. */
  async reconcile(): Promise<ReconcileRow[]> {
    return this.#call(sql<ReconcileRow>`SELECT * FROM billing_reconcile() ORDER BY portal_id, subject`);
  }

  /**
   * Runs a ledger function. Outside a transaction it is a named prepared statement (planned once per
   * connection: reserve and settle are the hot path); its SQLSTATEs become our errors.
   */
  async #call<R>(q: RawBuilder<R>, prepared?: string): Promise<R[]> {
    try {
      if (prepared && !this.db.isTransaction) return await executePrepared(this.db, prepared, q);
      return (await q.execute(this.db)).rows;
    } catch (err) {
      throw ledgerError(err);
    }
  }

  reservation(portalId: number, messageRef: string) {
    return this.db
      .selectFrom('billing_reservations')
      .select(['id', 'state', 'units', 'channel_id', 'created_at', 'resolved_at'])
      .where('portal_id', '=', portalId)
      .where('message_ref', '=', messageRef)
      .executeTakeFirst();
  }

  /** Reservations still open that were made before `before`, oldest first (settle-on-timeout). */
  openReservations(before: Date, limit: number) {
    return this.db
      .selectFrom('billing_reservations')
      .select(['id', 'portal_id', 'message_ref', 'channel_id', 'units', 'created_at'])
      .where('state', '=', 'reserved')
      .where('created_at', '<', before)
      .orderBy('created_at')
      .limit(limit)
      .execute();
  }

  /** Whether the portal ever had a pack (or a trial) credited. */
  async everCredited(portalId: number): Promise<boolean> {
    const r = await this.db
      .selectFrom('billing_lots')
      .select('id')
      .where('portal_id', '=', portalId)
      .limit(1)
      .executeTakeFirst();
    return r !== undefined;
  }

  balance(portalId: number) {
    return this.db
      .selectFrom('billing_balances')
      .select(['available', 'reserved', 'debt', 'updated_at'])
      .where('portal_id', '=', portalId)
      .executeTakeFirst();
  }

  /** The portal's lots with units left, the one that expires first first. */
  openLots(portalId: number) {
    return this.db
      .selectFrom('billing_lots')
      .select(['id', 'units', 'remaining', 'expires_at', 'order_id', 'created_at'])
      .where('portal_id', '=', portalId)
      .where('remaining', '>', 0)
      .orderBy('expires_at')
      .orderBy('id')
      .execute();
  }

  /** When the next lot with units left expires (any portal), for the expiry job. */
  async nextExpiry(): Promise<Date | null> {
    const r = await this.db
      .selectFrom('billing_lots')
      .select((eb) => eb.fn.min('expires_at').as('at'))
      .where('remaining', '>', 0)
      .executeTakeFirst();
    return r?.at ?? null;
  }

  /** A portal's entries with their message and channel: what the ledger page and the export show. */
  #entries(portalId: number) {
    return this.db
      .selectFrom('billing_ledger as e')
      .leftJoin('billing_reservations as r', 'r.id', 'e.reservation_id')
      .leftJoin('channels as c', 'c.id', 'e.channel_id')
      .select([
        'e.id',
        'e.kind',
        'e.units',
        'e.delta_available',
        'e.delta_reserved',
        'e.delta_debt',
        'e.lot_id',
        'e.reservation_id',
        'r.message_ref',
        'e.order_id',
        'e.channel_id',
        'c.name as channel_name',
        'e.note',
        'e.created_at',
      ])
      .where('e.portal_id', '=', portalId);
  }

  /** Entries newest first; `cursor` = the last id of the previous page. One extra row tells "more". */
  ledgerPage(portalId: number, f: LedgerFilter) {
    return this.#entries(portalId)
      .$if(f.cursor !== undefined, (q) => q.where('e.id', '<', f.cursor ?? 0))
      .$if(f.kind !== undefined, (q) => q.where('e.kind', '=', f.kind as LedgerKind))
      .orderBy('e.id', 'desc')
      .limit(f.limit + 1)
      .execute();
  }

  /**
   * Units spent (settled) per day (UTC) and channel from `since` up to `until` (excluded), with the
   * channel's name (a deleted channel keeps its name; entries without a channel have none).
   */
  async consumption(portalId: number, since: Date, until?: Date) {
    const r = await sql<{
      day: string;
      channel_id: string | null;
      channel_name: string | null;
      units: number;
    }>`
      SELECT to_char(e.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, e.channel_id,
        min(c.name) AS channel_name, sum(e.units)::int8 AS units
      FROM billing_ledger e LEFT JOIN channels c ON c.id = e.channel_id
      WHERE e.portal_id = ${portalId} AND e.kind = 'settle' AND e.created_at >= ${since}
        AND (${until ?? null}::timestamptz IS NULL OR e.created_at < ${until ?? null}::timestamptz)
      GROUP BY 1, 2 ORDER BY 1, 2`.execute(this.db);
    return r.rows;
  }

  /**
   * A portal's entries made in [since, until), oldest first, after entry `afterId`: the CSV export
   * reads the range in pages of `limit`, so a long range is never held in memory at once.
   */
  ledgerRange(portalId: number, since: Date, until: Date, afterId: number, limit: number) {
    return this.#entries(portalId)
      .where('e.created_at', '>=', since)
      .where('e.created_at', '<', until)
      .where('e.id', '>', afterId)
      .orderBy('e.id')
      .limit(limit)
      .execute();
  }
}

function one<R>(rows: R[]): R {
  const r = rows[0];
  if (r === undefined) throw new Error('a ledger function returned no row');
  return r;
}

/** The SQLSTATEs the ledger functions raise for a caller's mistake, as our errors; others unchanged. */
export function ledgerError(err: unknown): unknown {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === '22023') return new ValidationError(message);
  if (code === 'P0002') return new NotFoundError(message.charAt(0).toUpperCase() + message.slice(1));
  return err;
}
