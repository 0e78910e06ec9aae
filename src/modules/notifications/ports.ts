/** What notifications need from the templates module: the portal's template, to check a report's choice. */
export interface NotificationTemplates {
  find(
    portalId: number,
    id: string,
  ): Promise<{ display_name: string; status: string; params: unknown } | undefined>;
}
