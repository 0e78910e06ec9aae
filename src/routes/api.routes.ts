import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Deps } from '../composition-root.js';
import { listMessages } from '../modules/messaging/messages.query.js';
import { NotFoundError } from '../shared/errors.js';
import { allowedPortal } from '../modules/roles/access.js';
import type { AppAction } from '../modules/roles/roles.service.js';

const idParam = z.object({ id: z.coerce.number().int().positive() });

/**
 * The JSON API's message routes (SPEC "HTTP surface"), registered by app.ts inside the `/api/v1`
 * auth scope (tokens/api-auth.ts).
 */
export const apiRoutes: FastifyPluginAsync<{ deps: Deps }> = async (authed, { deps }) => {
  const may = (req: FastifyRequest, action: AppAction) => allowedPortal(deps, req, action);

  authed.get('/messages', async (req) => listMessages(deps.db, await may(req, 'view_trace'), req.query));
  authed.post('/messages/:id/replay', async (req, reply) => {
    const p = idParam.safeParse(req.params);
    if (!p.success) throw new NotFoundError('Message not found');
    return reply.status(202).send(await deps.messaging.replay(await may(req, 'replay'), p.data.id));
  });
};
