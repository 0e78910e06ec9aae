import type { Transaction } from 'kysely';
import type { JobHandler } from '../../jobs/worker.js';
import type { DB } from '../../shared/db/schema.js';
import {
  BillingRepository,
  type CreditInput,
  type CreditRow,
  type ReconcileRow,
  type RefundInput,
  type RefundRow,
} from './billing.repository.js';
import type { ConsumptionQuery, LedgerQuery } from './billing.schemas.js';
import { expireJob, scheduleExpiry } from './expiry.js';
import type { MessageBilling, ReserveResult, ResolveResult } from './ports.js';

const DAY_MS = 86_400_000;

/**
 * The prepaid ledger of message units (C8). The rules are the billing_* SQL functions
 * (migrations/0010_billing.sql); this service calls them, schedules the expiry job and shapes what
 * the API shows. `MessageBilling` (ports.ts) is the part the send path uses.
 */
export class LedgerService implements MessageBilling {
  constructor(
    private readonly repo: BillingRepository,
    private readonly o: { nudge?: () => void } = {},
  ) {}

  /** The repository on the caller's transaction, or the service's own. */
  #on(tx: Transaction<DB> | undefined): BillingRepository {
    return tx ? new BillingRepository(tx) : this.repo;
  }

  /**
   * Credits a pack: applied once per order and once per provider event (a repeated webhook answers
   * `duplicate_*` and changes nothing). Queues the expiry run for the new lot in the same transaction.
   */
  async credit(input: CreditInput): Promise<CreditRow> {
    const row = await this.repo.transaction(async (tx) => {
      const r = await tx.credit(input);
      if (r.outcome === 'credited' && r.expires_at) await scheduleExpiry(tx.db, r.expires_at);
      return r;
    });
    if (row.outcome === 'credited') this.o.nudge?.();
    return row;
  }

  async reserve(
    portalId: number,
    messageRef: string,
    o: { units?: number; channelId?: string | null; tx?: Transaction<DB> } = {},
  ): Promise<ReserveResult> {
    const r = await this.#on(o.tx).reserve(portalId, messageRef, o.units ?? 1, o.channelId ?? null);
    return { outcome: r.outcome, reservationId: r.reservation_id, state: r.state, available: r.available };
  }

  async settle(reservationId: number, tx?: Transaction<DB>): Promise<ResolveResult> {
    return resolved(await this.#on(tx).settle(reservationId));
  }

  async release(reservationId: number, tx?: Transaction<DB>): Promise<ResolveResult> {
    return resolved(await this.#on(tx).release(reservationId));
  }

  async settleMessage(portalId: number, messageRef: string, tx?: Transaction<DB>) {
    const r = await this.#on(tx).reservation(portalId, messageRef);
    return r ? this.settle(r.id, tx) : null;
  }

  async releaseMessage(portalId: number, messageRef: string, tx?: Transaction<DB>) {
    const r = await this.#on(tx).reservation(portalId, messageRef);
    return r ? this.release(r.id, tx) : null;
  }

  async startTrial(portalId: number, units: number, validityDays: number): Promise<boolean> {
    if (await this.repo.everCredited(portalId)) return false;
    const r = await this.credit({
      portalId,
      units,
      validityDays,
      provider: 'trial',
      eventId: `trial:${portalId}`,
    });
    return r.outcome === 'credited';
  }

  /** Reservations still open after `olderThanMs` (for settle-on-timeout by the send path). */
  openReservations(olderThanMs: number, limit = 500) {
    return this.repo.openReservations(new Date(Date.now() - olderThanMs), limit);
  }

  /** Expires every lot past validity now; returns what went, per portal. */
  async expire(): Promise<Array<{ portalId: number; units: number }>> {
    const out: Array<{ portalId: number; units: number }> = [];
    for (;;) {
      const rows = await this.repo.expire(1000);
      out.push(...rows.map((r) => ({ portalId: r.portal_id, units: r.units })));
      if (rows.length < 1000) return out;
    }
  }

  /** Takes an order's units back after a refund or a dispute (policy: docs/billing.md). */
  refund(input: RefundInput): Promise<RefundRow> {
    return this.repo.refund(input);
  }

  recordEvent(e: { provider: string; eventId: string; type?: string | null; portalId?: number | null }) {
    return this.repo.recordEvent(e);
  }

  reconcile(): Promise<ReconcileRow[]> {
    return this.repo.reconcile();
  }

  expireJob(): JobHandler {
    return expireJob(this.repo);
  }

  /** GET /api/v1/balance: units to send, units in flight, units owed, and the packs they sit in. */
  async balance(portalId: number) {
    const [b, lots] = await Promise.all([this.repo.balance(portalId), this.repo.openLots(portalId)]);
    return {
      available: b?.available ?? 0,
      reserved: b?.reserved ?? 0,
      debt: b?.debt ?? 0,
      updatedAt: b?.updated_at ?? null,
      nextExpiry: lots[0]?.expires_at ?? null,
      lots: lots.map((l) => ({
        id: l.id,
        units: l.units,
        remaining: l.remaining,
        expiresAt: l.expires_at,
        orderId: l.order_id,
        creditedAt: l.created_at,
      })),
    };
  }

  /** GET /api/v1/ledger: entries newest first, `nextCursor` while there are more. */
  async ledger(portalId: number, q: LedgerQuery) {
    const rows = await this.repo.ledgerPage(portalId, q);
    const page = rows.slice(0, q.limit);
    return {
      items: page.map((e) => ({
        id: e.id,
        kind: e.kind,
        units: e.units,
        delta: { available: e.delta_available, reserved: e.delta_reserved, debt: e.delta_debt },
        lotId: e.lot_id,
        reservationId: e.reservation_id,
        messageRef: e.message_ref,
        orderId: e.order_id,
        channelId: e.channel_id,
        note: e.note,
        at: e.created_at,
      })),
      nextCursor: rows.length > q.limit ? (page.at(-1)?.id ?? null) : null,
    };
  }

  /**
   * Units spent per day (UTC) and channel (with its name) over the last `days` days, every day
   * present (0 when nothing was sent), for the Billing tab's chart.
   */
  async consumption(portalId: number, q: ConsumptionQuery, now = new Date()) {
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const since = new Date(today - (q.days - 1) * DAY_MS);
    const rows = await this.repo.consumption(portalId, since);
    const channels = new Map(rows.map((r) => [r.channel_id, r.channel_name]));
    const days = Array.from({ length: q.days }, (_, i) =>
      new Date(since.getTime() + i * DAY_MS).toISOString().slice(0, 10),
    );
    const units = new Map(rows.map((r) => [`${r.day}|${r.channel_id ?? ''}`, r.units]));
    return {
      days,
      series: [...channels].map(([c, name]) => ({
        channelId: c,
        name,
        units: days.map((d) => units.get(`${d}|${c ?? ''}`) ?? 0),
      })),
      total: rows.reduce((n, r) => n + r.units, 0),
    };
  }
}

function resolved(r: {
  outcome: ResolveResult['outcome'];
  reservation_id: number;
  state: ResolveResult['state'];
}) {
  return { outcome: r.outcome, reservationId: r.reservation_id, state: r.state };
}
