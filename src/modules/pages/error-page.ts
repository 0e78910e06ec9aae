import type { FastifyReply, FastifyRequest } from 'fastify';
import { AppError, UnauthorizedError } from '../../shared/errors.js';
import type { Lang } from '../../shared/i18n.js';
import { uiText } from './texts.js';

/**
 * The localized error page every page route answers with (the admin pages and the install page):
 * a refusal's own message for a 4xx, a generic one for anything else, and the request id.
 */
export function renderError(reply: FastifyReply, req: FastifyRequest, lang: Lang, err: unknown) {
  const status = err instanceof AppError ? err.httpStatus : 500;
  let message = err instanceof AppError && status < 500 ? err.message : uiText(lang, 'error.generic');
  if (err instanceof UnauthorizedError) message = uiText(lang, 'error.authRefused');
  if (status >= 500) req.log.error({ err }, 'Page failed.');
  else req.log.info({ code: (err as AppError).code }, 'Page refused.');
  return reply
    .status(status)
    .type('text/html')
    .view('error.eta', { lang, t: (k: string) => uiText(lang, k), message, requestId: req.id });
}
