import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Deps } from '../composition-root.js';
import { uiApiRoutes } from './ui-api.routes.js';
import { allowedPortal } from '../modules/roles/access.js';
import { adminPortal, principal } from '../modules/tokens/api-auth.js';
import type { AppAction } from '../modules/roles/roles.service.js';

/**
 * The JSON API's channel routes (SPEC "HTTP surface"), registered by app.ts inside the
 * `/api/v1` auth scope (tokens/api-auth.ts).
 */
export const apiRoutes: FastifyPluginAsync<{ deps: Deps }> = async (authed, { deps }) => {
  const may = (req: FastifyRequest, action: AppAction) => allowedPortal(deps, req, action);

  await authed.register(uiApiRoutes, { deps });
  // With an App ID the API key is checked with Gupshup before the channel is saved.
  authed.post('/channels', async (req, reply) =>
    reply.status(201).send(await deps.channelAdmin.connect(adminPortal(req), req.body)),
  );
  authed.get('/channels', async (req) => ({
    items: await deps.channels.list(await may(req, 'view_channels'), principal(req)),
  }));
  authed.get<{ Params: { id: string } }>('/channels/:id', async (req) =>
    deps.channels.get(await may(req, 'view_channels'), req.params.id, principal(req)),
  );
  authed.post<{ Params: { id: string } }>('/channels/:id/activate', async (req) => {
    const portalId = adminPortal(req);
    deps.channelAdmin.forget(portalId);
    return deps.channels.activate(portalId, req.params.id, req.body, req.log);
  });
  authed.post<{ Params: { id: string } }>('/channels/:id/deactivate', async (req) => {
    const portalId = adminPortal(req);
    deps.channelAdmin.forget(portalId);
    return deps.channels.deactivate(portalId, req.params.id, req.log);
  });
  authed.delete<{ Params: { id: string } }>('/channels/:id', async (req, reply) => {
    const portalId = adminPortal(req);
    deps.channelAdmin.forget(portalId);
    await deps.channels.remove(portalId, req.params.id, req.log);
    return reply.status(204).send();
  });
};
