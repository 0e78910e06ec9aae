import { sql } from 'kysely';
import { api, waitFor, type DemoChannel, type Stack } from '../../scripts/stack.js';

/** What the billing send-path tests read: the portal's balance, a message's reservation and entries. */
export function billingProbe(s: Stack) {
  const db = () => s.deps.db;
  return {
    async portalId(): Promise<number> {
      const p = await db().selectFrom('portals').select('id').executeTakeFirstOrThrow();
      return p.id;
    },
    async balance(portalId: number) {
      const b = await db()
        .selectFrom('billing_balances')
        .select(['available', 'reserved'])
        .where('portal_id', '=', portalId)
        .executeTakeFirst();
      return { available: Number(b?.available ?? 0), reserved: Number(b?.reserved ?? 0) };
    },
    /** The reservations of one message (by its refs `out:<id>…`), and the ledger's entries for them. */
    async charges(messageId: number) {
      const rs = await db()
        .selectFrom('billing_reservations')
        .select(['id', 'message_ref', 'state'])
        .where(sql<boolean>`message_ref = ${`out:${messageId}`} OR message_ref LIKE ${`out:${messageId}:%`}`)
        .orderBy('id')
        .execute();
      const entries = rs.length
        ? await db()
            .selectFrom('billing_ledger')
            .select(['kind', 'reservation_id'])
            .where(
              'reservation_id',
              'in',
              rs.map((r) => r.id),
            )
            .orderBy('id')
            .execute()
        : [];
      return { reservations: rs, kinds: entries.map((e) => e.kind) };
    },
    async message(id: number) {
      return db()
        .selectFrom('messages')
        .select([
          'id',
          'status',
          'held_at',
          'billing_ref',
          'gupshup_message_id',
          'error_code',
          'error_detail',
        ])
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
    },
    /** The outbound message stored for a Bitrix24 message id. */
    async outbound(bitrixMessageId: number) {
      return waitFor(() =>
        db()
          .selectFrom('messages')
          .select(['id', 'status'])
          .where('bitrix_message_id', '=', bitrixMessageId)
          .where('direction', '=', 'out')
          .executeTakeFirst(),
      );
    },
    async steps(messageId: number): Promise<string[]> {
      const rows = await db()
        .selectFrom('trace')
        .select('step')
        .where('message_id', '=', messageId)
        .orderBy('id')
        .execute();
      return rows.map((r) => r.step);
    },
    /** Spends every unit left (as other messages would), so the next send finds none. */
    async spendAll(portalId: number, tag: string) {
      const { available } = await this.balance(portalId);
      for (let i = 0; i < available; i++) {
        const r = await s.deps.ledger.reserve(portalId, `${tag}:${i}`);
        if (r.reservationId) await s.deps.ledger.settle(r.reservationId);
      }
    },
    async channel(token: string, ch: DemoChannel) {
      const r = await api<{ items: Array<{ id: string; status: string; statusReason: string | null }> }>(
        s,
        token,
        'GET',
        '/channels',
      );
      return r.body.items.find((c) => c.id === ch.id);
    },
  };
}
