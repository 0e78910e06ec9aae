import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, type ZodFastifySchemaValidationError } from 'fastify-type-provider-zod';

/**
 * The OpenAPI document of the JSON API, made from the routes' own zod schemas: served at
 * `/api/v1/openapi.json`, with a readable page for integrators at `/api/v1/docs` (Swagger UI, served
 * from node_modules, no CDN). Routes outside /api/v1 (Bitrix24, Gupshup, pages) are left out.
 */
export async function registerOpenApi(app: FastifyInstance): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      info: {
        title: 'WhatsAppB24 API',
        version: '1',
        description:
          'Channels, the message trace and the admin pages’ data. Authenticate with `Authorization: Bearer wab24_…` (created by a portal admin with POST /api/v1/tokens). Errors are `{ "error": { "code", "message", "requestId" } }`.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      },
      security: [{ bearer: [] }],
    },
    transform: (input) =>
      input.url.startsWith('/api/v1/') && !input.url.startsWith('/api/v1/docs')
        ? jsonSchemaTransform(input)
        : { schema: { ...input.schema, hide: true }, url: input.url },
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/api/v1/docs', staticCSP: true });
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, () => app.swagger());
}

/** A schema refusal in our words: `body.lineId: …; query.limit: …` (at most five). */
export function describeValidation(err: {
  validation: ZodFastifySchemaValidationError[];
  validationContext?: string;
}): string {
  const where = err.validationContext ?? 'request';
  return err.validation
    .slice(0, 5)
    .map((v) => {
      const path = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
      return `${path ? `${where}.${path}` : where}: ${v.message ?? 'invalid'}`;
    })
    .join('; ');
}
