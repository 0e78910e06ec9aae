import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '../../shared/errors.js';
import { allowedPortal } from '../roles/access.js';
import type { RolesService } from '../roles/roles.service.js';
import type { DigestsService } from './digests.service.js';
import { idParam } from './notifications.schemas.js';

const tags = ['notifications'];

export const digestsQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20) });
export const testDigestInput = z.strictObject({
  reportId: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
});

/**
 * A group's digest history and the "send a test digest now" button, with the access rule of the
 * other notification routes (notifications.routes.ts): the roles check first (403), then the path
 * (404: an id that is not one is a group that does not exist), then the input (400).
 */
export const digestsRoutes: FastifyPluginAsyncZod<{
  digests: DigestsService;
  roles: Pick<RolesService, 'require'>;
}> = async (app, o) => {
  const checked = async (req: Parameters<typeof allowedPortal>[1]) => {
    const portalId = await allowedPortal(o, req, 'manage_notifications');
    if (!idParam.safeParse(req.params).success) throw new NotFoundError('Group not found');
    if (req.validationError) throw req.validationError;
    return portalId;
  };
  app.get(
    '/notification-groups/:id/digests',
    {
      schema: {
        tags,
        summary: 'The group’s digests, newest first, with each recipient’s status',
        params: idParam,
        querystring: digestsQuery,
      },
      attachValidation: true,
    },
    async (req) => o.digests.list(await checked(req), req.params.id, req.query.limit),
  );
  app.post(
    '/notification-groups/:id/test-digest',
    {
      schema: {
        tags,
        summary:
          'Send the report’s digest of the latest events (or a sample) to the group’s enabled recipients now, outside the interval, without moving the cursor',
        params: idParam,
        body: testDigestInput,
      },
      attachValidation: true,
    },
    async (req, reply) => {
      const portalId = await checked(req);
      const digestId = await o.digests.test(portalId, req.params.id, req.body.reportId);
      return reply.status(202).send({ digestId });
    },
  );
};
