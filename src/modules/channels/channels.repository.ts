import { sql, type Kysely, type Transaction } from 'kysely';
import type { ChannelRow, ChannelStatus, DB } from '../../shared/db/schema.js';
import { SUBSCRIPTION_REASONS, type ChannelStatusReason } from './status-reasons.js';

type Executor = Kysely<DB> | Transaction<DB>;

/** Columns safe to hand around: no API key. */
const publicColumns = [
  'id',
  'portal_id',
  'name',
  'status',
  'status_reason',
  'gupshup_app_name',
  'gupshup_app_id',
  'source_number',
  'line_id',
  'callback_nonce',
  'last_webhook_at',
  'created_at',
] as const;
export type ChannelPublic = Pick<ChannelRow, (typeof publicColumns)[number]>;

export interface NewChannel {
  portalId: number;
  name: string;
  gupshupAppName: string;
  gupshupAppId: string | null;
  sourceNumber: string;
  apiKeyEnc: string;
  callbackNonce: string;
  lineId: number | null;
}

/** An edit of a channel; absent fields stay as they are. */
export interface ChannelPatch {
  name?: string;
  gupshupAppName?: string;
  /** A new App ID also records when its key was checked with Gupshup. */
  gupshupAppId?: string;
  sourceNumber?: string;
  /** A new key clears the last Gupshup check's error. */
  apiKeyEnc?: string;
  wabaId?: string | null;
}

/** A unique index refused the write (another channel of the portal has this number or line). */
export const isUniqueViolation = (err: unknown): boolean => (err as { code?: string }).code === '23505';

/** The `channels` table. Deleted channels stay, without their key. */
export class ChannelsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Runs `fn` in one transaction (the service's steps that must land together). */
  transaction<T>(fn: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    return this.db.transaction().execute(fn);
  }

  insert(c: NewChannel): Promise<ChannelPublic> {
    return this.db
      .insertInto('channels')
      .values({
        portal_id: c.portalId,
        name: c.name,
        gupshup_app_name: c.gupshupAppName,
        gupshup_app_id: c.gupshupAppId,
        source_number: c.sourceNumber,
        api_key_enc: c.apiKeyEnc,
        callback_nonce: c.callbackNonce,
        line_id: c.lineId,
        status: 'pending',
      })
      .returning(publicColumns)
      .executeTakeFirstOrThrow();
  }

  /** The portal's channels but the deleted ones, oldest first. */
  list(portalId: number): Promise<ChannelPublic[]> {
    return this.db
      .selectFrom('channels')
      .select(publicColumns)
      .where('portal_id', '=', portalId)
      .where('status', '<>', 'deleted')
      .orderBy('created_at')
      .execute();
  }

  /** A channel of the portal that is not deleted (`id` must be a UUID). */
  find(portalId: number, id: string): Promise<ChannelPublic | undefined> {
    return this.db
      .selectFrom('channels')
      .select(publicColumns)
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .where('status', '<>', 'deleted')
      .executeTakeFirst();
  }

  /** Another channel of the portal that serves this open line. */
  async lineTaken(portalId: number, line: number, exceptId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('channels')
      .select('id')
      .where('portal_id', '=', portalId)
      .where('line_id', '=', line)
      .where('id', '<>', exceptId)
      .where('status', '<>', 'deleted')
      .executeTakeFirst();
    return row !== undefined;
  }

  setState(
    portalId: number,
    id: string,
    s: { status: ChannelStatus; line_id: number | null; status_reason: ChannelStatusReason | null },
  ): Promise<ChannelPublic> {
    return this.db
      .updateTable('channels')
      .set({ ...s, updated_at: sql`now()` })
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .returning(publicColumns)
      .executeTakeFirstOrThrow();
  }

  /** Deleted: the history stays, the key and the line go. */
  async markDeleted(exec: Executor, portalId: number, id: string): Promise<void> {
    await exec
      .updateTable('channels')
      .set({
        status: 'deleted',
        api_key_enc: null,
        line_id: null,
        deleted_at: sql`now()`,
        updated_at: sql`now()`,
      })
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .execute();
  }

  /** What the Gupshup webhook checks: the channel, its callback nonce and its portal's status. */
  callbackIdentity(id: string) {
    return this.db
      .selectFrom('channels')
      .innerJoin('portals', 'portals.id', 'channels.portal_id')
      .select([
        'channels.id',
        'channels.portal_id',
        'channels.gupshup_app_name',
        'channels.status',
        'channels.callback_nonce',
        'portals.status as portal_status',
      ])
      .where('channels.id', '=', id)
      .executeTakeFirst();
  }

  /** What a worker needs to send, the encrypted key included. */
  sendingRow(id: string) {
    return this.db
      .selectFrom('channels')
      .select([
        'id',
        'portal_id',
        'gupshup_app_name',
        'gupshup_app_id',
        'source_number',
        'api_key_enc',
        'line_id',
        'status',
      ])
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** Active → Interrupted; the portal of the channel when it was active. */
  async interrupt(exec: Executor, id: string, reason: ChannelStatusReason): Promise<number | undefined> {
    const row = await exec
      .updateTable('channels')
      .set({ status: 'interrupted', status_reason: reason, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('status', '=', 'active')
      .returning('portal_id')
      .executeTakeFirst();
    return row?.portal_id;
  }

  /** Interrupted → Active; the portal of the channel when it was interrupted. */
  async recover(id: string): Promise<number | undefined> {
    const row = await this.db
      .updateTable('channels')
      .set({ status: 'active', status_reason: null, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('status', '=', 'interrupted')
      // An unpaid subscription is lifted by its payment (billing), not by a send Gupshup accepted.
      .where((eb) =>
        eb.or([eb('status_reason', 'is', null), eb('status_reason', 'not in', [...SUBSCRIPTION_REASONS])]),
      )
      .returning('portal_id')
      .executeTakeFirst();
    return row?.portal_id;
  }

  /** The channels serving this line become Inactive without it; their ids. */
  async releaseLine(portalId: number, line: number, reason: ChannelStatusReason): Promise<string[]> {
    const rows = await this.db
      .updateTable('channels')
      .set({ status: 'inactive', line_id: null, status_reason: reason, updated_at: sql`now()` })
      .where('portal_id', '=', portalId)
      .where('line_id', '=', line)
      .where('status', '<>', 'deleted')
      .returning('id')
      .execute();
    return rows.map((r) => r.id);
  }

  // ------------------------------------------------------------------ what the admin pages add

  /** The company and WhatsApp Business account of a channel just connected. */
  async setAccount(
    exec: Executor,
    id: string,
    a: { companyName: string | null; wabaId: string | null; keyChecked?: boolean },
  ): Promise<void> {
    await exec
      .updateTable('channels')
      .set({
        company_name: a.companyName,
        waba_id: a.wabaId,
        ...(a.keyChecked !== undefined ? { gupshup_checked_at: a.keyChecked ? sql`now()` : null } : {}),
      })
      .where('id', '=', id)
      .execute();
  }

  /** The admin pages' extra columns of the portal's channels (not deleted). */
  details(portalId: number) {
    return this.db
      .selectFrom('channels')
      .select([
        'id',
        'company_name',
        'waba_id',
        'paid_until',
        'created_at',
        'gupshup_checked_at',
        'gupshup_check_error',
      ])
      .where('portal_id', '=', portalId)
      .where('status', '<>', 'deleted')
      .execute();
  }

  /** A channel of the portal, not deleted, with its encrypted key (`id` must be a UUID). */
  findWithKey(portalId: number, id: string) {
    return this.db
      .selectFrom('channels')
      .select([
        'id',
        'company_name',
        'gupshup_app_name',
        'gupshup_app_id',
        'source_number',
        'waba_id',
        'api_key_enc',
      ])
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .where('status', '<>', 'deleted')
      .executeTakeFirst();
  }

  async update(portalId: number, id: string, p: ChannelPatch): Promise<void> {
    await this.db
      .updateTable('channels')
      .set({
        ...(p.name ? { name: p.name } : {}),
        ...(p.gupshupAppName ? { gupshup_app_name: p.gupshupAppName } : {}),
        ...(p.gupshupAppId ? { gupshup_app_id: p.gupshupAppId, gupshup_checked_at: sql`now()` } : {}),
        ...(p.sourceNumber ? { source_number: p.sourceNumber } : {}),
        ...(p.apiKeyEnc ? { api_key_enc: p.apiKeyEnc, gupshup_check_error: null } : {}),
        ...(p.wabaId !== undefined ? { waba_id: p.wabaId } : {}),
        updated_at: sql`now()`,
      })
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .execute();
  }

  /** The health strip's rows: every channel of the portal but the deleted ones, oldest first. */
  healthRows(portalId: number) {
    return this.db
      .selectFrom('channels')
      .select(['id', 'line_id', 'status', 'last_webhook_at', 'gupshup_app_id', 'api_key_enc'])
      .where('portal_id', '=', portalId)
      .where('status', '<>', 'deleted')
      .orderBy('created_at')
      .execute();
  }

  async recordGupshupCheck(id: string, error: string | null): Promise<void> {
    await this.db
      .updateTable('channels')
      .set({ gupshup_checked_at: sql`now()`, gupshup_check_error: error })
      .where('id', '=', id)
      .execute();
  }
}
