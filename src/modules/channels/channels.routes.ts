import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { allowedPortal } from '../roles/access.js';
import { crmSettingsInput } from '../roles/roles.service.js';
import { adminOnly, adminPortal, principal } from '../tokens/api-auth.js';
import type { ChannelAdminService } from './channel-admin.service.js';
import { activateInput, channelIdParam, connectInput, lineParam, updateInput } from './channels.schemas.js';
import type { ChannelsService } from './channels.service.js';
import { numberRequestRoutes } from './number-requests.routes.js';
import type { ChannelRoles } from './ports.js';

/**
 * The JSON API's channel routes (SPEC "HTTP surface"), inside the `/api/v1` auth scope
 * (tokens/api-auth.ts). Changes are for portal admins; reading follows the caller's chat roles.
 */
export interface ChannelsRoutesOptions {
  channels: ChannelsService;
  channelAdmin: ChannelAdminService;
  roles: ChannelRoles;
}

const tags = ['channels'];

/** The caller's portal, when a portal admin or a chat role lets the caller read its channels. */
const channelReader = (roles: ChannelRoles, req: FastifyRequest) =>
  allowedPortal({ roles }, req, 'view_channels');

/** Create, read, switch on and off, delete. */
const channelRoutes: FastifyPluginAsyncZod<ChannelsRoutesOptions> = async (app, o) => {
  const byId = { tags, params: channelIdParam };
  app.post(
    '/channels',
    {
      preValidation: adminOnly,
      schema: { tags, summary: 'Connect a Gupshup app (its API key checked first)', body: connectInput },
    },
    async (req, reply) => reply.status(201).send(await o.channelAdmin.connect(adminPortal(req), req.body)),
  );
  app.get('/channels', { schema: { tags, summary: 'The portal’s channels' } }, async (req) => ({
    items: await o.channels.list(await channelReader(o.roles, req), principal(req)),
  }));
  app.get('/channels/:id', { schema: { ...byId, summary: 'One channel' } }, async (req) =>
    o.channels.get(await channelReader(o.roles, req), req.params.id, principal(req)),
  );
  app.post(
    '/channels/:id/activate',
    {
      preValidation: adminOnly,
      schema: { ...byId, summary: 'Connect the channel to an open line', body: activateInput },
    },
    async (req) => o.channels.activate(adminPortal(req), req.params.id, req.body, req.log),
  );
  app.post(
    '/channels/:id/deactivate',
    { schema: { ...byId, summary: 'Switch the channel off its open line' } },
    async (req) => o.channels.deactivate(adminPortal(req), req.params.id, req.log),
  );
  app.delete(
    '/channels/:id',
    { schema: { ...byId, summary: 'Delete the channel (its history stays, its API key goes)' } },
    async (req, reply) => {
      await o.channels.remove(adminPortal(req), req.params.id, req.log);
      return reply.status(204).send();
    },
  );
};

/** What the admin pages add: details, the health strip, edits, Gupshup settings, CRM settings. */
const channelAdminRoutes: FastifyPluginAsyncZod<ChannelsRoutesOptions> = async (app, o) => {
  const byId = { tags, params: channelIdParam };
  app.get(
    '/channels/details',
    { schema: { tags, summary: 'The channels with company, subscription and last Gupshup check' } },
    async (req) => ({
      items: await o.channelAdmin.details(await channelReader(o.roles, req), principal(req)),
    }),
  );
  app.get(
    '/channels/health',
    { schema: { tags, summary: 'Per channel: Bitrix24 token, connector, last webhook, Gupshup key' } },
    async (req) => ({ items: await o.channelAdmin.health(await channelReader(o.roles, req)) }),
  );
  app.patch(
    '/channels/:id',
    {
      preValidation: adminOnly,
      schema: { ...byId, summary: 'Edit a channel (a new key is checked with Gupshup)', body: updateInput },
    },
    async (req) => o.channelAdmin.update(adminPortal(req), req.params.id, req.body),
  );
  app.get(
    '/channels/:id/settings',
    { schema: { ...byId, summary: 'What Gupshup gives for the channel’s API key' } },
    async (req) => o.channelAdmin.settings(adminPortal(req), req.params.id),
  );
  app.put(
    '/channels/:id/crm',
    {
      preValidation: adminOnly,
      schema: {
        ...byId,
        summary: 'Where new customers of the channel go in the CRM',
        body: crmSettingsInput,
      },
    },
    async (req) => o.roles.setCrm(adminPortal(req), req.params.id, req.body),
  );
};

/** The portal's open lines, and our connector's state on one of them. */
const lineRoutes: FastifyPluginAsyncZod<ChannelsRoutesOptions> = async (app, o) => {
  const lineTags = ['lines'];
  app.get('/lines', { schema: { tags: lineTags, summary: 'The portal’s open lines' } }, async (req) => ({
    items: await o.roles.lines(await channelReader(o.roles, req)),
  }));
  app.get(
    '/lines/:line/status',
    {
      schema: { tags: lineTags, summary: 'Bitrix24’s view of our connector on a line', params: lineParam },
    },
    async (req) => o.channelAdmin.lineStatus(adminPortal(req), req.params.line),
  );
};

/** Every channel route of the authenticated API. */
export const channelsRoutes: FastifyPluginAsyncZod<ChannelsRoutesOptions> = async (app, o) => {
  await app.register(channelRoutes, o);
  await app.register(channelAdminRoutes, o);
  await app.register(lineRoutes, o);
  await app.register(numberRequestRoutes, { channelAdmin: o.channelAdmin });
};
