import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Deps } from '../composition-root.js';
import { FRONTEND_AUTH_HEADER } from '../modules/api/frontend-auth.js';
import type { ApiPrincipal } from '../modules/api/tokens.service.js';
import { listMessages } from '../modules/messaging/messages.query.js';
import { NotFoundError } from '../shared/errors.js';
import { adminPortal, allowedPortal, operatorRoutes, principal, uiApiRoutes } from './ui-api.routes.js';
import type { AppAction } from '../modules/roles/roles.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: ApiPrincipal;
  }
}

const idParam = z.object({ id: z.coerce.number().int().positive() });

/**
 * The JSON API (SPEC "HTTP surface"). Every route but token creation needs a portal bearer token or,
 * from the app's own pages, the frontend auth they were opened with (X-B24-Auth, frontend-auth.ts).
 */
export const apiRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.post('/tokens', async (req, reply) => reply.status(201).send(await deps.tokens.create(req.body)));

  await app.register(operatorRoutes, { deps, prefix: '/operator' });

  await app.register(async (authed) => {
    authed.addHook('onRequest', async (req) => {
      const frontend = req.headers[FRONTEND_AUTH_HEADER];
      req.principal =
        typeof frontend === 'string'
          ? await deps.frontendAuth.authenticate(frontend)
          : await deps.tokens.authenticate(req.headers.authorization);
    });

    authed.get('/tokens', async (req) => ({ items: await deps.tokens.list(adminPortal(req)) }));
    authed.delete('/tokens/:id', async (req, reply) => {
      const p = idParam.safeParse(req.params);
      if (!p.success || !(await deps.tokens.revoke(adminPortal(req), p.data.id))) {
        throw new NotFoundError('Token not found');
      }
      return reply.status(204).send();
    });

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

    authed.get('/messages', async (req) => listMessages(deps.db, await may(req, 'view_trace'), req.query));
    authed.post('/messages/:id/replay', async (req, reply) => {
      const p = idParam.safeParse(req.params);
      if (!p.success) throw new NotFoundError('Message not found');
      return reply.status(202).send(await deps.messaging.replay(await may(req, 'replay'), p.data.id));
    });
  });
};
