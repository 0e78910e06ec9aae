import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '../../shared/errors.js';
import { allowedPortal } from '../roles/access.js';
import type { RolesService } from '../roles/roles.service.js';
import { messagesQueryInput } from './message-log.js';
import type { MessagingService } from './messaging.service.js';

const tag = { tags: ['messages'] };

const messageParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

/**
 * The message log of the JSON API (SPEC "HTTP surface"), inside the `/api/v1` auth scope: reading and
 * replaying follow the caller's chat roles (roles/access.ts).
 */
export const messagingRoutes: FastifyPluginAsyncZod<{
  messaging: MessagingService;
  roles: Pick<RolesService, 'require'>;
}> = async (app, o) => {
  app.get(
    '/messages',
    {
      schema: {
        ...tag,
        summary: 'The message trace, newest first, without message text',
        querystring: messagesQueryInput,
      },
      // The roles check comes first: who may not read the trace learns nothing about its filters.
      attachValidation: true,
    },
    async (req) => {
      const portalId = await allowedPortal(o, req, 'view_trace');
      if (req.validationError) throw req.validationError;
      return o.messaging.list(portalId, req.query);
    },
  );

  app.post(
    '/messages/:id/replay',
    {
      schema: { ...tag, summary: 'Queue a dead-lettered message again', params: messageParams },
      // An id that is not one is a message that does not exist.
      attachValidation: true,
    },
    async (req, reply) => {
      if (req.validationError) throw new NotFoundError('Message not found');
      return reply
        .status(202)
        .send(await o.messaging.replay(await allowedPortal(o, req, 'replay'), req.params.id));
    },
  );
};
