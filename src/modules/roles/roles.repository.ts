import { sql, type Kysely, type UpdateObject } from 'kysely';
import type { DB } from '../../shared/db/schema.js';
import type { CrmEntity } from './ports.js';

export type { CrmEntity } from './ports.js';
export type RoleColumn = 'quality_control' | 'sales_rep' | 'boss';

/** A user's roles on a channel as stored; `set: null` removes the user from the channel. */
export interface RoleChange {
  channelId: string;
  userId: number;
  set: {
    quality_control: boolean;
    sales_rep: boolean;
    receives_new: boolean;
    boss: boolean;
    user_name: string;
  } | null;
}

/**
 * The roles module's tables: `channel_roles` (who does what on a channel), `channel_crm_settings`
 * (what a new customer becomes in the CRM, and the round-robin position), and the assignment columns
 * of `conversations` (chat.assign's progress, step by step).
 */
export class RolesRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /** Runs `fn` in one transaction, with a repository bound to it. */
  transaction<T>(fn: (tx: RolesRepository) => Promise<T>): Promise<T> {
    return this.db.transaction().execute((trx) => fn(new RolesRepository(trx)));
  }

  /** The roles on the portal's channels that are not deleted, by user. */
  rolesOfPortal(portalId: number) {
    return this.db
      .selectFrom('channel_roles')
      .innerJoin('channels', 'channels.id', 'channel_roles.channel_id')
      .select([
        'channel_roles.channel_id',
        'channel_roles.user_id',
        'channel_roles.user_name',
        'channel_roles.quality_control',
        'channel_roles.sales_rep',
        'channel_roles.receives_new',
        'channel_roles.boss',
      ])
      .where('channel_roles.portal_id', '=', portalId)
      .where('channels.status', '<>', 'deleted')
      .orderBy('channel_roles.user_id')
      .execute();
  }

  crmSettingsOfPortal(portalId: number) {
    return this.db
      .selectFrom('channel_crm_settings')
      .select(['channel_id', 'entity', 'category_id', 'stage_id'])
      .where('portal_id', '=', portalId)
      .execute();
  }

  /** How many of these (distinct, well-formed) ids are live channels of the portal. */
  async countLiveChannels(portalId: number, ids: string[]): Promise<number> {
    const own = await this.db
      .selectFrom('channels')
      .select('id')
      .where('portal_id', '=', portalId)
      .where('id', 'in', ids)
      .where('status', '<>', 'deleted')
      .execute();
    return own.length;
  }

  /** Every change in one transaction (all or nothing). */
  async saveRoles(portalId: number, changes: RoleChange[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (const c of changes) {
        if (!c.set) {
          await trx
            .deleteFrom('channel_roles')
            .where('channel_id', '=', c.channelId)
            .where('user_id', '=', c.userId)
            .execute();
          continue;
        }
        const values = c.set;
        await trx
          .insertInto('channel_roles')
          .values({ portal_id: portalId, channel_id: c.channelId, user_id: c.userId, ...values })
          .onConflict((oc) =>
            oc.columns(['channel_id', 'user_id']).doUpdateSet({ ...values, updated_at: sql`now()` }),
          )
          .execute();
      }
    });
  }

  async saveCrmSettings(
    portalId: number,
    channelId: string,
    values: { entity: 'lead' | 'deal'; category_id: number | null; stage_id: string | null },
  ): Promise<void> {
    await this.db
      .insertInto('channel_crm_settings')
      .values({ channel_id: channelId, portal_id: portalId, ...values })
      .onConflict((oc) => oc.column('channel_id').doUpdateSet({ ...values, updated_at: sql`now()` }))
      .execute();
  }

  /** The user's roles on each live channel of the portal. */
  channelRolesOf(portalId: number, userId: number) {
    return this.db
      .selectFrom('channel_roles')
      .innerJoin('channels', 'channels.id', 'channel_roles.channel_id')
      .select([
        'channel_roles.channel_id',
        'channel_roles.quality_control',
        'channel_roles.sales_rep',
        'channel_roles.boss',
      ])
      .where('channel_roles.portal_id', '=', portalId)
      .where('channel_roles.user_id', '=', userId)
      .where('channels.status', '<>', 'deleted')
      .execute();
  }

  /** Whether the user holds any of these roles on any channel of the portal. */
  async hasAnyRole(portalId: number, userId: number, roles: RoleColumn[]): Promise<boolean> {
    const row = await this.db
      .selectFrom('channel_roles')
      .select('user_id')
      .where('portal_id', '=', portalId)
      .where('user_id', '=', userId)
      .where((eb) => eb.or(roles.map((r) => eb(r, '=', true))))
      .executeTakeFirst();
    return !!row;
  }

  /**
   * The channel's portal, locking the channel row until the transaction ends: it serializes
   * round-robin turns without blocking inserts that reference the channel. Undefined when unknown.
   */
  async lockChannel(channelId: string): Promise<number | undefined> {
    const ch = await this.db
      .selectFrom('channels')
      .select(['id', 'portal_id'])
      .where('id', '=', channelId)
      .forNoKeyUpdate()
      .executeTakeFirst();
    return ch?.portal_id;
  }

  /** The channel's sales representatives, by user id. */
  salesReps(channelId: string) {
    return this.db
      .selectFrom('channel_roles')
      .select(['user_id', 'receives_new'])
      .where('channel_id', '=', channelId)
      .where('sales_rep', '=', true)
      .orderBy('user_id')
      .execute();
  }

  /** The channel's CRM settings and round-robin position (only the portal's, when it is given). */
  crmSettings(channelId: string, portalId?: number) {
    return this.db
      .selectFrom('channel_crm_settings')
      .select(['entity', 'category_id', 'stage_id', 'rr_last_user_id'])
      .where('channel_id', '=', channelId)
      .$if(portalId !== undefined, (q) => q.where('portal_id', '=', portalId ?? 0))
      .executeTakeFirst();
  }

  async saveTurn(channelId: string, portalId: number, userId: number): Promise<void> {
    await this.db
      .insertInto('channel_crm_settings')
      .values({ channel_id: channelId, portal_id: portalId, rr_last_user_id: userId })
      .onConflict((oc) =>
        oc.column('channel_id').doUpdateSet({ rr_last_user_id: userId, updated_at: sql`now()` }),
      )
      .execute();
  }

  /** A conversation's customer and assignment progress, with its portal's status. */
  conversationToAssign(conversationId: number) {
    return this.db
      .selectFrom('conversations')
      .innerJoin('portals', 'portals.id', 'conversations.portal_id')
      .select([
        'conversations.portal_id',
        'conversations.channel_id',
        'conversations.customer_phone',
        'conversations.customer_name',
        'conversations.assigned_user_id',
        'conversations.assigned_at',
        'conversations.crm_entity',
        'conversations.crm_entity_id',
        'conversations.crm_create_started_at',
        'conversations.crm_contact_id',
        'conversations.crm_contact_started_at',
        'portals.status as portal_status',
      ])
      .where('conversations.id', '=', conversationId)
      .executeTakeFirst();
  }

  /** Who gets the chat and the customer's known record, before anything is created or handed over. */
  async saveDecision(
    conversationId: number,
    userId: number,
    entity: CrmEntity | null,
    entityId: number | null,
  ): Promise<void> {
    await this.#updateConversation(conversationId, {
      assigned_user_id: userId,
      crm_entity: entity,
      crm_entity_id: entityId,
    });
  }

  /** Marks a CRM create as under way (its outcome unknown until saveRecord). */
  async markCreateStarted(conversationId: number): Promise<void> {
    await this.#updateConversation(conversationId, { crm_create_started_at: sql`now()` });
  }

  /** Marks a crm.contact.add as under way (its outcome unknown until saveContact). */
  async markContactStarted(conversationId: number): Promise<void> {
    await this.#updateConversation(conversationId, { crm_contact_started_at: sql`now()` });
  }

  /** The customer's contact (null: none, the contact step is over without one). */
  async saveContact(conversationId: number, contactId: number | null): Promise<void> {
    await this.#updateConversation(conversationId, {
      crm_contact_id: contactId,
      crm_contact_started_at: null,
    });
  }

  async saveRecord(conversationId: number, entity: CrmEntity, entityId: number | null): Promise<void> {
    await this.#updateConversation(conversationId, {
      crm_entity: entity,
      crm_entity_id: entityId,
      crm_create_started_at: null,
    });
  }

  /** The assignment is over: the person the chat went to (null: nobody) and the customer's record. */
  async finish(
    conversationId: number,
    userId: number | null,
    entity: CrmEntity | null,
    entityId: number | null,
  ): Promise<void> {
    await this.#updateConversation(conversationId, {
      assigned_user_id: userId,
      assigned_at: sql`now()`,
      crm_entity: entity,
      crm_entity_id: entityId,
    });
  }

  async #updateConversation(conversationId: number, set: UpdateObject<DB, 'conversations'>): Promise<void> {
    await this.db.updateTable('conversations').set(set).where('id', '=', conversationId).execute();
  }
}
