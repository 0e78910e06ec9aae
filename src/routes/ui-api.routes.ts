import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Deps } from '../composition-root.js';
import { adminPortal, principal } from '../modules/tokens/api-auth.js';
import type { AppAction } from '../modules/roles/roles.service.js';
import { allowedPortal } from '../modules/roles/access.js';
import { staticBearer } from '../shared/bearer.js';
import { lineIdInput, parseInput } from '../shared/validate.js';

/**
 * JSON API routes the admin pages need beyond the integrator contract (SPEC "HTTP surface"): they sit
 * under /api/v1 behind the same auth (bearer token or the page's frontend auth). Changes are for
 * portal admins; reading follows the caller's chat roles.
 */

const lineParam = z.object({ line: lineIdInput });
const idParam = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

export const uiApiRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  const admin = adminPortal;
  const may = (req: FastifyRequest, action: AppAction) => allowedPortal(deps, req, action);

  app.get('/channels/details', async (req) => ({
    items: await deps.channelAdmin.details(await may(req, 'view_channels'), principal(req)),
  }));
  app.get('/channels/health', async (req) => ({
    items: await deps.channelAdmin.health(await may(req, 'view_channels')),
  }));
  app.patch<{ Params: { id: string } }>('/channels/:id', async (req) =>
    deps.channelAdmin.update(admin(req), req.params.id, req.body),
  );
  app.get<{ Params: { id: string } }>('/channels/:id/settings', async (req) =>
    deps.channelAdmin.settings(admin(req), req.params.id),
  );
  app.put<{ Params: { id: string } }>('/channels/:id/crm', async (req) =>
    deps.roles.setCrm(admin(req), req.params.id, req.body),
  );

  // The portal's Bitrix24 plan sets its REST budget (PortalsService.setPlan).
  app.get('/portal', async (req) => deps.portals.plan(principal(req).portalId));
  app.put('/portal/plan', async (req) => deps.portals.setPlan(admin(req), req.body));

  app.get('/lines', async (req) => ({ items: await deps.roles.lines(await may(req, 'view_channels')) }));
  app.get('/lines/:line/status', async (req) => {
    const { line } = parseInput(lineParam, req.params);
    return deps.channelAdmin.lineStatus(admin(req), line);
  });

  app.get('/number-requests', async (req) => ({ items: await deps.channelAdmin.listRequests(admin(req)) }));
  app.post('/number-requests', async (req, reply) =>
    reply
      .status(201)
      .send(await deps.channelAdmin.requestNumber(admin(req), principal(req).userId, req.body)),
  );
  app.delete('/number-requests/:id', async (req, reply) => {
    const { id } = parseInput(idParam, req.params);
    await deps.channelAdmin.cancelRequest(admin(req), id);
    return reply.status(204).send();
  });
};

/**
 * The vendor's operator API: confirms requested numbers once Gupshup assigned them. Its own bearer
 * token (OPERATOR_TOKEN); without one configured the routes do not exist for anybody.
 */
export const operatorRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.addHook('onRequest', staticBearer(deps.config.operatorToken, 'Operator token'));
  app.get('/number-requests', async () => ({ items: await deps.channelAdmin.pendingRequests() }));
  app.post('/number-requests/:id/confirm', async (req, reply) => {
    const { id } = parseInput(idParam, req.params);
    return reply.status(201).send(await deps.channelAdmin.confirmRequest(id, req.body));
  });
};
