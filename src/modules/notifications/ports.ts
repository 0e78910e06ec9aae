/** What notifications need from the templates module: the portal's template, to check a report's choice. */
export interface NotificationTemplates {
  find(
    portalId: number,
    id: string,
  ): Promise<{ display_name: string; status: string; params: unknown } | undefined>;
}

/**
 * The templates send service (templates/template-send.service.ts) as a digest uses it: a refusal the
 * caller could fix is an AppError with a 4xx status and, for a 400, `issues` with codes.
 */
export interface DigestSender {
  send(input: {
    portalId: number;
    channelId: string;
    to: string;
    templateId: string;
    params: string[];
    clientKey: string;
    origin: { kind: 'notification'; digestId: number };
    lang: 'es' | 'en' | 'pt';
  }): Promise<{ messageId: number }>;
}

/** A deal as the notifications compare it: raw CRM dates kept as written (they make dedupe keys). */
export interface CrmDeal {
  id: number;
  title: string;
  companyId: number | null;
  categoryId: number;
  stageId: string;
  /** When it entered its stage (MOVED_TIME), when the portal has it. */
  movedAt: string | null;
  createdAt: string;
  modifiedAt: string;
  /** The watched fields asked for, as text ('' when empty). */
  fields: Record<string, string>;
}

export interface CrmLead {
  id: number;
  title: string;
  companyId: number | null;
  sourceId: string;
  createdAt: string;
  modifiedAt: string;
}

/** One page of records modified at or after a time, oldest change first; `full` when 50 came back. */
export interface CrmPage<T> {
  items: T[];
  full: boolean;
}

/** What the CRM events need from the portal's CRM (integrations/bitrix24/crm-records.ts). */
export interface CrmRecords {
  /** null when the portal has no such deal (deleted, or not one the app may read). */
  deal(portalId: number, id: number, fields: string[]): Promise<CrmDeal | null>;
  lead(portalId: number, id: number): Promise<CrmLead | null>;
  deals(portalId: number, since: string, start: number, fields: string[]): Promise<CrmPage<CrmDeal>>;
  leads(portalId: number, since: string, start: number): Promise<CrmPage<CrmLead>>;
}

/** The portal's CRM companies a group may hear about, found by part of their title (50 at most). */
export interface NotificationCompanies {
  search(portalId: number, title: string): Promise<Array<{ id: number; title: string }>>;
}
