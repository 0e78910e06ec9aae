import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { DB, JobRow } from '../../shared/db/schema.js';
import { ProviderError } from '../../shared/errors.js';
import type { JobHandler, JobOutcome } from '../../jobs/worker.js';
import type { TraceStep } from '../trace/trace-steps.js';
import { writeTrace } from '../trace/trace.service.js';
import type { Crm, OpenLines } from './ports.js';
import type { CrmEntity, RolesRepository } from './roles.repository.js';
import type { RolesService } from './roles.service.js';

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
 * 2. A new customer gets a contact with the phone and name (so the next lookup by phone finds him,
 *    whichever channel he writes to), then a lead or a deal as the channel's CRM settings say, linked
 *    to that contact; both assigned to that person.
 * 3. The chat is handed to that person (imopenlines.operator.transfer).
 * 4. Once the assignment is recorded, whether Bitrix24 has the chat bound to the customer's record is
 *    read back (imopenlines.crm.chat.get) and traced, once, best effort. No REST method binds an
 *    existing record to an open-line chat (b24restdocs imopenlines/openlines/chats: get, getLastId,
 *    user.add, user.delete; the core's method list has none either): an unbound chat is traced with
 *    the record an agent can link by hand.
 *
 * Each create is marked on the conversation before the call and recorded after it: a job that finds
 * a mark without its answer looks the customer up by phone instead of creating again.
 *
 * Passing faults throw and the worker retries (ProviderError decides retryable/throttled). A refusal
 * that will not change (Bitrix24 answers 4xx: not an operator of the line, no CRM access…) is traced
 * WARN and the step is over: the chat is never held up by it. The trace names no one and shows no
 * full phone number.
 */

const payload = z.object({
  conversationId: z.number().int().positive(),
  chatId: z.number().int().positive(),
});

interface Found {
  entity: CrmEntity;
  id: number;
  responsible: number | null;
}

type Trace = (step: TraceStep, detail: string, level?: 'INFO' | 'WARN', code?: string) => Promise<void>;

/** One conversation's assignment as it goes: what is decided so far, and its trace. */
interface Assignment {
  conversationId: number;
  chatId: number;
  portalId: number;
  channelId: string;
  customer: { name: string; phone: string };
  contactStarted: boolean;
  contactId: number | null;
  createStarted: boolean;
  responsible: number | null;
  entity: CrmEntity | null;
  entityId: number | null;
  trace: Trace;
}

/** A 4xx answer from Bitrix24: asking again will not change it. */
const refused = (err: unknown): err is ProviderError => err instanceof ProviderError && !err.retryable;

type ByPhone = Awaited<ReturnType<Crm['findByPhone']>>;

/** The lowest id of a list (the oldest record); undefined when empty. */
const oldest = (list: number[]) => (list.length ? Math.min(...list) : undefined);

/** The customer's record to go by: a contact first, else a lead, else a company (lowest id of each). */
function firstMatch(found: ByPhone) {
  const contact = oldest(found.contact);
  const lead = oldest(found.lead);
  const company = oldest(found.company);
  if (contact !== undefined) return { entity: 'contact', id: contact } as const;
  if (lead !== undefined) return { entity: 'lead', id: lead } as const;
  if (company !== undefined) return { entity: 'company', id: company } as const;
  return null;
}

export class AssignService {
  constructor(
    private readonly o: {
      /** For the trace only (trace.service.ts). */
      db: Kysely<DB>;
      repo: RolesRepository;
      crm: Crm;
      lines: OpenLines;
      roles: RolesService;
    },
  ) {}

  job(): JobHandler {
    return {
      run: (job) => this.#run(job),
      onDead: async (job, error) => {
        if (job.portal_id === null) return;
        const p = job.payload as { channelId?: unknown; conversationId?: unknown };
        await writeTrace(this.o.db, {
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
    const c = await this.o.repo.conversationToAssign(conversationId);
    if (!c) return { kind: 'dead', error: 'conversation not found' };
    if (c.portal_status === 'uninstalled') return { kind: 'cancel', reason: 'portal uninstalled' };
    if (c.assigned_at) return { kind: 'done' };
    const { portal_id: portalId, channel_id: channelId } = c;
    const a: Assignment = {
      conversationId,
      chatId,
      portalId,
      channelId,
      customer: { name: c.customer_name ?? '', phone: c.customer_phone },
      contactStarted: c.crm_contact_started_at !== null,
      contactId: c.crm_contact_id,
      createStarted: c.crm_create_started_at !== null,
      responsible: c.assigned_user_id,
      entity: c.crm_entity,
      entityId: c.crm_entity_id,
      trace: (step, detail, level = 'INFO', code) =>
        writeTrace(this.o.db, {
          portalId,
          channelId,
          direction: 'in',
          step,
          level,
          code: code ?? null,
          detail: `conversation ${conversationId}: ${detail}`,
        }),
    };
    // 1. Decide who gets the chat (once: a retry must not take another round-robin turn).
    const to = a.responsible ?? (await this.#decide(a));
    if (to === null) return { kind: 'done' };
    // 2. A new customer's contact, then his record. `crm_entity` set means the step is over (id
    //    null: refused).
    if (a.entity === null) {
      await this.#ensureContact(a);
      if (a.createStarted) await this.#reconcileRecord(a);
      if (a.entity === null) await this.#createRecord(a);
    }
    // 3. Hand the open-line chat over (the assignment is then recorded: no retry comes back).
    await this.#transfer(a, to);
    // 4. Is the chat bound to the record in Bitrix24?
    await this.#checkChatBinding(a);
    return { kind: 'done' };
  }

  /** Step 1: who gets the chat; null when the assignment is over without anybody (Bitrix24's queue decides). */
  async #decide(a: Assignment): Promise<number | null> {
    const reps = await this.o.repo.salesReps(a.channelId);
    if (reps.length === 0) {
      await a.trace('assign_skipped', "no sales representatives on this channel: Bitrix24's queue decides");
      await this.o.repo.finish(a.conversationId, null, null, null);
      return null;
    }
    const found = await this.#lookup(a);
    const responsible = await this.o.roles.pickResponsible(a.channelId, found?.responsible ?? null);
    if (responsible === null) {
      await a.trace(
        'assign_skipped',
        `${found ? `known customer (${found.entity} ${found.id})` : 'new customer'}; no sales representative receives new clients: Bitrix24's queue decides`,
      );
      await this.o.repo.finish(a.conversationId, null, found?.entity ?? null, found?.id ?? null);
      return null;
    }
    a.responsible = responsible;
    a.entity = found?.entity ?? null;
    a.entityId = found?.id ?? null;
    await this.o.repo.saveDecision(a.conversationId, responsible, a.entity, a.entityId);
    await a.trace(
      'assign_decided',
      found
        ? `known customer (${found.entity} ${found.id}, CRM responsible ${found.responsible ?? 'none'}) → user ${responsible}`
        : `new customer → user ${responsible} (round-robin)`,
    );
    return responsible;
  }

  /**
   * Step 2, the contact: created at most once. After an unconfirmed crm.contact.add the customer is
   * looked up by phone (a contact carries it) and the contact found is taken; none found, the earlier
   * call made nothing and it is made now. A refusal is traced and the record is made without one.
   */
  async #ensureContact(a: Assignment): Promise<void> {
    if (a.contactId !== null) return;
    if (a.contactStarted) {
      const found = oldest((await this.#byPhone(a))?.contact ?? []);
      if (found !== undefined) {
        a.contactId = found;
        await this.o.repo.saveContact(a.conversationId, found);
        await a.trace('crm_contact_reconciled', `contact ${found} found after an unconfirmed create`);
        return;
      }
    }
    await this.o.repo.markContactStarted(a.conversationId);
    const { name, phone } = a.customer;
    try {
      const id = await this.o.crm.createContact(a.portalId, { name, phone, responsibleId: a.responsible });
      a.contactId = id;
      await this.o.repo.saveContact(a.conversationId, id);
      await a.trace('crm_contact_created', `contact ${id} for user ${a.responsible}`);
    } catch (err) {
      if (!refused(err)) throw err;
      await this.o.repo.saveContact(a.conversationId, null);
      await a.trace('crm_contact_refused', err.message, 'WARN', err.providerCode);
    }
  }

  /**
   * Step 2 after an unconfirmed create. Created at most once: the attempt is marked before the call,
   * and a job that finds the mark looks the customer up by phone instead of creating again (a lead
   * carries the phone). A deal carries none, so an unconfirmed deal is not created a second time;
   * the trace says so.
   */
  async #reconcileRecord(a: Assignment): Promise<void> {
    // Our own contact has the phone too: only a lead found by phone is the record.
    const lead = oldest((await this.#byPhone(a))?.lead ?? []);
    const st = await this.o.repo.crmSettings(a.channelId);
    if (lead === undefined && st?.entity !== 'deal') return;
    a.entity = lead !== undefined ? 'lead' : 'deal';
    a.entityId = lead ?? null;
    await this.o.repo.saveRecord(a.conversationId, a.entity, a.entityId);
    await a.trace(
      lead !== undefined ? 'crm_record_reconciled' : 'crm_record_unconfirmed',
      lead !== undefined
        ? `lead ${lead} found after an unconfirmed create`
        : 'an earlier create may have made the deal; not created again to avoid a duplicate',
      lead !== undefined ? 'INFO' : 'WARN',
    );
  }

  /** Step 2: the new customer's lead or deal, assigned to the chosen person, linked to his contact. */
  async #createRecord(a: Assignment): Promise<void> {
    await this.o.repo.markCreateStarted(a.conversationId);
    try {
      const rec = await this.o.roles.createCustomerRecord(
        a.portalId,
        a.channelId,
        a.customer,
        a.responsible,
        a.contactId,
      );
      a.entity = rec.entity;
      a.entityId = rec.id;
      await this.o.repo.saveRecord(a.conversationId, a.entity, a.entityId);
      const linked = a.contactId !== null ? `, linked to contact ${a.contactId}` : '';
      await a.trace('crm_record_created', `${rec.entity} ${rec.id} for user ${a.responsible}${linked}`);
    } catch (err) {
      if (!refused(err)) throw err;
      const st = await this.o.repo.crmSettings(a.channelId);
      a.entity = st?.entity ?? 'lead';
      a.entityId = null;
      await this.o.repo.saveRecord(a.conversationId, a.entity, a.entityId);
      await a.trace('crm_record_refused', err.message, 'WARN', err.providerCode);
    }
  }

  /**
   * Step 4: reads which open-line chats Bitrix24 has bound to the customer's record. Nothing to bind
   * with (see the class comment): an unbound chat is traced with the record an agent can link from
   * the chat's CRM panel. Only a reading for the trace: any failure is traced WARN, never retried.
   */
  async #checkChatBinding(a: Assignment): Promise<void> {
    const { entity, entityId: id } = a;
    if (entity === null || id === null) return;
    let chats: number[];
    try {
      chats = await this.o.lines.chatsOf(a.portalId, entity, id);
    } catch (err) {
      const code = err instanceof ProviderError ? err.providerCode : undefined;
      await a.trace('crm_chat_check_failed', err instanceof Error ? err.message : String(err), 'WARN', code);
      return;
    }
    if (chats.includes(a.chatId)) {
      await a.trace('crm_chat_bound', `chat ${a.chatId} is bound to ${entity} ${id}`);
      return;
    }
    await a.trace(
      'crm_chat_unbound',
      `chat ${a.chatId} is not bound to ${entity} ${id} in Bitrix24 (no REST method binds a record to an open-line chat): link it from the chat's CRM panel`,
    );
  }

  /** Step 3. A refusal leaves the chat where Bitrix24's queue put it: nobody is recorded as given it. */
  async #transfer(a: Assignment, to: number): Promise<void> {
    try {
      await this.o.lines.transfer(a.portalId, a.chatId, to);
      await a.trace('chat_transferred', `chat ${a.chatId} → user ${to}`);
    } catch (err) {
      if (!refused(err)) throw err;
      await a.trace(
        'transfer_refused',
        `chat ${a.chatId} → user ${to}: ${err.message}`,
        'WARN',
        err.providerCode,
      );
      await this.o.repo.finish(a.conversationId, null, a.entity, a.entityId);
      return;
    }
    await this.o.repo.finish(a.conversationId, to, a.entity, a.entityId);
  }

  /**
   * The customer in the CRM by phone: a contact first (its responsible read with crm.contact.get),
   * else a lead (crm.lead.get), else a company (no responsible read: round-robin). Null when new.
   * A refusal (no CRM access) is traced and the customer taken as new.
   */
  async #lookup(a: Assignment): Promise<Found | null> {
    const found = await this.#byPhone(a);
    const hit = found ? firstMatch(found) : null;
    if (!hit) return null;
    if (hit.entity === 'company') return { ...hit, responsible: null };
    try {
      return { ...hit, responsible: await this.o.crm.responsibleOf(a.portalId, hit.entity, hit.id) };
    } catch (err) {
      if (!refused(err)) throw err;
      await a.trace('crm_lookup_refused', err.message, 'WARN', err.providerCode);
      return { ...hit, responsible: null };
    }
  }

  /** The customer's contacts, leads and companies by phone; null when Bitrix24 refuses (traced WARN). */
  async #byPhone(a: Assignment): Promise<ByPhone | null> {
    try {
      return await this.o.crm.findByPhone(a.portalId, a.customer.phone);
    } catch (err) {
      if (!refused(err)) throw err;
      await a.trace('crm_lookup_refused', err.message, 'WARN', err.providerCode);
      return null;
    }
  }
}
