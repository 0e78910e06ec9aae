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
