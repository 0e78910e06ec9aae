import type { Bitrix24Method } from '../catalog.js';
import { z } from 'zod';
import { INT_MAX } from '../../shared/validate.js';
import type { Crm, NewContact, NewCrmRecord } from '../../modules/roles/ports.js';
import type { Bitrix24Client } from './bitrix24.client.js';
import { politely } from './rate-retry.js';

/**
 * The portal's CRM (reference §6.1 crm.*): pipelines and stages for the admin pages, and for chat
 * assignment the customer looked up by phone, the responsible of a record, and a new customer's
 * contact and lead or deal (linked to the contact).
 * Assignment's calls are background work: they give way to message delivery in the rate budget, and
 * Bitrix24's own error goes to the job, which decides on retries.
 */

const BACKGROUND = { background: true } as const;
const id = z.coerce.number().int().positive().max(INT_MAX);
/** crm.contact.add / crm.lead.add / crm.deal.add answer the new id (a number, or a numeric string). */
const newId = id;
const ids = z.array(id);
/** Found ids by type; nothing found is PHP's empty array `[]` (sandbox and cloud alike). */
const duplicates = z.union([
  z.array(z.unknown()).transform(() => ({})),
  z.object({ LEAD: ids.optional(), CONTACT: ids.optional(), COMPANY: ids.optional() }).loose(),
]);
const record = z.object({ ASSIGNED_BY_ID: z.union([id, z.null()]).optional() }).loose();
/** A phone as a `crm_multifield[]` value: E.164 with its plus, a work number. */
const phoneField = (digits: string) => [{ VALUE: `+${digits}`, VALUE_TYPE: 'WORK' }];

export class Bitrix24Crm implements Crm {
  constructor(private readonly client: Bitrix24Client) {}

  /** Lead statuses, and deal pipelines (crm.category.list, entityTypeId 2) with the stages of each. */
  async pipelines(portalId: number) {
    const call = <T>(method: Bitrix24Method, params: Record<string, unknown>) =>
      politely(() => this.client.call<T>(portalId, method, params));
    const cats = await call<{ categories: Array<{ id: number | string; name: string }> }>(
      'crm.category.list',
      {
        entityTypeId: 2,
      },
    );
    // One call for every list (lead statuses and the stages of all pipelines), split here.
    const statuses = await call<Array<{ STATUS_ID: string; NAME: string; ENTITY_ID: string }>>(
      'crm.status.list',
      { order: { SORT: 'ASC' } },
    );
    const stagesOf = (entity: string) =>
      statuses.filter((s) => s.ENTITY_ID === entity).map((s) => ({ id: s.STATUS_ID, name: s.NAME }));
    return {
      leadStages: stagesOf('STATUS'),
      pipelines: cats.categories.map((c) => {
        const id = Number(c.id);
        return { id, name: c.name, stages: stagesOf(id === 0 ? 'DEAL_STAGE' : `DEAL_STAGE_${id}`) };
      }),
    };
  }

  /**
   * crm.lead.add or crm.deal.add; the new record's id. The contact is linked in the same call: a
   * lead's `CONTACT_ID`, a deal's `CONTACT_IDS` (its `CONTACT_ID` is deprecated; b24restdocs
   * crm/leads/crm-lead-add.md, crm/deals/crm-deal-add.md).
   */
  async create(portalId: number, r: NewCrmRecord): Promise<number> {
    const fields: Record<string, unknown> =
      r.entity === 'lead'
        ? {
            TITLE: r.title,
            NAME: r.name,
            PHONE: phoneField(r.phone),
            SOURCE_ID: 'WHATSAPP',
            ...(r.stageId ? { STATUS_ID: r.stageId } : {}),
            ...(r.contactId ? { CONTACT_ID: r.contactId } : {}),
          }
        : {
            TITLE: r.title,
            CATEGORY_ID: r.categoryId,
            ...(r.stageId ? { STAGE_ID: r.stageId } : {}),
            ...(r.contactId ? { CONTACT_IDS: [r.contactId] } : {}),
          };
    if (r.responsibleId) fields.ASSIGNED_BY_ID = r.responsibleId;
    return newId.parse(await this.client.call(portalId, `crm.${r.entity}.add`, { fields }, BACKGROUND));
  }

  /**
   * crm.contact.add (b24restdocs crm/contacts/crm-contact-add.md): the name (the number when WhatsApp
   * gave none) and the phone as a `crm_multifield[]` `PHONE`, which crm.duplicate.findbycomm then
   * finds; the new contact's id.
   */
  async createContact(portalId: number, c: NewContact): Promise<number> {
    const fields: Record<string, unknown> = {
      NAME: c.name || `+${c.phone}`,
      PHONE: phoneField(c.phone),
      SOURCE_ID: 'WHATSAPP',
    };
    if (c.responsibleId) fields.ASSIGNED_BY_ID = c.responsibleId;
    return newId.parse(await this.client.call(portalId, 'crm.contact.add', { fields }, BACKGROUND));
  }

  /** The ids of the contacts, leads and companies with this phone (crm.duplicate.findbycomm). */
  async findByPhone(
    portalId: number,
    phone: string,
  ): Promise<{ contact: number[]; lead: number[]; company: number[] }> {
    const found: {
      LEAD?: number[] | undefined;
      CONTACT?: number[] | undefined;
      COMPANY?: number[] | undefined;
    } = duplicates.parse(
      await this.client.call(
        portalId,
        'crm.duplicate.findbycomm',
        { type: 'PHONE', values: [`+${phone}`] },
        BACKGROUND,
      ),
    );
    return { contact: found.CONTACT ?? [], lead: found.LEAD ?? [], company: found.COMPANY ?? [] };
  }

  /** Who is responsible for a contact or a lead (crm.contact.get, crm.lead.get); null when unreadable. */
  async responsibleOf(portalId: number, entity: 'contact' | 'lead', id: number): Promise<number | null> {
    const r = record.safeParse(await this.client.call(portalId, `crm.${entity}.get`, { id }, BACKGROUND));
    return r.success ? (r.data.ASSIGNED_BY_ID ?? null) : null;
  }
}
