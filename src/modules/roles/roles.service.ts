import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { Bitrix24Client } from '../../integrations/bitrix24/bitrix24.client.js';
import { politely } from '../../integrations/bitrix24/rate-retry.js';
import type { DB } from '../../shared/db/schema.js';
import { INT_MAX, parseInput } from '../../shared/validate.js';
import { ForbiddenError, NotFoundError } from '../../shared/errors.js';
import type { ApiPrincipal } from '../tokens/tokens.service.js';
import { upstream } from '../channels/channels.service.js';

/**
 * Chat roles per channel (C7) and what they allow. Quality control reads every chat of the channel,
 * a sales representative gets his own CRM customers (and, when marked, new ones by round-robin), a
 * boss sees all chats. Only portal admins change roles. The portal's users, departments and CRM
 * pipelines come from Bitrix24 (reference §6.1 user.get, department.get, crm.category.list,
 * crm.status.list), called with the portal's own tokens.
 */

const USER_PAGE = 50;
const userId = z.coerce.number().int().positive().max(INT_MAX);
/** crm.lead.add / crm.deal.add answer the new id (a number, or a numeric string). */
const newId = z.coerce.number().int().positive().max(INT_MAX);

export const applyRolesInput = z.object({
  changes: z
    .array(
      z.object({
        channelId: z.uuid(),
        userId,
        userName: z.string().trim().max(200).default(''),
        qualityControl: z.boolean(),
        salesRep: z.boolean(),
        receivesNew: z.boolean(),
        boss: z.boolean(),
      }),
    )
    .min(1)
    .max(2_000),
});

export const crmSettingsInput = z.object({
  entity: z.enum(['lead', 'deal']),
  categoryId: z.coerce.number().int().min(0).max(INT_MAX).nullable().optional(),
  stageId: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_:-]{1,64}$/)
    .nullable()
    .optional(),
});

const usersQuery = z.object({
  search: z.string().trim().max(100).optional(),
  department: z.coerce.number().int().positive().max(INT_MAX).optional(),
  start: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

/** App actions that roles open (admins may do everything). */
export type AppAction = 'view_channels' | 'view_trace' | 'replay';
const ACTION_ROLES: Record<AppAction, Array<'quality_control' | 'sales_rep' | 'boss'>> = {
  view_channels: ['quality_control', 'sales_rep', 'boss'],
  view_trace: ['quality_control', 'boss'],
  replay: ['boss'],
};

interface B24User {
  ID: string;
  NAME?: string;
  LAST_NAME?: string;
  EMAIL?: string;
  WORK_POSITION?: string;
  UF_DEPARTMENT?: unknown;
}

export class RolesService {
  readonly #lines = new Map<number, { items: Array<{ id: number; name: string }>; until: number }>();

  constructor(
    private readonly db: Kysely<DB>,
    private readonly bitrix: Bitrix24Client,
  ) {}

  async #call<T>(portalId: number, method: string, params: Record<string, unknown>): Promise<T> {
    let out: T | undefined;
    await upstream(async () => {
      out = await politely(() => this.bitrix.call<T>(portalId, method, params));
    });
    return out as T;
  }

  /** One page (50, Bitrix24's fixed size) of active employees, by name and department. */
  async users(portalId: number, query: unknown) {
    const q = parseInput(usersQuery, query);
    const FILTER: Record<string, unknown> = { ACTIVE: true, USER_TYPE: 'employee' };
    if (q.search) FILTER.NAME_SEARCH = q.search;
    if (q.department) FILTER.UF_DEPARTMENT = q.department;
    const page = await this.#call<B24User[]>(portalId, 'user.get', {
      FILTER,
      SORT: 'LAST_NAME',
      ORDER: 'ASC',
      start: q.start,
    });
    return {
      items: page.map((u) => ({
        id: Number(u.ID),
        name: [u.NAME, u.LAST_NAME].filter(Boolean).join(' ') || u.EMAIL || `#${u.ID}`,
        position: u.WORK_POSITION ?? '',
        departments: Array.isArray(u.UF_DEPARTMENT) ? u.UF_DEPARTMENT.map(Number) : [],
      })),
      // user.get pages are always 50 long (§6.1): a full page means there may be more.
      next: page.length === USER_PAGE ? q.start + USER_PAGE : null,
    };
  }

  async departments(portalId: number) {
    const rows = await this.#call<Array<{ ID: string; NAME: string; PARENT?: string }>>(
      portalId,
      'department.get',
      { SORT: 'NAME', ORDER: 'ASC' },
    );
    return rows.map((d) => ({ id: Number(d.ID), name: d.NAME, parent: d.PARENT ? Number(d.PARENT) : null }));
  }

  /** The portal's open lines, remembered a minute (every tab shows them; Bitrix24 allows 2 calls/s). */
  async lines(portalId: number) {
    const hit = this.#lines.get(portalId);
    if (hit && hit.until > Date.now()) return hit.items;
    const rows = await this.#call<Array<{ ID: string; LINE_NAME: string; ACTIVE?: string }>>(
      portalId,
      'imopenlines.config.list.get',
      { PARAMS: { select: ['ID', 'LINE_NAME', 'ACTIVE'], order: { ID: 'ASC' }, limit: 200 } },
    );
    const items = rows.map((l) => ({ id: Number(l.ID), name: l.LINE_NAME }));
    if (this.#lines.size > 10_000) this.#lines.clear();
    this.#lines.set(portalId, { items, until: Date.now() + 60_000 });
    return items;
  }

  /** Deal pipelines (crm.category.list, entityTypeId 2) and the stages of each. */
  async crmPipelines(portalId: number) {
    const cats = await this.#call<{ categories: Array<{ id: number | string; name: string }> }>(
      portalId,
      'crm.category.list',
      { entityTypeId: 2 },
    );
    // One call for every list (lead statuses and the stages of all pipelines), split here.
    const statuses = await this.#call<Array<{ STATUS_ID: string; NAME: string; ENTITY_ID: string }>>(
      portalId,
      'crm.status.list',
      { order: { SORT: 'ASC' } },
    );
    const leadStages = statuses.filter((s) => s.ENTITY_ID === 'STATUS');
    return {
      leadStages: leadStages.map((s) => ({ id: s.STATUS_ID, name: s.NAME })),
      pipelines: cats.categories.map((c) => {
        const id = Number(c.id);
        const entity = id === 0 ? 'DEAL_STAGE' : `DEAL_STAGE_${id}`;
        return {
          id,
          name: c.name,
          stages: statuses
            .filter((s) => s.ENTITY_ID === entity)
            .map((s) => ({ id: s.STATUS_ID, name: s.NAME })),
        };
      }),
    };
  }

  async list(portalId: number) {
    const [roles, crm] = await Promise.all([
      this.db
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
        .execute(),
      this.db
        .selectFrom('channel_crm_settings')
        .select(['channel_id', 'entity', 'category_id', 'stage_id'])
        .where('portal_id', '=', portalId)
        .execute(),
    ]);
    return {
      roles: roles.map((r) => ({
        channelId: r.channel_id,
        userId: r.user_id,
        userName: r.user_name,
        qualityControl: r.quality_control,
        salesRep: r.sales_rep,
        receivesNew: r.receives_new,
        boss: r.boss,
      })),
      crm: crm.map((c) => ({
        channelId: c.channel_id,
        entity: c.entity,
        categoryId: c.category_id,
        stageId: c.stage_id,
      })),
    };
  }

  /** Every id must be a live channel of this portal (another portal's id is a 404 like a missing one). */
  async #requireOwnChannels(portalId: number, ids: string[]): Promise<void> {
    const wanted = [...new Set(ids)];
    if (!wanted.every((id) => z.uuid().safeParse(id).success)) throw new NotFoundError('Channel not found');
    const own = await this.db
      .selectFrom('channels')
      .select('id')
      .where('portal_id', '=', portalId)
      .where('id', 'in', wanted)
      .where('status', '<>', 'deleted')
      .execute();
    if (own.length !== wanted.length) throw new NotFoundError('Channel not found');
  }

  /** Applies a set of changes at once (all or nothing). A user with no role left is removed. */
  async apply(portalId: number, body: unknown): Promise<{ applied: number }> {
    const { changes } = parseInput(applyRolesInput, body);
    await this.#requireOwnChannels(
      portalId,
      changes.map((c) => c.channelId),
    );
    await this.db.transaction().execute(async (trx) => {
      for (const c of changes) {
        const receivesNew = c.salesRep && c.receivesNew;
        if (!c.qualityControl && !c.salesRep && !c.boss) {
          await trx
            .deleteFrom('channel_roles')
            .where('channel_id', '=', c.channelId)
            .where('user_id', '=', c.userId)
            .execute();
          continue;
        }
        const values = {
          quality_control: c.qualityControl,
          sales_rep: c.salesRep,
          receives_new: receivesNew,
          boss: c.boss,
          user_name: c.userName,
        };
        await trx
          .insertInto('channel_roles')
          .values({ portal_id: portalId, channel_id: c.channelId, user_id: c.userId, ...values })
          .onConflict((oc) =>
            oc.columns(['channel_id', 'user_id']).doUpdateSet({ ...values, updated_at: sql`now()` }),
          )
          .execute();
      }
    });
    return { applied: changes.length };
  }

  async setCrm(portalId: number, channelId: string, body: unknown) {
    const i = parseInput(crmSettingsInput, body);
    await this.#requireOwnChannels(portalId, [channelId]);
    const values = {
      entity: i.entity,
      category_id: i.entity === 'deal' ? (i.categoryId ?? 0) : null,
      stage_id: i.stageId ?? null,
    };
    await this.db
      .insertInto('channel_crm_settings')
      .values({ channel_id: channelId, portal_id: portalId, ...values })
      .onConflict((oc) => oc.column('channel_id').doUpdateSet({ ...values, updated_at: sql`now()` }))
      .execute();
    return { channelId, entity: values.entity, categoryId: values.category_id, stageId: values.stage_id };
  }

  /** Whether this caller may use an app action: admins always, others by their roles on any channel. */
  async can(p: ApiPrincipal, action: AppAction): Promise<boolean> {
    if (p.admin) return true;
    if (p.userId === null) return false;
    const row = await this.db
      .selectFrom('channel_roles')
      .select('user_id')
      .where('portal_id', '=', p.portalId)
      .where('user_id', '=', p.userId)
      .where((eb) => eb.or(ACTION_ROLES[action].map((r) => eb(r, '=', true))))
      .executeTakeFirst();
    return !!row;
  }

  async require(p: ApiPrincipal, action: AppAction): Promise<void> {
    if (!(await this.can(p, action))) throw new ForbiddenError('Your chat role does not allow this');
  }

  /**
   * Who gets a new customer's chat on this channel: the CRM responsible when the customer is known
   * and still a sales representative of the channel; otherwise the next sales representative marked
   * "receives new clients", round-robin (the position is kept per channel and moved under a row lock,
   * so two instances never hand out the same turn). Null when nobody is marked.
   * For the relay: call it at first contact and pass the result as the chat's responsible user.
   */
  async pickResponsible(channelId: string, crmResponsibleId?: number | null): Promise<number | null> {
    return this.db.transaction().execute(async (trx) => {
      const ch = await trx
        .selectFrom('channels')
        .select(['id', 'portal_id'])
        .where('id', '=', channelId)
        // Serializes round-robin turns without blocking inserts that reference the channel.
        .forNoKeyUpdate()
        .executeTakeFirst();
      if (!ch) return null;
      const reps = await trx
        .selectFrom('channel_roles')
        .select(['user_id', 'receives_new'])
        .where('channel_id', '=', channelId)
        .where('sales_rep', '=', true)
        .orderBy('user_id')
        .execute();
      if (crmResponsibleId && reps.some((r) => r.user_id === crmResponsibleId)) return crmResponsibleId;
      const pool = reps.filter((r) => r.receives_new).map((r) => r.user_id);
      const first = pool[0];
      if (first === undefined) return null;
      const st = await trx
        .selectFrom('channel_crm_settings')
        .select('rr_last_user_id')
        .where('channel_id', '=', channelId)
        .executeTakeFirst();
      const last = st?.rr_last_user_id ?? 0;
      const next = pool.find((u) => u > last) ?? first;
      await trx
        .insertInto('channel_crm_settings')
        .values({ channel_id: channelId, portal_id: ch.portal_id, rr_last_user_id: next })
        .onConflict((oc) =>
          oc.column('channel_id').doUpdateSet({ rr_last_user_id: next, updated_at: sql`now()` }),
        )
        .execute();
      return next;
    });
  }

  /**
   * A new customer in the CRM as the channel's settings say: a lead (with its status) or a deal in the
   * chosen pipeline and stage, assigned to `responsibleId`. Returns the entity and its id.
   */
  async createCustomerRecord(
    portalId: number,
    channelId: string,
    customer: { name: string; phone: string },
    responsibleId: number | null,
  ): Promise<{ entity: 'lead' | 'deal'; id: number }> {
    const st = await this.db
      .selectFrom('channel_crm_settings')
      .select(['entity', 'category_id', 'stage_id'])
      .where('portal_id', '=', portalId)
      .where('channel_id', '=', channelId)
      .executeTakeFirst();
    const entity = st?.entity ?? 'lead';
    const title = `WhatsApp: ${customer.name || customer.phone}`;
    const fields: Record<string, unknown> =
      entity === 'lead'
        ? {
            TITLE: title,
            NAME: customer.name,
            PHONE: [{ VALUE: `+${customer.phone}`, VALUE_TYPE: 'WORK' }],
            SOURCE_ID: 'WHATSAPP',
            ...(st?.stage_id ? { STATUS_ID: st.stage_id } : {}),
          }
        : {
            TITLE: title,
            CATEGORY_ID: st?.category_id ?? 0,
            ...(st?.stage_id ? { STAGE_ID: st.stage_id } : {}),
          };
    if (responsibleId) fields.ASSIGNED_BY_ID = responsibleId;
    // Background work (chat.assign): Bitrix24's own error goes to the job, which decides on retries.
    // Background: only the chat.assign job creates records, and it gives way to message delivery.
    const id = newId.parse(
      await this.bitrix.call(portalId, `crm.${entity}.add`, { fields }, { background: true }),
    );
    return { entity, id };
  }
}
