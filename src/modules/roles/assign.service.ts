import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import type { Bitrix24Client } from '../../integrations/bitrix24/bitrix24.client.js';
import type { DB, JobRow } from '../../shared/db/schema.js';
import { ProviderError } from '../../shared/errors.js';
import type { JobHandler, JobOutcome } from '../../jobs/worker.js';
import { writeTrace } from '../trace/trace.service.js';
import type { RolesService } from './roles.service.js';
import { INT_MAX } from '../../shared/validate.js';

/** Assignment gives way to message delivery in the portal's REST budget. */
const BACKGROUND = { background: true } as const;

/**
 * chat.assign (issue 4: chat roles enforced by the server). Queued once per conversation, in the
 * transaction that records its first message's delivery to Bitrix24 (that is when the open-line chat
 * id is known). Steps, each kept on the conversation so a retry resumes where the last try stopped:
 *
 * 1. Decide. No sales representative on the channel → nothing to do: Bitrix24's own queue and CRM
 *    tracker work as usual. Otherwise the customer is looked up by phone (crm.duplicate.findbycomm):
 *    a known customer goes to the CRM responsible when he is a sales representative of the channel,
 *    anyone else (and every new customer) to the next representative marked "receives new clients"
 *    (RolesService.pickResponsible, round-robin). Nobody marked → nothing transferred, nothing created.
 * 2. A new customer gets a lead or a deal as the channel's CRM settings say, assigned to that person.
 * 3. The chat is handed to that person (imopenlines.operator.transfer).
 *
 * Passing faults throw and the worker retries (ProviderError decides retryable/throttled). A refusal
 * that will not change (Bitrix24 answers 4xx: not an operator of the line, no CRM access…) is traced
 * WARN and the step is over: the chat is never held up by it. The trace names no one and shows no
 * full phone number.
 */

const ids = z.array(z.coerce.number().int().positive().max(INT_MAX));
/** Found ids by type; nothing found is PHP's empty array `[]` (sandbox and cloud alike). */
const duplicates = z.union([
  z.array(z.unknown()).transform(() => ({})),
  z.object({ LEAD: ids.optional(), CONTACT: ids.optional(), COMPANY: ids.optional() }).loose(),
]);
const record = z
  .object({ ASSIGNED_BY_ID: z.union([z.coerce.number().int().positive().max(INT_MAX), z.null()]).optional() })
  .loose();
const payload = z.object({
  conversationId: z.number().int().positive(),
  chatId: z.number().int().positive(),
});

type CrmEntity = 'lead' | 'deal' | 'contact' | 'company';
interface Found {
  entity: CrmEntity;
  id: number;
  responsible: number | null;
}

/** A 4xx answer from Bitrix24: asking again will not change it. */
const refused = (err: unknown): err is ProviderError => err instanceof ProviderError && !err.retryable;

export class AssignService {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly bitrix: Bitrix24Client,
    private readonly roles: RolesService,
  ) {}

  job(): JobHandler {
    return {
      run: (job) => this.#run(job),
      onDead: async (job, error) => {
        if (job.portal_id === null) return;
        const p = job.payload as { channelId?: unknown; conversationId?: unknown };
        await writeTrace(this.db, {
          portalId: job.portal_id,
          channelId: typeof p.channelId === 'string' ? p.channelId : null,
          direction: 'in',
          step: 'assign_failed',
          level: 'ERROR',
          detail: `conversation ${String(p.conversationId)}: ${error}`,
        });
      },
    };
  }

  async #run(job: JobRow): Promise<JobOutcome> {
    const p = payload.safeParse(job.payload);
    if (!p.success) return { kind: 'dead', error: 'chat.assign: unreadable payload' };
    const { conversationId, chatId } = p.data;
    const c = await this.db
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
        'portals.status as portal_status',
      ])
      .where('conversations.id', '=', conversationId)
      .executeTakeFirst();
    if (!c) return { kind: 'dead', error: 'conversation not found' };
    if (c.portal_status === 'uninstalled') return { kind: 'cancel', reason: 'portal uninstalled' };
    if (c.assigned_at) return { kind: 'done' };
    const portalId = c.portal_id;
    const channelId = c.channel_id;
    const trace = (step: string, detail: string, level: 'INFO' | 'WARN' = 'INFO', code?: string) =>
      writeTrace(this.db, {
        portalId,
        channelId,
        direction: 'in',
        step,
        level,
        code: code ?? null,
        detail: `conversation ${conversationId}: ${detail}`,
      });

    // 1. Decide who gets the chat (once: a retry must not take another round-robin turn).
    let responsible = c.assigned_user_id;
    let entity = c.crm_entity;
    let entityId = c.crm_entity_id;
    if (responsible === null) {
      const reps = await this.db
        .selectFrom('channel_roles')
        .select('user_id')
        .where('channel_id', '=', channelId)
        .where('sales_rep', '=', true)
        .execute();
      if (reps.length === 0) {
        await trace('assign_skipped', "no sales representatives on this channel: Bitrix24's queue decides");
        await this.#finish(conversationId, null, null, null);
        return { kind: 'done' };
      }
      const found = await this.#lookup(portalId, c.customer_phone, trace);
      responsible = await this.roles.pickResponsible(channelId, found?.responsible ?? null);
      if (responsible === null) {
        await trace(
          'assign_skipped',
          `${found ? `known customer (${found.entity} ${found.id})` : 'new customer'}; no sales representative receives new clients: Bitrix24's queue decides`,
        );
        await this.#finish(conversationId, null, found?.entity ?? null, found?.id ?? null);
        return { kind: 'done' };
      }
      entity = found?.entity ?? null;
      entityId = found?.id ?? null;
      await this.db
        .updateTable('conversations')
        .set({ assigned_user_id: responsible, crm_entity: entity, crm_entity_id: entityId })
        .where('id', '=', conversationId)
        .execute();
      await trace(
        'assign_decided',
        found
          ? `known customer (${found.entity} ${found.id}, CRM responsible ${found.responsible ?? 'none'}) → user ${responsible}`
          : `new customer → user ${responsible} (round-robin)`,
      );
    }

    // 2. A new customer's CRM record. `crm_entity` set means the step is over (id null: refused).
    // Created at most once: the attempt is marked before the call, and a job that finds the mark
    // looks the customer up by phone instead of creating again (a lead carries the phone). A deal
    // carries none, so an unconfirmed deal is not created a second time; the trace says so.
    if (entity === null && c.crm_create_started_at) {
      const found = await this.#lookup(portalId, c.customer_phone, trace);
      const st = await this.db
        .selectFrom('channel_crm_settings')
        .select('entity')
        .where('channel_id', '=', channelId)
        .executeTakeFirst();
      if (found || st?.entity === 'deal') {
        entity = found?.entity ?? 'deal';
        entityId = found?.id ?? null;
        await this.#saveRecord(conversationId, entity, entityId);
        await trace(
          found ? 'crm_record_reconciled' : 'crm_record_unconfirmed',
          found
            ? `${found.entity} ${found.id} found after an unconfirmed create`
            : 'an earlier create may have made the deal; not created again to avoid a duplicate',
          found ? 'INFO' : 'WARN',
        );
      }
    }
    if (entity === null) {
      await this.db
        .updateTable('conversations')
        .set({ crm_create_started_at: sql`now()` })
        .where('id', '=', conversationId)
        .execute();
      try {
        const rec = await this.roles.createCustomerRecord(
          portalId,
          channelId,
          { name: c.customer_name ?? '', phone: c.customer_phone },
          responsible,
        );
        entity = rec.entity;
        entityId = rec.id;
        await this.#saveRecord(conversationId, entity, entityId);
        await trace('crm_record_created', `${rec.entity} ${rec.id} for user ${responsible}`);
      } catch (err) {
        if (!refused(err)) throw err;
        const st = await this.db
          .selectFrom('channel_crm_settings')
          .select('entity')
          .where('channel_id', '=', channelId)
          .executeTakeFirst();
        entity = st?.entity ?? 'lead';
        entityId = null;
        await this.#saveRecord(conversationId, entity, entityId);
        await trace('crm_record_refused', err.message, 'WARN', err.providerCode);
      }
    }

    // 3. Hand the open-line chat over.
    try {
      await this.bitrix.call(
        portalId,
        'imopenlines.operator.transfer',
        { CHAT_ID: chatId, TRANSFER_ID: responsible },
        BACKGROUND,
      );
      await trace('chat_transferred', `chat ${chatId} → user ${responsible}`);
    } catch (err) {
      if (!refused(err)) throw err;
      await trace(
        'transfer_refused',
        `chat ${chatId} → user ${responsible}: ${err.message}`,
        'WARN',
        err.providerCode,
      );
      // The chat stays where Bitrix24's queue put it: nobody is recorded as having been given it.
      await this.#finish(conversationId, null, entity, entityId);
      return { kind: 'done' };
    }
    await this.#finish(conversationId, responsible, entity, entityId);
    return { kind: 'done' };
  }

  /**
   * The customer in the CRM by phone: a contact first (its responsible read with crm.contact.get),
   * else a lead (crm.lead.get), else a company (no responsible read: round-robin). Null when new.
   * A refusal (no CRM access) is traced and the customer taken as new.
   */
  async #lookup(
    portalId: number,
    phone: string,
    trace: (step: string, detail: string, level?: 'INFO' | 'WARN', code?: string) => Promise<void>,
  ): Promise<Found | null> {
    let found: {
      LEAD?: number[] | undefined;
      CONTACT?: number[] | undefined;
      COMPANY?: number[] | undefined;
    };
    try {
      found = duplicates.parse(
        await this.bitrix.call(
          portalId,
          'crm.duplicate.findbycomm',
          { type: 'PHONE', values: [`+${phone}`] },
          BACKGROUND,
        ),
      );
    } catch (err) {
      if (!refused(err)) throw err;
      await trace('crm_lookup_refused', err.message, 'WARN', err.providerCode);
      return null;
    }
    const pick = (list: number[] | undefined) => (list?.length ? Math.min(...list) : undefined);
    const contact = pick(found.CONTACT);
    const lead = pick(found.LEAD);
    const company = pick(found.COMPANY);
    const hit: { entity: CrmEntity; id: number } | null =
      contact !== undefined
        ? { entity: 'contact', id: contact }
        : lead !== undefined
          ? { entity: 'lead', id: lead }
          : company !== undefined
            ? { entity: 'company', id: company }
            : null;
    if (!hit) return null;
    if (hit.entity === 'company') return { ...hit, responsible: null };
    try {
      const r = record.safeParse(
        await this.bitrix.call(portalId, `crm.${hit.entity}.get`, { id: hit.id }, BACKGROUND),
      );
      return { ...hit, responsible: r.success ? (r.data.ASSIGNED_BY_ID ?? null) : null };
    } catch (err) {
      if (!refused(err)) throw err;
      await trace('crm_lookup_refused', err.message, 'WARN', err.providerCode);
      return { ...hit, responsible: null };
    }
  }

  async #saveRecord(conversationId: number, entity: CrmEntity, entityId: number | null): Promise<void> {
    await this.db
      .updateTable('conversations')
      .set({ crm_entity: entity, crm_entity_id: entityId, crm_create_started_at: null })
      .where('id', '=', conversationId)
      .execute();
  }

  async #finish(
    conversationId: number,
    userId: number | null,
    entity: CrmEntity | null,
    entityId: number | null,
  ): Promise<void> {
    await this.db
      .updateTable('conversations')
      .set({
        assigned_user_id: userId,
        assigned_at: sql`now()`,
        crm_entity: entity,
        crm_entity_id: entityId,
      })
      .where('id', '=', conversationId)
      .execute();
  }
}
