import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Deps } from '../composition-root.js';
import type { ApiPrincipal } from '../modules/api/tokens.service.js';
import { listMessages } from '../modules/messaging/messages.query.js';
import { NotFoundError } from '../shared/errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: ApiPrincipal;
  }
}

function principal(req: FastifyRequest): ApiPrincipal {
  if (!req.principal) throw new Error('route registered without the bearer check');
  return req.principal;
}

const idParam = z.object({ id: z.coerce.number().int().positive() });

/** The JSON API (SPEC "HTTP surface"); every route but token creation needs a portal bearer token. */
export const apiRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.post('/tokens', async (req, reply) => reply.status(201).send(await deps.tokens.create(req.body)));

  await app.register(async (authed) => {
    authed.addHook('onRequest', async (req) => {
      req.principal = await deps.tokens.authenticate(req.headers.authorization);
    });

    authed.get('/tokens', async (req) => ({ items: await deps.tokens.list(principal(req).portalId) }));
    authed.delete('/tokens/:id', async (req, reply) => {
      const p = idParam.safeParse(req.params);
      if (!p.success || !(await deps.tokens.revoke(principal(req).portalId, p.data.id))) {
        throw new NotFoundError('Token not found');
      }
      return reply.status(204).send();
    });

    authed.post('/channels', async (req, reply) =>
      reply.status(201).send(await deps.channels.create(principal(req).portalId, req.body)),
    );
    authed.get('/channels', async (req) => ({ items: await deps.channels.list(principal(req).portalId) }));
    authed.get<{ Params: { id: string } }>('/channels/:id', async (req) =>
      deps.channels.get(principal(req).portalId, req.params.id),
    );
    authed.post<{ Params: { id: string } }>('/channels/:id/activate', async (req) =>
      deps.channels.activate(principal(req).portalId, req.params.id, req.body, req.log),
    );
    authed.post<{ Params: { id: string } }>('/channels/:id/deactivate', async (req) =>
      deps.channels.deactivate(principal(req).portalId, req.params.id, req.log),
    );
    authed.delete<{ Params: { id: string } }>('/channels/:id', async (req, reply) => {
      await deps.channels.remove(principal(req).portalId, req.params.id, req.log);
      return reply.status(204).send();
    });

    authed.get('/messages', async (req) => listMessages(deps.db, principal(req).portalId, req.query));
    authed.post('/messages/:id/replay', async (req, reply) => {
      const p = idParam.safeParse(req.params);
      if (!p.success) throw new NotFoundError('Message not found');
      return reply.status(202).send(await deps.messaging.replay(principal(req).portalId, p.data.id));
    });
  });
};
