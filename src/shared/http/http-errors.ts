import type { FastifyError, FastifyInstance, FastifyReply, FastifyServerOptions } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, FieldIssuesError } from '../errors.js';
import { describeValidation } from './openapi.js';
import { baseHeaders } from './security-headers.js';

/**
 * Every refusal in one format, `{ error: { code, message, requestId } }`, whoever raises it: our
 * services (AppError), a route's schema, Fastify's parsers, its router (before any hook runs) and
 * Node's HTTP parser (before a request exists). 5xx answers never carry the cause.
 */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'bad_request',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_VALIDATION: 'validation_error',
};

export const newRequestId = (): string => `req-${Math.random().toString(36).slice(2, 10)}`;

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

/** The Fastify options that route router and parser errors into our format. */
export const errorOptions: Pick<FastifyServerOptions, 'frameworkErrors' | 'clientErrorHandler'> = {
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
};

export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | AppError | Error, req, reply) => {
    if (err instanceof AppError) {
      req.log[err.httpStatus >= 500 ? 'error' : 'info']({ code: err.code }, err.message);
      const issues = err instanceof FieldIssuesError ? { issues: err.issues } : {};
      return reply
        .status(err.httpStatus)
        .send({ error: { code: err.code, message: err.message, requestId: req.id, ...issues } });
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
}
