import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { adminPortal, principal } from '../tokens/api-auth.js';
import { applyRolesInput, usersQuery, type RolesService } from './roles.service.js';

const tag = { tags: ['roles'] };

/** The portal admins' routes: a non-admin is refused before the input is looked at (as a 403). */
const adminRoutes: FastifyPluginAsyncZod<{ roles: RolesService }> = async (app, { roles }) => {
  app.addHook('preValidation', async (req) => {
    adminPortal(req);
  });
  app.get(
    '/portal/users',
    {
      schema: {
        ...tag,
        summary: 'One page (50) of the portal’s active employees, by name and department',
        querystring: usersQuery,
      },
    },
    async (req) => roles.users(adminPortal(req), req.query),
  );
  app.get(
    '/portal/departments',
    { schema: { ...tag, summary: 'The portal’s departments' } },
    async (req) => ({
      items: await roles.departments(adminPortal(req)),
    }),
  );
  app.get(
    '/crm/pipelines',
    { schema: { ...tag, summary: 'The CRM’s lead statuses and deal pipelines with their stages' } },
    async (req) => roles.crmPipelines(adminPortal(req)),
  );
  app.get(
    '/roles',
    { schema: { ...tag, summary: 'The chat roles on every channel, and each channel’s CRM settings' } },
    async (req) => roles.list(adminPortal(req)),
  );
  app.put(
    '/roles',
    {
      schema: {
        ...tag,
        summary: 'Change chat roles, all at once (a user with no role left is removed from the channel)',
        body: applyRolesInput,
      },
    },
    async (req) => roles.apply(adminPortal(req), req.body),
  );
};

/**
 * Chat roles and what the admin pages need to set them (the portal's users, departments and CRM
 * pipelines): inside the `/api/v1` auth scope. `/me` is anyone's; the rest is for portal admins,
 * refused before the input is looked at.
 */
export const rolesRoutes: FastifyPluginAsyncZod<{ roles: RolesService }> = async (app, { roles }) => {
  app.get(
    '/me',
    {
      schema: {
        ...tag,
        summary: 'The caller: user, admin or not, how authenticated, what the chat roles allow',
      },
    },
    async (req) => {
      const p = principal(req);
      return { userId: p.userId, admin: p.admin, via: p.via, can: await roles.abilities(p) };
    },
  );

  await app.register(adminRoutes, { roles });
};
