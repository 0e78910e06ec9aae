import type { Bitrix24Client } from '../../integrations/bitrix24/bitrix24.client.js';
import { Bitrix24CrmLists } from '../../integrations/bitrix24/crm-lists.js';
import type { JobHandler } from '../../jobs/worker.js';
import type { Database } from '../../shared/db/database.js';
import type { Lang } from '../../shared/i18n.js';
import type { CampaignsService } from './campaigns.service.js';
import { CRM_LIST_TOPIC, CrmListService } from './crm-list.js';
import { ListsRepository } from './lists.repository.js';
import { ListsService, type ListLimits } from './lists.service.js';
import { OptOutsRepository } from './opt-outs.repository.js';
import { OptOutsService } from './opt-outs.service.js';

/** Campaign lists and opt-outs: the services the routes use and the CRM list's job (composition-root.ts). */
export function buildCampaignLists(o: {
  db: Database;
  bitrix: Bitrix24Client;
  campaigns: Pick<CampaignsService, 'scope' | 'find'>;
  portalLang: (portalId: number) => Promise<Lang>;
  limits: ListLimits;
  nudge: () => void;
}) {
  const repo = new ListsRepository(o.db);
  const optOutsRepo = new OptOutsRepository(o.db);
  const lists = new ListsService({
    repo,
    optOuts: optOutsRepo,
    access: o.campaigns,
    portalLang: o.portalLang,
    limits: o.limits,
  });
  const crm = new CrmListService({
    repo,
    lists,
    crm: new Bitrix24CrmLists(o.bitrix),
    maxRows: o.limits.maxRows,
    nudge: o.nudge,
  });
  const jobs: Record<string, JobHandler> = { [CRM_LIST_TOPIC]: crm.job() };
  return { lists, crm, optOuts: new OptOutsService(optOutsRepo, o.portalLang), jobs };
}

/** The inbound delivery's hook: texts that are only a stop keyword record an opt-out. */
export function inboundOptOuts(db: Database) {
  const optOuts = new OptOutsService(new OptOutsRepository(db), () => Promise.resolve('es' as const));
  return (texts: Parameters<OptOutsService['fromInbound']>[0]) => optOuts.fromInbound(texts);
}

export type CampaignLists = ReturnType<typeof buildCampaignLists>;
