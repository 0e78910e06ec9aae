import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../composition-root.js';
import { adminPortal, principal } from '../modules/tokens/api-auth.js';

/**
 * JSON API routes the admin pages need beyond the integrator contract (SPEC "HTTP surface"): they sit
 * under /api/v1 behind the same auth (bearer token or the page's frontend auth). Changes are for
 * portal admins; reading follows the caller's chat roles.
 */
export const uiApiRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  // The portal's Bitrix24 plan sets its REST budget (PortalsService.setPlan).
  app.get('/portal', async (req) => deps.portals.plan(principal(req).portalId));
  app.put('/portal/plan', async (req) => deps.portals.setPlan(adminPortal(req), req.body));
};
