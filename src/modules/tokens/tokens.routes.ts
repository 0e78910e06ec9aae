import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { NotFoundError } from '../../shared/errors.js';
import { adminPortal } from './api-auth.js';
import { createTokenInput, type TokensService } from './tokens.service.js';

const tag = { tags: ['tokens'] };

/** `POST /api/v1/tokens`: outside the auth scope, a portal admin's frontend auth is the proof. */
export const tokensPublicRoutes: FastifyPluginAsyncZod<{ tokens: TokensService }> = async (app, o) => {
  app.post(
    '/tokens',
    {
      schema: {
        ...tag,
        summary: 'Create a bearer token from a portal admin’s frontend auth (shown once)',
        body: createTokenInput,
      },
    },
    async (req, reply) => reply.status(201).send(await o.tokens.create(req.body)),
  );
};

/** Listing and revoking tokens: inside the auth scope, admins only. */
export const tokensRoutes: FastifyPluginAsyncZod<{ tokens: TokensService }> = async (app, o) => {
  app.get(
    '/tokens',
    { schema: { ...tag, summary: 'The portal’s bearer tokens (prefixes only)' } },
    async (req) => ({
      items: await o.tokens.list(adminPortal(req)),
    }),
  );
  app.delete(
    '/tokens/:id',
    {
      schema: {
        ...tag,
        summary: 'Revoke a bearer token',
        params: z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }),
      },
    },
    async (req, reply) => {
      if (!(await o.tokens.revoke(adminPortal(req), req.params.id))) {
        throw new NotFoundError('Token not found');
      }
      return reply.status(204).send();
    },
  );
};
