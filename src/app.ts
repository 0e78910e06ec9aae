import path from 'node:path';
import fastifyView from '@fastify/view';
import { Eta } from 'eta';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import type { Deps } from './composition-root.js';
import { AppError } from './shared/errors.js';
import { portalApiRoutes, portalsRoutes } from './modules/portals/portals.routes.js';
import { healthRoutes } from './modules/health/health.routes.js';
import { HealthRepository } from './modules/health/health.repository.js';
import { pagesRoutes } from './modules/pages/pages.routes.js';
import { mediaRoutes } from './modules/media/media.routes.js';
import { formBodyParser } from './shared/http/form.js';
import {
  hasZodFastifySchemaValidationErrors,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { describeValidation, registerOpenApi } from './shared/http/openapi.js';
import { apiAuthHook } from './modules/tokens/api-auth.js';
import { tokensPublicRoutes, tokensRoutes } from './modules/tokens/tokens.routes.js';
import { gupshupWebhookRoutes } from './modules/messaging/webhook.routes.js';
import { messagingRoutes } from './modules/messaging/messaging.routes.js';
import { rolesRoutes } from './modules/roles/roles.routes.js';
import { channelsRoutes } from './modules/channels/channels.routes.js';
import { operatorRoutes } from './modules/channels/number-requests.routes.js';
import { addSecurityHeaders, baseHeaders } from './shared/http/security-headers.js';
import { ROOT_DIR } from './shared/paths.js';

export const VIEWS_DIR = path.join(ROOT_DIR, 'views');

const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_VALIDATION: 'validation_error',
};

const newRequestId = (): string => `req-${Math.random().toString(36).slice(2, 10)}`;

/** Errors the router raises before any route or hook runs (Fastify `frameworkErrors`). */
const ROUTER_ERRORS: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_BAD_URL: { status: 400, code: 'bad_request', message: 'The URL is not valid (bad % escape)' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'uri_too_long', message: 'A part of the URL is too long' },
};

/** What Node's HTTP parser refuses (no request exists yet): the body is written on the socket. */
function clientErrorBody(err: NodeJS.ErrnoException): { status: number; text: string; body: string } {
  const [status, text, code, message] =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout', 'request_timeout', 'The request took too long to arrive']
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large', 'headers_too_large', 'The request headers are too large']
        : [400, 'Bad Request', 'bad_request', 'Malformed HTTP request (method, URL or headers)'];
  return { status, text, body: JSON.stringify({ error: { code, message, requestId: newRequestId() } }) };
}

export async function buildApp(deps: Deps): Promise<FastifyInstance> {
  // Typed as Fastify's logger so the instance's type stays the default one routes are written for.
  const loggerInstance: FastifyBaseLogger = deps.log;
  const app = Fastify({
    loggerInstance,
    bodyLimit: deps.config.bodyLimit,
    trustProxy: true,
    genReqId: newRequestId,
    // Router errors skip the error handler and every hook: answered here in our format.
    frameworkErrors: (err, req, res) => {
      const reply = res as FastifyReply;
      const known = ROUTER_ERRORS[err.code];
      const e = known ?? { status: 500, code: 'internal_error', message: 'Something went wrong on our side' };
      if (known) req.log.info({ code: err.code }, 'Request refused.');
      else req.log.error({ err }, 'Unexpected router error.');
      baseHeaders(reply);
      void reply.status(e.status).send({ error: { code: e.code, message: e.message, requestId: req.id } });
    },
    clientErrorHandler: (err: NodeJS.ErrnoException, socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const r = clientErrorBody(err);
      if (socket.writable) {
        socket.write(
          `HTTP/1.1 ${r.status} ${r.text}\r\nContent-Type: application/json; charset=utf-8\r\n` +
            `Content-Length: ${Buffer.byteLength(r.body)}\r\nX-Content-Type-Options: nosniff\r\n` +
            `Cache-Control: no-store\r\nConnection: close\r\n\r\n${r.body}`,
        );
      }
      socket.destroy(err);
    },
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

  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => {
    if (err instanceof AppError) {
      req.log[err.httpStatus >= 500 ? 'error' : 'info']({ code: err.code }, err.message);
      return reply
        .status(err.httpStatus)
        .send({ error: { code: err.code, message: err.message, requestId: req.id } });
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const message = describeValidation(err);
      req.log.info({ code: 'validation_error' }, 'Request refused.');
      return reply.status(400).send({ error: { code: 'validation_error', message, requestId: req.id } });
    }
    const fe = err as FastifyError;
    const status = fe.statusCode ?? 500;
    if (status < 500) {
      const code =
        FASTIFY_CODES[fe.code] ??
        (fe instanceof SyntaxError || /JSON/i.test(fe.message) ? 'bad_request' : 'bad_request');
      const message = code === 'payload_too_large' ? 'Body too large' : fe.message;
      req.log.info({ code: fe.code }, 'Request refused.');
      return reply.status(status).send({ error: { code, message, requestId: req.id } });
    }
    req.log.error({ err }, 'Unexpected error.');
    return reply.status(500).send({
      error: { code: 'internal_error', message: 'Something went wrong on our side', requestId: req.id },
    });
  });

  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({
      error: {
        code: 'not_found',
        message: `No route ${req.method} ${req.url.split('?')[0]}`,
        requestId: req.id,
      },
    }),
  );

  await app.register(healthRoutes, {
    repo: new HealthRepository(deps.db),
    worker: deps.worker,
    config: deps.config,
  });
  await app.register(portalsRoutes, {
    portals: deps.portals,
    events: { messaging: deps.messaging, edits: deps.edits, channels: deps.channels },
    connectorId: deps.config.b24.connectorId,
    nudge: () => deps.worker.nudge(),
  });
  await app.register(pagesRoutes, { tokens: deps.tokens });
  await app.register(gupshupWebhookRoutes, { channels: deps.channels, messaging: deps.messaging });
  await app.register(mediaRoutes, { media: deps.media });
  await app.register(
    async (api) => {
      await api.register(tokensPublicRoutes, { tokens: deps.tokens });
      await api.register(operatorRoutes, {
        channelAdmin: deps.channelAdmin,
        operatorToken: deps.config.operatorToken,
        prefix: '/operator',
      });
      await api.register(async (authed) => {
        authed.addHook('onRequest', apiAuthHook(deps.tokens, deps.frontendAuth));
        await authed.register(tokensRoutes, { tokens: deps.tokens });
        await authed.register(rolesRoutes, { roles: deps.roles });
        await authed.register(portalApiRoutes, { portals: deps.portals });
        await authed.register(channelsRoutes, {
          channels: deps.channels,
          channelAdmin: deps.channelAdmin,
          roles: deps.roles,
        });
        await authed.register(messagingRoutes, { messaging: deps.messaging, roles: deps.roles });
      });
    },
    { prefix: '/api/v1' },
  );

  app.addHook('onClose', async () => {
    await deps.close();
  });
  return app;
}
