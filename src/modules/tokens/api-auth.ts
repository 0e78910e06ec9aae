import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import { FRONTEND_AUTH_HEADER, requireAdmin, type FrontendAuth } from './frontend-auth.js';
import type { ApiPrincipal, TokensService } from './tokens.service.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: ApiPrincipal;
  }
}

/**
 * The `/api/v1` auth hook: a page's frontend auth (`X-B24-Auth`) or an integrator's bearer token.
 * app.ts puts it on one encapsulated scope; every module's API routes are registered inside it.
 */
export function apiAuthHook(tokens: TokensService, frontendAuth: FrontendAuth): onRequestAsyncHookHandler {
  return async (req) => {
    const frontend = req.headers[FRONTEND_AUTH_HEADER];
    req.principal =
      typeof frontend === 'string'
        ? await frontendAuth.authenticate(frontend)
        : await tokens.authenticate(req.headers.authorization);
  };
}

export function principal(req: FastifyRequest): ApiPrincipal {
  if (!req.principal) throw new Error('route registered without the auth check');
  return req.principal;
}

/** Changes (channels, tokens, roles, plan) are for portal admins; bearer tokens were made by one. */
export function adminPortal(req: FastifyRequest): number {
  const p = principal(req);
  requireAdmin(p);
  return p.portalId;
}

/**
 * A change route's `preValidation`: a caller who is not a portal admin is refused (403) before the
 * request's input is validated, as when the check came first in the handler.
 */
export async function adminOnly(req: FastifyRequest): Promise<void> {
  adminPortal(req);
}
