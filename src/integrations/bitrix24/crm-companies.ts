import { z } from 'zod';
import type { NotificationCompanies } from '../../modules/notifications/ports.js';
import { INT_MAX } from '../../shared/validate.js';
import type { Bitrix24Client } from './bitrix24.client.js';
import { politely } from './rate-retry.js';

/**
 * The portal's CRM companies for a notification group's "Empresas" (b24restdocs
 * crm/companies/crm-company-list.md): one page of 50 whose title contains the text (`%TITLE`),
 * sorted by title, read with the portal's tokens while an admin waits.
 */
const company = z
  .object({ ID: z.coerce.number().int().positive().max(INT_MAX), TITLE: z.string().nullish() })
  .loose();

export class Bitrix24Companies implements NotificationCompanies {
  constructor(private readonly client: Bitrix24Client) {}

  async search(portalId: number, title: string) {
    const filter: Record<string, unknown> = title ? { '%TITLE': title } : {};
    const rows = z.array(company).parse(
      await politely(() =>
        this.client.call(portalId, 'crm.company.list', {
          filter,
          select: ['ID', 'TITLE'],
          order: { TITLE: 'ASC' },
        }),
      ),
    );
    return rows.map((r) => ({ id: r.ID, title: r.TITLE ?? '' }));
  }
}
