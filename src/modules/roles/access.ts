import type { FastifyRequest } from 'fastify';
import { principal } from '../tokens/api-auth.js';
import type { AppAction, RolesService } from './roles.service.js';

/**
 * The roles check every module's reading routes use: the caller's portal when its chat roles allow
 * the action (admins always), else a 403. For routes inside the `/api/v1` auth scope. It takes the
 * roles service as `{ roles }`, so a routes plugin can hand in its own options.
 */
export async function allowedPortal(
  o: { roles: Pick<RolesService, 'require'> },
  req: FastifyRequest,
  action: AppAction,
): Promise<number> {
  const p = principal(req);
  await o.roles.require(p, action);
  return p.portalId;
}
