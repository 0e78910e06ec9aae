import pino, { type LoggerOptions } from 'pino';

/** Fields that may hold secrets; pino replaces them wherever they appear in a log line. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.apikey',
  'headers.authorization',
  'headers.apikey',
  '*.access_token',
  '*.refresh_token',
  '*.accessToken',
  '*.refreshToken',
  '*.apiKey',
  '*.api_key',
  '*.apikey',
  '*.AUTH_ID',
  '*.REFRESH_ID',
  '*.APPLICATION_TOKEN',
  '*.application_token',
  '*.client_secret',
  '*.secretAccessKey',
  '*.secretKey',
  '*.webhookSecret',
  '*.clientSecret',
  'req.headers["stripe-signature"]',
  'req.headers["paypal-transmission-sig"]',
  '*.token',
  'access_token',
  'refresh_token',
  'apiKey',
  'token',
];

export function loggerOptions(level: string): LoggerOptions {
  return {
    level,
    redact: { paths: redactPaths, censor: '[redacted]' },
    // URLs carry callback secrets and the signed media tokens; keep only the route shape.
    serializers: {
      err: serializeError,
      req: (req: { method?: string; url?: string; id?: string }) => ({
        method: req.method,
        url: maskUrl(req.url ?? ''),
        id: req.id,
      }),
    },
  };
}

/**
 * Fields of an error that say what failed and where in our code. Anything else is left out: a
 * PostgreSQL error's `detail`, `where`, `internalQuery` and `hint` quote the row's values (message
 * text, phone numbers), and other errors carry request bodies, parameters or `details` the same way.
 */
const SAFE_ERROR_FIELDS = new Set([
  'type',
  'message',
  'stack',
  'code',
  'name',
  'errno',
  'syscall',
  'severity',
  'routine',
  'file',
  'line',
  'position',
  'schema',
  'table',
  'column',
  'dataType',
  'constraint',
  'statusCode',
  'status',
  'provider',
  'operation',
  'httpStatus',
]);

/** pino's error serializer (type, message and stack with causes), keeping only the safe fields. */
export function serializeError(err: unknown): unknown {
  if (err === null || typeof err !== 'object') return err;
  const full = pino.stdSerializers.err(err as Error) as object;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(full)) {
    if (SAFE_ERROR_FIELDS.has(k) && (v === null || typeof v !== 'object')) out[k] = v;
  }
  const inner = (err as { errors?: unknown }).errors;
  if (Array.isArray(inner)) out.aggregateErrors = inner.map(serializeError);
  return out;
}

export function createLogger(level: string): pino.Logger {
  return pino(loggerOptions(level));
}

/** Hides the secret path segment of Gupshup callback URLs and any query string. */
export function maskUrl(url: string): string {
  const noQuery = url.split('?')[0] ?? '';
  return noQuery.replace(/^(\/webhooks\/gupshup\/[^/]+\/)[^/]+/, '$1***');
}

/** A phone number shortened for logs and traces: country code and last two digits only. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length <= 4) return '***';
  return `${digits.slice(0, 2)}***${digits.slice(-2)}`;
}

/** The logger services take: Fastify's request logger and a pino child both fit. */
export type Log = import('fastify').FastifyBaseLogger;
