import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { staticBearer } from '../../shared/bearer.js';
import { adminOnly, adminPortal, principal } from '../tokens/api-auth.js';
import type { ChannelAdminService } from './channel-admin.service.js';
import { confirmInput, numberRequestInput, requestIdParam } from './channels.schemas.js';

const tags = ['number requests'];

/** A portal admin asks for a new WhatsApp number; it stays Pending until the operator confirms it. */
export const numberRequestRoutes: FastifyPluginAsyncZod<{ channelAdmin: ChannelAdminService }> = async (
  app,
  o,
) => {
  app.get(
    '/number-requests',
    { schema: { tags, summary: 'The portal’s pending requests' } },
    async (req) => ({
      items: await o.channelAdmin.listRequests(adminPortal(req)),
    }),
  );
  app.post(
    '/number-requests',
    { preValidation: adminOnly, schema: { tags, summary: 'Ask for a new number', body: numberRequestInput } },
    async (req, reply) =>
      reply
        .status(201)
        .send(await o.channelAdmin.requestNumber(adminPortal(req), principal(req).userId, req.body)),
  );
  app.delete(
    '/number-requests/:id',
    { schema: { tags, summary: 'Withdraw a pending request', params: requestIdParam } },
    async (req, reply) => {
      await o.channelAdmin.cancelRequest(adminPortal(req), req.params.id);
      return reply.status(204).send();
    },
  );
};

/**
 * The vendor's operator API: confirms requested numbers once Gupshup assigned them. Its own bearer
 * token (OPERATOR_TOKEN); without one configured the routes do not exist for anybody.
 */
export const operatorRoutes: FastifyPluginAsyncZod<{
  channelAdmin: ChannelAdminService;
  operatorToken: string | undefined;
}> = async (app, o) => {
  const operator = ['operator'];
  app.addHook('onRequest', staticBearer(o.operatorToken, 'Operator token'));
  app.get(
    '/number-requests',
    { schema: { tags: operator, summary: 'Pending requests of every portal (OPERATOR_TOKEN)' } },
    async () => ({ items: await o.channelAdmin.pendingRequests() }),
  );
  app.post(
    '/number-requests/:id/confirm',
    {
      schema: {
        tags: operator,
        summary: 'The number Gupshup assigned: the request becomes a channel (OPERATOR_TOKEN)',
        params: requestIdParam,
        body: confirmInput,
      },
    },
    async (req, reply) =>
      reply.status(201).send(await o.channelAdmin.confirmRequest(req.params.id, req.body)),
  );
};
