import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Deps } from '../composition-root.js';
import { AppError, UnauthorizedError, ValidationError } from '../shared/errors.js';
import { toLang, type Lang } from '../shared/i18n.js';
import { bootJson, frameParams } from '../modules/pages/boot.js';
import { pagesScript, SCRIPT_PATH, type PagesScript } from '../modules/pages/script.js';
import { uiText, uiTexts } from '../modules/pages/texts.js';
import type { AdminBoot } from '../modules/pages/ui/types.js';
import { iframeQuery, lineIdInput } from '../shared/validate.js';

/**
 * The admin pages Bitrix24 opens in its iframe (POST, reference §1.2): the main page and the
 * SETTING_CONNECTOR placement (§4.7). The frontend auth is checked with the portal (`profile`) before
 * anything is shown; the page's script then calls the JSON API with the same auth (X-B24-Auth).
 * Each answer may be framed by the portal's own origin only (CSP frame-ancestors).
 */

const pageBody = z
  .object({
    AUTH_ID: z.string().min(1).max(512),
    member_id: z.string().min(1).max(128),
    PLACEMENT: z.string().max(64).optional(),
    PLACEMENT_OPTIONS: z.string().max(10_000).optional(),
  })
  .loose();

const connectorOptions = z
  .object({
    LINE: lineIdInput,
    ACTIVE_STATUS: z.unknown().optional(),
    STATUS: z.unknown().optional(),
  })
  .loose();

/** Who may frame a page: the portal it was opened for (its DOMAIN and PROTOCOL), or nobody. */
export function frameAncestors(domain: string | undefined, protocol: string | undefined): string {
  return `frame-ancestors ${domain ? `${protocol === '0' ? 'http' : 'https'}://${domain}` : `'none'`}`;
}

export function pageCsp(domain: string | undefined, protocol: string | undefined): string {
  return [
    frameAncestors(domain, protocol),
    `default-src 'self'`,
    `script-src 'self'`,
    `style-src 'self' 'unsafe-inline'`,
    `img-src 'self' data:`,
    `connect-src 'self'`,
    `base-uri 'none'`,
    `form-action 'self'`,
  ].join('; ');
}

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

/** "acme.bitrix24.es" → "Acme": the portal's name, a starting point for the company name field. */
function portalCompany(domain: string): string {
  const first = domain.split(/[.:]/)[0] ?? '';
  return /^\d+$/.test(first) ? '' : first.charAt(0).toUpperCase() + first.slice(1);
}

/** The pages ask for ?v=<hash>: that URL never changes content. Any other is revalidated by ETag. */
function scriptRoute(app: FastifyInstance, script: PagesScript): void {
  const etag = `"${script.hash}"`;
  app.get<{ Querystring: { v?: string } }>(SCRIPT_PATH, async (req, reply) => {
    const forever = req.query.v === script.hash;
    reply
      .header('etag', etag)
      .header('cache-control', forever ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('x-content-type-options', 'nosniff')
      .type('application/javascript; charset=utf-8');
    if (req.headers['if-none-match'] === etag) return reply.status(304).send();
    return reply.send(script.code);
  });
}

export const uiRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  // Built now: a script that does not build stops the server from starting, not a page later.
  const script = await pagesScript();
  scriptRoute(app, script);

  const render = async (req: FastifyRequest, reply: FastifyReply, page: 'app' | 'connector') => {
    const q = iframeQuery.safeParse(req.query ?? {});
    const lang = toLang(q.success ? q.data.LANG : undefined);
    reply.header('content-security-policy', pageCsp(q.success ? q.data.DOMAIN : undefined, q.data?.PROTOCOL));
    reply.header('referrer-policy', 'no-referrer');
    try {
      const b = pageBody.safeParse(req.body ?? {});
      if (!q.success || !b.success) throw new ValidationError(uiText(lang, 'error.badAuth'));
      const auth = { DOMAIN: q.data.DOMAIN, AUTH_ID: b.data.AUTH_ID, member_id: b.data.member_id };
      const who = await deps.tokens.verifyFrontendAuth(auth);
      let connector: { line: number; active: boolean } | null = null;
      if (page === 'connector') {
        let raw: unknown;
        try {
          raw = JSON.parse(b.data.PLACEMENT_OPTIONS ?? '');
        } catch {
          throw new ValidationError('PLACEMENT_OPTIONS is not JSON');
        }
        const o = connectorOptions.safeParse(raw);
        if (!o.success) throw new ValidationError('PLACEMENT_OPTIONS.LINE: the open line is missing');
        const on = o.data.ACTIVE_STATUS;
        connector = { line: o.data.LINE, active: on === true || on === 'Y' || on === 1 || on === '1' };
      }
      const boot: AdminBoot = {
        page,
        lang,
        texts: uiTexts(lang),
        auth: new URLSearchParams(auth).toString(),
        admin: who.admin,
        userId: who.userId,
        userName: who.name,
        connector,
        defaults: { companyName: portalCompany(q.data.DOMAIN), contactName: who.name },
        frame: frameParams(q.data),
      };
      return reply.type('text/html').view(`${page}.eta`, {
        lang,
        t: (k: string) => uiText(lang, k),
        boot: bootJson(boot),
        script: script.url,
        admin: who.admin,
      });
    } catch (err) {
      return renderError(reply, req, lang, err);
    }
  };

  app.post('/b24/app', async (req, reply) => render(req, reply, 'app'));
  app.post('/b24/connector', async (req, reply) => render(req, reply, 'connector'));
};
