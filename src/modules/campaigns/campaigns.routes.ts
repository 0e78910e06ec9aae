import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { sendCsv } from '../billing/billing.routes.js';
import type { PortalLanguage } from '../templates/ports.js';
import { callerLang } from '../templates/templates.routes.js';
import { principal } from '../tokens/api-auth.js';
import { CAMPAIGN_ACTIONS } from './campaign-model.js';
import { createInput, idParam, listQuery, patchInput, reportQuery } from './campaigns.schemas.js';
import type { CampaignsService } from './campaigns.service.js';
import type { ReportService } from './report.service.js';

export interface CampaignsRoutesOptions {
  campaigns: CampaignsService;
  reports: ReportService;
  portalLang: PortalLanguage;
}

const tags = ['campaigns'];

/**
 * Campaigns in the JSON API (inside the /api/v1 auth scope; docs/campaigns.md): the campaign, its
 * state changes, its report and per-row export. A caller who runs no channel's campaigns (not an
 * admin, boss of no channel) gets 403 before the input is looked at; then the input (400), the
 * campaign (404, or 403 when it is another channel's) and its state (409 with the reason).
 */
export const campaignsRoutes: FastifyPluginAsyncZod<CampaignsRoutesOptions> = async (app, o) => {
  const c = o.campaigns;
  const allowed = async (req: FastifyRequest) => void (await c.scope(principal(req)));
  const lang = (req: FastifyRequest) => callerLang(req, o.portalLang);
  const byId = { tags, params: idParam };

  app.post(
    '/campaigns',
    { preValidation: allowed, schema: { tags, summary: 'Create a campaign (draft)', body: createInput } },
    async (req, reply) => reply.status(201).send(await c.create(principal(req), req.body, await lang(req))),
  );
  app.get(
    '/campaigns',
    {
      preValidation: allowed,
      schema: { tags, summary: 'The campaigns, newest first, 20 a page', querystring: listQuery },
    },
    async (req) => c.list(principal(req), req.query),
  );
  app.get(
    '/campaigns/:id',
    { preValidation: allowed, schema: { ...byId, summary: 'One campaign with its counts' } },
    async (req) => c.get(principal(req), req.params.id),
  );
  app.patch(
    '/campaigns/:id',
    {
      preValidation: allowed,
      schema: { ...byId, summary: 'Change a draft campaign (409 once started)', body: patchInput },
    },
    async (req) => c.update(principal(req), req.params.id, req.body, await lang(req)),
  );
  app.delete(
    '/campaigns/:id',
    {
      preValidation: allowed,
      schema: { ...byId, summary: 'Delete a draft, finished or cancelled campaign' },
    },
    async (req, reply) => {
      await c.remove(principal(req), req.params.id, await lang(req));
      return reply.status(204).send();
    },
  );
  for (const action of CAMPAIGN_ACTIONS) {
    app.post(
      `/campaigns/:id/${action}`,
      {
        preValidation: allowed,
        schema: { ...byId, summary: `${action[0]!.toUpperCase()}${action.slice(1)} the campaign` },
      },
      async (req) => c.act(principal(req), req.params.id, action, await lang(req)),
    );
  }
  app.get(
    '/campaigns/:id/report',
    {
      preValidation: allowed,
      schema: { ...byId, querystring: reportQuery, summary: 'Funnel, failures by code, progress and pace' },
    },
    async (req) => {
      const found = await c.find(principal(req), req.params.id);
      return o.reports.report(found, req.query.lang ?? (await lang(req)));
    },
  );
  app.get(
    '/campaigns/:id/rows.csv',
    { preValidation: allowed, schema: { ...byId, summary: 'Every row with its status (CSV)' } },
    async (req, reply) => sendCsv(reply, o.reports.rowsCsv(await c.find(principal(req), req.params.id))),
  );
};
