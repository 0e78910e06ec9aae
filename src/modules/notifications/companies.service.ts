import { upstream } from '../channels/channels.service.js';
import type { NotificationCompanies } from './ports.js';

/**
 * The CRM companies a group may hear about (the seed's "2- Empresas"), searched by part of their
 * title while an admin waits: Bitrix24's faults become a clear 503/502, as the other admin actions.
 */
export class CompaniesService {
  constructor(private readonly crm: NotificationCompanies) {}

  async search(portalId: number, text: string): Promise<{ companies: Array<{ id: number; title: string }> }> {
    let companies: Array<{ id: number; title: string }> = [];
    await upstream(async () => {
      companies = await this.crm.search(portalId, text);
    });
    return { companies };
  }
}
