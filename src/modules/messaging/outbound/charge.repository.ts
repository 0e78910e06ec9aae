import { sql, type Kysely, type Transaction } from 'kysely';
import { enqueueJob } from '../../../jobs/jobs.repository.js';
import type { DB } from '../../../shared/db/schema.js';

type Executor = Kysely<DB> | Transaction<DB>;

/** A message a billing event or the sweep resolves: its reservation is found by `billing_ref`. */
export interface ChargedMessage {
  id: number;
  portal_id: number;
  channel_id: string;
  billing_ref: string | null;
}

const SWEEP_SLOT_MS = 5 * 60_000;

/**
 * The send path's billing statements on messages (charge.ts): the reservation's ref and the hold on
 * the message, the message a Gupshup billing event names, and what the sweep settles or releases.
 * The ledger itself is only changed through `MessageBilling` (the billing_* SQL functions).
 */
export class ChargeRepository {
  constructor(readonly db: Kysely<DB>) {}

  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  /** Records which reservation pays for the message's send, and ends its hold. */
  async charged(trx: Transaction<DB>, id: number, ref: string): Promise<void> {
    await trx
      .updateTable('messages')
      .set({ billing_ref: ref, held_at: null, updated_at: sql`now()` })
      .where('id', '=', id)
      .execute();
  }

  /** Marks the message held; returns when it was first held, and whether that was now. */
  async hold(id: number): Promise<{ heldAt: Date; first: boolean } | undefined> {
    const first = await this.db
      .updateTable('messages')
      .set({ held_at: sql`now()`, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('held_at', 'is', null)
      .returning('held_at')
      .executeTakeFirst();
    if (first?.held_at) return { heldAt: first.held_at, first: true };
    const row = await this.db
      .selectFrom('messages')
      .select('held_at')
      .where('id', '=', id)
      .executeTakeFirst();
    return row?.held_at ? { heldAt: row.held_at, first: false } : undefined;
  }

  async unhold(id: number): Promise<void> {
    await this.db.updateTable('messages').set({ held_at: null }).where('id', '=', id).execute();
  }

  async refOf(id: number): Promise<ChargedMessage | undefined> {
    return this.db
      .selectFrom('messages')
      .select(['id', 'portal_id', 'channel_id', 'billing_ref'])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** The operator message of this channel a billing event names: by Gupshup id, else WhatsApp id. */
  forEvent(channelId: string, gupshupId: string | undefined, whatsappId: string | undefined) {
    const ids = { gs: gupshupId ?? null, wa: whatsappId ?? null };
    return this.db
      .selectFrom('messages')
      .select(['id', 'portal_id', 'channel_id', 'billing_ref'])
      .where('channel_id', '=', channelId)
      .where('direction', '=', 'out')
      .where((eb) =>
        eb.or([
          ...(ids.gs ? [eb('gupshup_message_id', '=', ids.gs)] : []),
          ...(ids.wa ? [eb('wa_message_id', '=', ids.wa), eb('gupshup_message_id', '=', ids.wa)] : []),
        ]),
      )
      .executeTakeFirst();
  }

  /**
   * Open reservations of messages delivered (or read) before `deliveredBefore` with no billing event:
   * the sweep settles them.
   */
  deliveredUnbilled(deliveredBefore: Date, limit: number): Promise<ChargedMessage[]> {
    return this.#openCharges()
      .where('m.status', 'in', ['delivered', 'read'])
      .where(sql<boolean>`coalesce(m.delivered_at, m.read_at) < ${deliveredBefore}`)
      .orderBy('r.created_at')
      .limit(limit)
      .execute();
  }

  /**
   * Open reservations older than `before` whose message will not be sent: failed, dead-lettered, or
   * never handed to Gupshup with no send job left (cancelled: channel deleted, portal uninstalled).
   * The sweep releases them, so no unit stays reserved for a message that cannot go.
   */
  abandoned(before: Date, limit: number): Promise<ChargedMessage[]> {
    return this.#openCharges()
      .where('r.created_at', '<', before)
      .where((eb) =>
        eb.or([
          eb('m.status', 'in', ['failed', 'dead', 'skipped', 'deleted']),
          eb.and([
            eb('m.gupshup_message_id', 'is', null),
            eb.not(
              eb.exists(
                eb
                  .selectFrom('jobs as j')
                  .select(sql`1`.as('one'))
                  .where('j.topic', '=', 'outbound.send')
                  .where('j.portal_id', '=', eb.ref('m.portal_id'))
                  .where('j.status', 'in', ['pending', 'running'])
                  .where(sql<boolean>`j.payload->>'messageId' = m.id::text`),
              ),
            ),
          ]),
        ]),
      )
      .orderBy('r.created_at')
      .limit(limit)
      .execute();
  }

  /** Open reservations (`r`) with the message they pay for (`m`). */
  #openCharges() {
    return this.db
      .selectFrom('billing_reservations as r')
      .innerJoin('messages as m', (j) =>
        j.onRef('m.portal_id', '=', 'r.portal_id').onRef('m.billing_ref', '=', 'r.message_ref'),
      )
      .select(['m.id', 'm.portal_id', 'm.channel_id', 'm.billing_ref'])
      .where('r.state', '=', 'reserved');
  }

  /** Whether any reservation of a message is still open (the sweep comes back while there is). */
  async anyOpen(): Promise<boolean> {
    const r = await this.db
      .selectFrom('billing_reservations')
      .select('id')
      .where('state', '=', 'reserved')
      .limit(1)
      .executeTakeFirst();
    return r !== undefined;
  }

  /** One `billing.sweep` per five-minute slot, whoever asks first: the slot at least `afterMs` away. */
  async scheduleSweep(exec: Executor, afterMs: number): Promise<void> {
    const at = new Date(Math.ceil((Date.now() + afterMs) / SWEEP_SLOT_MS) * SWEEP_SLOT_MS);
    await enqueueJob(exec, {
      topic: 'billing.sweep',
      portalId: null,
      payload: {},
      dedupeKey: `billing.sweep:${at.toISOString()}`,
      runAt: at,
    });
  }
}
