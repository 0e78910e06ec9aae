import { sql, type Kysely, type Transaction } from 'kysely';
import type { DB } from '../../shared/db/schema.js';

type Executor = Kysely<DB> | Transaction<DB>;

export const DEFAULT_GROUP_NAME = 'Principal';

const SETTINGS_COLUMNS = [
  'portal_id',
  'country',
  'time_zone',
  'allowed_calling_codes',
  'max_recipients',
  'max_groups',
  'digest_interval_minutes',
  'full_service',
  'trial_started_at',
] as const;
const RECIPIENT_COLUMNS = ['id', 'first_name', 'last_name', 'phone_e164', 'reference'] as const;

export type SettingsRow = NonNullable<Awaited<ReturnType<NotificationsRepository['settings']>>>;
/** Partial, where an undefined value leaves the column as it is (Kysely drops undefined values). */
type Patch<T> = { [K in keyof T]?: T[K] | undefined };
export type RecipientValues = {
  first_name: string;
  last_name: string;
  phone_e164: string;
  reference: string;
};

/** Every statement of the notifications capability (groups, recipients, companies, settings). */
export class NotificationsRepository {
  constructor(readonly db: Executor) {}

  /** One transaction; `settingsForUpdate` inside it serialises a portal's changes against its limits. */
  transaction<T>(fn: (repo: NotificationsRepository) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(new NotificationsRepository(trx)));
  }

  /** The portal's settings, created with the defaults (and its default group) on first use; undefined if no such portal. */
  async settings(portalId: number, forUpdate = false) {
    await sql`INSERT INTO notification_settings (portal_id) SELECT id FROM portals WHERE id = ${portalId}
      ON CONFLICT DO NOTHING`.execute(this.db);
    await sql`INSERT INTO notification_groups (portal_id, name, is_default)
      SELECT id, ${DEFAULT_GROUP_NAME}, true FROM portals WHERE id = ${portalId}
      ON CONFLICT DO NOTHING`.execute(this.db);
    return this.db
      .selectFrom('notification_settings')
      .select(SETTINGS_COLUMNS)
      .where('portal_id', '=', portalId)
      .$if(forUpdate, (q) => q.forUpdate())
      .executeTakeFirst();
  }

  updateSettings(
    portalId: number,
    v: Patch<{
      country: string;
      time_zone: string;
      digest_interval_minutes: number;
      allowed_calling_codes: string[];
      max_recipients: number;
      max_groups: number;
      full_service: boolean;
    }>,
  ) {
    return this.db
      .updateTable('notification_settings')
      .set({ ...v, updated_at: sql`now()` })
      .where('portal_id', '=', portalId)
      .returning(SETTINGS_COLUMNS)
      .executeTakeFirstOrThrow();
  }

  async usage(portalId: number) {
    const r = await this.db
      .selectNoFrom((eb) => [
        eb
          .selectFrom('notification_recipients')
          .select(eb.fn.countAll<number>().as('n'))
          .where('portal_id', '=', portalId)
          .as('recipients'),
        eb
          .selectFrom('notification_groups')
          .select(eb.fn.countAll<number>().as('n'))
          .where('portal_id', '=', portalId)
          .as('groups'),
      ])
      .executeTakeFirstOrThrow();
    return { recipients: Number(r.recipients), groups: Number(r.groups) };
  }

  /**
   * The operator's list: portals that use notifications (they have settings), by id after `cursor`,
   * whose domain contains `search`; one row more than `limit` tells that another page follows.
   */
  operatorPortals(q: { limit: number; cursor?: number | undefined; search: string }) {
    const like = `%${q.search.replace(/[\\%_]/g, '\\$&')}%`;
    return this.db
      .selectFrom('notification_settings as s')
      .innerJoin('portals as p', 'p.id', 's.portal_id')
      .select(SETTINGS_COLUMNS.map((c) => `s.${c}` as const))
      .select((eb) => [
        'p.domain',
        'p.status',
        eb
          .selectFrom('notification_recipients as r')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('r.portal_id', '=', 's.portal_id')
          .as('recipients'),
        eb
          .selectFrom('notification_groups as g')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('g.portal_id', '=', 's.portal_id')
          .as('groups'),
      ])
      .$if(q.cursor !== undefined, (w) => w.where('s.portal_id', '>', q.cursor ?? 0))
      .$if(q.search !== '', (w) => w.where('p.domain', 'ilike', like))
      .orderBy('s.portal_id')
      .limit(q.limit + 1)
      .execute();
  }

  /** The groups with how many recipients are enabled in each and how many companies they hear about. */
  groups(portalId: number) {
    return this.db
      .selectFrom('notification_groups as g')
      .select((eb) => [
        'g.id',
        'g.name',
        'g.is_default',
        'g.all_companies',
        eb
          .selectFrom('notification_group_recipients as gr')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('gr.group_id', '=', 'g.id')
          .where('gr.enabled', '=', true)
          .as('recipients'),
        eb
          .selectFrom('notification_group_companies as gc')
          .select(eb.fn.countAll<number>().as('n'))
          .whereRef('gc.group_id', '=', 'g.id')
          .as('companies'),
      ])
      .where('g.portal_id', '=', portalId)
      .orderBy('g.is_default', 'desc')
      .orderBy('g.id')
      .execute();
  }

  group(portalId: number, id: number) {
    return this.db
      .selectFrom('notification_groups')
      .select(['id', 'name', 'is_default', 'all_companies'])
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  /** Every recipient of the portal with whether it is enabled in this group (the seed's grid). */
  groupRecipients(portalId: number, groupId: number) {
    return this.db
      .selectFrom('notification_recipients as r')
      .leftJoin('notification_group_recipients as gr', (j) =>
        j.onRef('gr.recipient_id', '=', 'r.id').on('gr.group_id', '=', groupId),
      )
      .select(['r.id', 'r.first_name', 'r.last_name', 'r.phone_e164', 'r.reference'])
      .select((eb) => eb.fn.coalesce('gr.enabled', eb.val(false)).as('enabled'))
      .where('r.portal_id', '=', portalId)
      .orderBy('r.id')
      .execute();
  }

  groupCompanies(groupId: number) {
    return this.db
      .selectFrom('notification_group_companies')
      .select(['company_id', 'title'])
      .where('group_id', '=', groupId)
      .orderBy('title')
      .orderBy('company_id')
      .execute();
  }

  /** null when the name is taken (case-insensitively) in the portal. */
  async createGroup(portalId: number, name: string) {
    const row = await sql<{
      id: number;
    }>`INSERT INTO notification_groups (portal_id, name) VALUES (${portalId}, ${name})
      ON CONFLICT DO NOTHING RETURNING id`.execute(this.db);
    return row.rows[0]?.id ?? null;
  }

  /** false when the new name is taken. */
  async updateGroup(portalId: number, id: number, v: Patch<{ name: string; all_companies: boolean }>) {
    const r = await sql<{ id: number }>`UPDATE notification_groups
      SET name = coalesce(${v.name ?? null}, name), all_companies = coalesce(${v.all_companies ?? null}, all_companies),
          updated_at = now()
      WHERE portal_id = ${portalId} AND id = ${id}
        AND NOT EXISTS (SELECT 1 FROM notification_groups o
                        WHERE o.portal_id = ${portalId} AND o.id <> ${id} AND lower(o.name) = lower(${v.name ?? ''}))
      RETURNING id`.execute(this.db);
    return r.rows.length > 0;
  }

  async replaceCompanies(groupId: number, companies: { company_id: number; title: string }[]) {
    await this.db.deleteFrom('notification_group_companies').where('group_id', '=', groupId).execute();
    if (companies.length === 0) return;
    await this.db
      .insertInto('notification_group_companies')
      .values(companies.map((c) => ({ group_id: groupId, ...c })))
      .execute();
  }

  async deleteGroup(portalId: number, id: number) {
    const r = await this.db
      .deleteFrom('notification_groups')
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .where('is_default', '=', false)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  recipient(portalId: number, id: number) {
    return this.db
      .selectFrom('notification_recipients')
      .select(RECIPIENT_COLUMNS)
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  recipientByPhone(portalId: number, phone: string) {
    return this.db
      .selectFrom('notification_recipients')
      .select(RECIPIENT_COLUMNS)
      .where('portal_id', '=', portalId)
      .where('phone_e164', '=', phone)
      .executeTakeFirst();
  }

  createRecipient(portalId: number, v: RecipientValues) {
    return this.db
      .insertInto('notification_recipients')
      .values({ portal_id: portalId, ...v })
      .returning(RECIPIENT_COLUMNS)
      .executeTakeFirstOrThrow();
  }

  /** undefined when no such recipient; null when the new number belongs to another recipient. */
  async updateRecipient(portalId: number, id: number, v: Patch<RecipientValues>) {
    if (v.phone_e164) {
      const other = await this.recipientByPhone(portalId, v.phone_e164);
      if (other && other.id !== id) return null;
    }
    return this.db
      .updateTable('notification_recipients')
      .set({ ...v, updated_at: sql`now()` })
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .returning(RECIPIENT_COLUMNS)
      .executeTakeFirst();
  }

  async deleteRecipient(portalId: number, id: number) {
    const r = await this.db
      .deleteFrom('notification_recipients')
      .where('portal_id', '=', portalId)
      .where('id', '=', id)
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Enables or disables recipients in a group; `recipientIds` null means every one of the portal. */
  async setEnabled(portalId: number, groupId: number, recipientIds: number[] | null, enabled: boolean) {
    await sql`INSERT INTO notification_group_recipients (group_id, recipient_id, enabled)
      SELECT ${groupId}, r.id, ${enabled} FROM notification_recipients r
      WHERE r.portal_id = ${portalId} AND (${recipientIds === null} OR r.id = ANY(${recipientIds ?? []}::bigint[]))
      ON CONFLICT (group_id, recipient_id) DO UPDATE SET enabled = EXCLUDED.enabled`.execute(this.db);
  }
}
