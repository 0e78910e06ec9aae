import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ValidationError } from '../../shared/errors.js';
import { toLang } from '../../shared/i18n.js';
import { iframeQuery } from '../../shared/validate.js';
import type { TokensService } from '../tokens/tokens.service.js';
import { adminBoot, connectorPlacement, pageBody } from './admin-page.js';
import { bootJson } from './boot.js';
import { pageCsp } from './csp.js';
import { renderError } from './error-page.js';
import { CHAT_PICKER_PATH, CRM_PICKER_PATH, pickerContext } from './picker-page.js';
import { pagesScript, SCRIPT_PATH, type PagesScript } from './script.js';
import { uiText, uiTexts } from './texts.js';

/** The vendor's operator page behind OPERATOR_TOKEN: the offer, and the portals' notifications limits. */
export const OPERATOR_PAGE_PATH = '/operator';

/**
 * The admin pages Bitrix24 opens in its iframe (POST, reference §1.2): the main page and the
 * SETTING_CONNECTOR placement (§4.7), and their script. The frontend auth is checked with the portal
 * (`profile`) before anything is shown; the page's script then calls the JSON API with the same auth
 * (X-B24-Auth). Each answer may be framed by the portal's own origin only (CSP frame-ancestors).
 * Bad input gets the localized error page, so the input is read here rather than by route schemas;
 * none of these routes is in the OpenAPI document.
 */

const hidden = { schema: { hide: true } };

/** The pages ask for ?v=<hash>: that URL never changes content. Any other is revalidated by ETag. */
function scriptRoute(app: FastifyInstance, script: PagesScript): void {
  const etag = `"${script.hash}"`;
  app.get<{ Querystring: { v?: string } }>(SCRIPT_PATH, hidden, async (req, reply) => {
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

export const pagesRoutes: FastifyPluginAsync<{ tokens: Pick<TokensService, 'verifyFrontendAuth'> }> = async (
  app,
  { tokens },
) => {
  // Built now: a script that does not build stops the server from starting, not a page later.
  const script = await pagesScript();
  scriptRoute(app, script);

  const render = async (
    req: FastifyRequest,
    reply: FastifyReply,
    page: 'app' | 'connector' | 'picker',
    pickerKind?: 'chat' | 'crm',
  ) => {
    const q = iframeQuery.safeParse(req.query ?? {});
    const lang = toLang(q.success ? q.data.LANG : undefined);
    reply.header('content-security-policy', pageCsp(q.success ? q.data.DOMAIN : undefined, q.data?.PROTOCOL));
    reply.header('referrer-policy', 'no-referrer');
    try {
      const b = pageBody.safeParse(req.body ?? {});
      if (!q.success || !b.success) throw new ValidationError(uiText(lang, 'error.badAuth'));
      const auth = { DOMAIN: q.data.DOMAIN, AUTH_ID: b.data.AUTH_ID, member_id: b.data.member_id };
      const who = await tokens.verifyFrontendAuth(auth);
      const connector = page === 'connector' ? connectorPlacement(b.data.PLACEMENT_OPTIONS) : null;
      const picker = pickerKind
        ? pickerContext(pickerKind, b.data.PLACEMENT, b.data.PLACEMENT_OPTIONS)
        : null;
      return reply.type('text/html').view(`${page}.eta`, {
        lang,
        t: (k: string) => uiText(lang, k),
        boot: bootJson(adminBoot({ page, lang, query: q.data, auth, who, connector, picker })),
        script: script.url,
        admin: who.admin,
      });
    } catch (err) {
      return renderError(reply, req, lang, err);
    }
  };

  // The vendor's operator page (issue 12): no portal, never framed; the token is typed in the page.
  app.get<{ Querystring: { lang?: string } }>(OPERATOR_PAGE_PATH, hidden, async (req, reply) => {
    const lang = toLang(typeof req.query.lang === 'string' ? req.query.lang : 'en');
    reply.header('content-security-policy', pageCsp(undefined, undefined));
    reply.header('referrer-policy', 'no-referrer');
    return reply.type('text/html').view('operator.eta', {
      lang,
      t: (k: string) => uiText(lang, k),
      boot: bootJson({ page: 'operator', lang, texts: uiTexts(lang) }),
      script: script.url,
    });
  });

  app.post('/b24/app', hidden, async (req, reply) => render(req, reply, 'app'));
  app.post('/b24/connector', hidden, async (req, reply) => render(req, reply, 'connector'));
  // The template picker (issue 11): open-line chats (IM_TEXTAREA, IM_SIDEBAR) and CRM card tabs.
  app.post(CHAT_PICKER_PATH, hidden, async (req, reply) => render(req, reply, 'picker', 'chat'));
  app.post(CRM_PICKER_PATH, hidden, async (req, reply) => render(req, reply, 'picker', 'crm'));
};
