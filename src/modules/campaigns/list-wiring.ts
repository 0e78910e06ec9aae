import type { Deps } from '../../composition-root.js';
import { TemplateAccess } from '../templates/template-access.js';
import { ListsRepository } from './lists.repository.js';
import { ListsService } from './lists.service.js';
import { OptOutsRepository } from './opt-outs.repository.js';
import { OptOutsService } from './opt-outs.service.js';

/** The list and opt-out services the routes use (routes.ts), from the app's dependencies. */
export function buildLists(deps: Deps) {
  const optOutsRepo = new OptOutsRepository(deps.db);
  return {
    lists: new ListsService({
      repo: new ListsRepository(deps.db),
      optOuts: optOutsRepo,
      access: new TemplateAccess(deps.roles),
      portalLang: deps.portalLang,
      limits: deps.config.campaignLists,
    }),
    optOuts: new OptOutsService(optOutsRepo, deps.portalLang),
  };
}
