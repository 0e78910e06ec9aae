/** What notifications need from the templates module: the portal's template, to check a report's choice. */
export interface NotificationTemplates {
  find(
    portalId: number,
    id: string,
  ): Promise<{ display_name: string; status: string; params: unknown } | undefined>;
}

/** The portal's CRM companies a group may hear about, found by part of their title (50 at most). */
export interface NotificationCompanies {
  search(portalId: number, title: string): Promise<Array<{ id: number; title: string }>>;
}
