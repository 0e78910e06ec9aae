/**
 * What the roles module needs from the portal's Bitrix24 (src/integrations/bitrix24/users.ts, crm.ts,
 * openlines.ts); the composition root hands in the real ones. Adapter errors are ProviderErrors: a
 * retryable one is a passing fault, any other a refusal that will not change.
 */

export interface PortalUser {
  id: number;
  name: string;
  position: string;
  departments: number[];
}

export interface UsersQuery {
  search?: string | undefined;
  department?: number | undefined;
  start: number;
}

/** The portal's employees and departments. */
export interface PortalDirectory {
  /** One page of active employees; `next` is the next page's start, null on the last one. */
  page(portalId: number, q: UsersQuery): Promise<{ items: PortalUser[]; next: number | null }>;
  departments(portalId: number): Promise<Array<{ id: number; name: string; parent: number | null }>>;
}

export interface OpenLines {
  list(portalId: number): Promise<Array<{ id: number; name: string }>>;
  /** Hands an open-line chat to a user (background work). */
  transfer(portalId: number, chatId: number, userId: number): Promise<void>;
  /** Hands an open-line chat to another line's queue (background work). */
  transferToLine(portalId: number, chatId: number, lineId: number): Promise<void>;
  /** The open-line chats Bitrix24 has bound to a CRM record, active or not (background work). */
  chatsOf(portalId: number, entity: CrmEntity, id: number): Promise<number[]>;
}

export type CrmEntity = 'lead' | 'deal' | 'contact' | 'company';

export interface Stage {
  id: string;
  name: string;
}

/** What a new customer's record is made of (the channel's CRM settings and the chosen person). */
export interface NewCrmRecord {
  entity: 'lead' | 'deal';
  title: string;
  name: string;
  /** Digits only, country code first. */
  phone: string;
  /** A deal's pipeline (0: the default one). */
  categoryId: number;
  /** A lead's status or a deal's stage; null: Bitrix24's first. */
  stageId: string | null;
  responsibleId: number | null;
  /** The customer's contact, linked to the record; null when there is none. */
  contactId: number | null;
}

/** A new customer's contact: the name and the phone the next lookup finds. */
export interface NewContact {
  name: string;
  /** Digits only, country code first. */
  phone: string;
  responsibleId: number | null;
}

export interface Crm {
  /** Lead statuses, and the deal pipelines with their stages. */
  pipelines(portalId: number): Promise<{
    leadStages: Stage[];
    pipelines: Array<{ id: number; name: string; stages: Stage[] }>;
  }>;
  /** A new lead or deal (background work); its id. */
  create(portalId: number, r: NewCrmRecord): Promise<number>;
  /** A new contact with the customer's phone and name (background work); its id. */
  createContact(portalId: number, c: NewContact): Promise<number>;
  /** The ids of the contacts, leads and companies with this phone (background work). */
  findByPhone(
    portalId: number,
    phone: string,
  ): Promise<{ contact: number[]; lead: number[]; company: number[] }>;
  /** Who is responsible for a contact or a lead; null when not readable (background work). */
  responsibleOf(portalId: number, entity: 'contact' | 'lead', id: number): Promise<number | null>;
}
