import path from 'node:path';
import fastifyView from '@fastify/view';
import { Eta } from 'eta';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Deps } from './composition-root.js';
import { registerRoutes } from './routes.js';
import { formBodyParser } from './shared/http/form.js';
import { errorOptions, installErrorHandlers, newRequestId } from './shared/http/http-errors.js';
import { registerOpenApi } from './shared/http/openapi.js';
import { addSecurityHeaders } from './shared/http/security-headers.js';
import { ROOT_DIR } from './shared/paths.js';

export const VIEWS_DIR = path.join(ROOT_DIR, 'views');

export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  // Typed as Fastify's logger so the instance's type stays the default one routes are written for.
  const loggerInstance: FastifyBaseLogger = deps.log;
  const app = Fastify({
    loggerInstance,
    bodyLimit: deps.config.bodyLimit,
    trustProxy: true,
    genReqId: newRequestId,
    ...errorOptions,
  });
  addSecurityHeaders(app);

  // Texts PostgreSQL cannot store (NUL, lone surrogates) are cleaned where they are bound, for every
  // source at once (shared/db/clean-text.ts): the default JSON parser needs no wrapping.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, formBodyParser);

  // Routes declare zod schemas (fastify-type-provider-zod): validated, typed, and in the OpenAPI
  // document of /api/v1 (openapi.ts).
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  await registerOpenApi(app);

  await app.register(fastifyView, {
    engine: { eta: new Eta({ views: VIEWS_DIR, autoEscape: true, cache: true }) },
    templates: VIEWS_DIR,
  });
  installErrorHandlers(app);
  await registerRoutes(app, deps);

  app.addHook('onClose', async () => {
    await deps.close();
  });
  return app;
}
