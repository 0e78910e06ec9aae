import { z } from 'zod';
import { INT_MAX, parseInput } from '../../shared/validate.js';
import { ForbiddenError, NotFoundError } from '../../shared/errors.js';
import type { ApiPrincipal } from '../tokens/tokens.service.js';
import { upstream } from '../channels/channels.service.js';
import type { Crm, OpenLines, PortalDirectory, UsersQuery } from './ports.js';
import type { RoleChange, RoleColumn, RolesRepository } from './roles.repository.js';

/**
 * Chat roles per channel (C7) and what they allow. Quality control reads every chat of the channel,
 * a sales representative gets his own CRM customers (and, when marked, new ones by round-robin), a
 * boss sees all chats. Only portal admins change roles. The portal's users, departments, open lines
 * and CRM pipelines come from Bitrix24 (ports.ts), called with the portal's own tokens.
 */

const userId = z.coerce.number().int().positive().max(INT_MAX);

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
export type ApplyRolesInput = z.infer<typeof applyRolesInput>;

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

export const usersQuery = z.object({
  search: z.string().trim().max(100).optional(),
  department: z.coerce.number().int().positive().max(INT_MAX).optional(),
  start: z.coerce.number().int().min(0).max(1_000_000).default(0),
});

/** A user's roles on one channel. */
export interface ChannelRoleSet {
  channelId: string;
  qualityControl: boolean;
  salesRep: boolean;
  boss: boolean;
}

/** App actions that roles open (admins may do everything). */
export type AppAction = 'view_channels' | 'view_trace' | 'replay' | 'view_billing' | 'manage_notifications';
const ACTION_ROLES: Record<AppAction, RoleColumn[]> = {
  view_channels: ['quality_control', 'sales_rep', 'boss'],
  view_trace: ['quality_control', 'boss'],
  replay: ['boss'],
  /** Balance, ledger, offer and consumption (billing): admins, and a channel's boss. */
  view_billing: ['boss'],
  /** Scheduled notifications' groups, recipients and settings: admins, and a channel's boss. */
  manage_notifications: ['boss'],
};

/** A Bitrix24 call a person waits on: its faults become our 502/503 answers (channels.service.ts). */
async function answered<T>(fn: () => Promise<T>): Promise<T> {
  let out: T | undefined;
  await upstream(async () => {
    out = await fn();
  });
  return out as T;
}

export class RolesService {
  readonly #lines = new Map<number, { items: Array<{ id: number; name: string }>; until: number }>();

  constructor(
    private readonly repo: RolesRepository,
    private readonly bitrix: { users: PortalDirectory; crm: Crm; lines: OpenLines },
  ) {}

  /** One page (Bitrix24's fixed size) of active employees, by name and department. */
  async users(portalId: number, query: UsersQuery) {
    return answered(() => this.bitrix.users.page(portalId, query));
  }

  async departments(portalId: number) {
    return answered(() => this.bitrix.users.departments(portalId));
  }

  /** The portal's open lines, remembered a minute (every tab shows them; Bitrix24 allows 2 calls/s). */
  async lines(portalId: number) {
    const hit = this.#lines.get(portalId);
    if (hit && hit.until > Date.now()) return hit.items;
    const items = await answered(() => this.bitrix.lines.list(portalId));
    if (this.#lines.size > 10_000) this.#lines.clear();
    this.#lines.set(portalId, { items, until: Date.now() + 60_000 });
    return items;
  }

  /** Deal pipelines and the stages of each, and the lead statuses. */
  async crmPipelines(portalId: number) {
    return answered(() => this.bitrix.crm.pipelines(portalId));
  }

  async list(portalId: number) {
    const [roles, crm] = await Promise.all([
      this.repo.rolesOfPortal(portalId),
      this.repo.crmSettingsOfPortal(portalId),
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
    if ((await this.repo.countLiveChannels(portalId, wanted)) !== wanted.length) {
      throw new NotFoundError('Channel not found');
    }
  }

  /** Applies a set of changes at once (all or nothing). A user with no role left is removed. */
  async apply(portalId: number, input: ApplyRolesInput): Promise<{ applied: number }> {
    const { changes } = input;
    await this.#requireOwnChannels(
      portalId,
      changes.map((c) => c.channelId),
    );
    const rows = changes.map((c): RoleChange => ({
      channelId: c.channelId,
      userId: c.userId,
      set:
        !c.qualityControl && !c.salesRep && !c.boss
          ? null
          : {
              quality_control: c.qualityControl,
              sales_rep: c.salesRep,
              receives_new: c.salesRep && c.receivesNew,
              boss: c.boss,
              user_name: c.userName,
            },
    }));
    await this.repo.saveRoles(portalId, rows);
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
    await this.repo.saveCrmSettings(portalId, channelId, values);
    return { channelId, entity: values.entity, categoryId: values.category_id, stageId: values.stage_id };
  }

  /** Whether this caller may use an app action: admins always, others by their roles on any channel. */
  async can(p: ApiPrincipal, action: AppAction): Promise<boolean> {
    if (p.admin) return true;
    if (p.userId === null) return false;
    return this.repo.hasAnyRole(p.portalId, p.userId, ACTION_ROLES[action]);
  }

  /**
   * The caller's roles channel by channel, for rules that depend on the channel (templates). Bearer
   * tokens and page users without a user id hold none; admins need none.
   */
  async channelRoles(p: ApiPrincipal): Promise<ChannelRoleSet[]> {
    if (p.userId === null) return [];
    const rows = await this.repo.channelRolesOf(p.portalId, p.userId);
    return rows.map((r) => ({
      channelId: r.channel_id,
      qualityControl: r.quality_control,
      salesRep: r.sales_rep,
      boss: r.boss,
    }));
  }

  async require(p: ApiPrincipal, action: AppAction): Promise<void> {
    if (!(await this.can(p, action))) throw new ForbiddenError('Your chat role does not allow this');
  }

  /** What the caller's roles open, for the pages to show only what works. */
  async abilities(p: ApiPrincipal) {
    const [viewChannels, viewTrace, replay, viewBilling, manageNotifications] = await Promise.all([
      this.can(p, 'view_channels'),
      this.can(p, 'view_trace'),
      this.can(p, 'replay'),
      this.can(p, 'view_billing'),
      this.can(p, 'manage_notifications'),
    ]);
    return { viewChannels, viewTrace, replay, viewBilling, manageNotifications };
  }

  /**
   * Who gets a new customer's chat on this channel: the CRM responsible when the customer is known
   * and still a sales representative of the channel; otherwise the next sales representative marked
   * "receives new clients", round-robin (the position is kept per channel and moved under a row lock,
   * so two instances never hand out the same turn). Null when nobody is marked.
   * For the relay: call it at first contact and pass the result as the chat's responsible user.
   */
  async pickResponsible(channelId: string, crmResponsibleId?: number | null): Promise<number | null> {
    return this.repo.transaction(async (tx) => {
      const portalId = await tx.lockChannel(channelId);
      if (portalId === undefined) return null;
      const reps = await tx.salesReps(channelId);
      if (crmResponsibleId && reps.some((r) => r.user_id === crmResponsibleId)) return crmResponsibleId;
      const pool = reps.filter((r) => r.receives_new).map((r) => r.user_id);
      const first = pool[0];
      if (first === undefined) return null;
      const last = (await tx.crmSettings(channelId))?.rr_last_user_id ?? 0;
      const next = pool.find((u) => u > last) ?? first;
      await tx.saveTurn(channelId, portalId, next);
      return next;
    });
  }

  /**
   * A new customer in the CRM as the channel's settings say: a lead (with its status) or a deal in the
   * chosen pipeline and stage, assigned to `responsibleId` and linked to the customer's contact when
   * there is one. Returns the entity and its id.
   * Background work (chat.assign): Bitrix24's own error goes to the job, which decides on retries.
   */
  async createCustomerRecord(
    portalId: number,
    channelId: string,
    customer: { name: string; phone: string },
    responsibleId: number | null,
    contactId: number | null = null,
  ): Promise<{ entity: 'lead' | 'deal'; id: number }> {
    const st = await this.repo.crmSettings(channelId, portalId);
    const entity = st?.entity ?? 'lead';
    const id = await this.bitrix.crm.create(portalId, {
      entity,
      title: `WhatsApp: ${customer.name || customer.phone}`,
      name: customer.name,
      phone: customer.phone,
      categoryId: st?.category_id ?? 0,
      stageId: st?.stage_id ?? null,
      responsibleId,
      contactId,
    });
    return { entity, id };
  }
}
