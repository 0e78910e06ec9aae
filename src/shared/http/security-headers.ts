import type { FastifyInstance, FastifyReply } from 'fastify';
import { iframeQuery } from '../validate.js';
import { pageCsp } from '../../modules/pages/csp.js';

/**
 * Headers every answer carries. Pages hold the viewer's AUTH_ID and API answers hold portal data, so
 * nothing is cached (`no-store`) unless a route chose its own policy (signed /media links, the page
 * script); nothing is sniffed into another type. A hook rather than @fastify/helmet: helmet's
 * defaults (X-Frame-Options, a global CSP) would have to be switched off again for the pages Bitrix24
 * frames, which set their own CSP with the portal as the only frame ancestor (modules/pages/csp.ts).
 */
export function baseHeaders(reply: FastifyReply): void {
  reply.header('x-content-type-options', 'nosniff');
  if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
}

export function addSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (req, reply, payload) => {
    baseHeaders(reply);
    // The install page (Bitrix24 frames it too) loads only our own bundle: the pages' full policy.
    if (req.routeOptions.url === '/b24/install' && !reply.hasHeader('content-security-policy')) {
      const q = iframeQuery.safeParse(req.query ?? {});
      reply.header(
        'content-security-policy',
        pageCsp(q.success ? q.data.DOMAIN : undefined, q.success ? q.data.PROTOCOL : undefined),
      );
      reply.header('referrer-policy', 'no-referrer');
    }
    return payload;
  });
}
