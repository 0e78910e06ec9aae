import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import { z } from 'zod';
import type { Deps } from '../composition-root.js';
import { requireAdmin } from '../modules/api/frontend-auth.js';
import type { ApiPrincipal } from '../modules/api/tokens.service.js';
import { listMessages } from '../modules/messaging/messages.query.js';
import { safeEqual } from '../shared/crypto.js';
import { parseInput } from '../shared/validate.js';
import { NotFoundError, UnauthorizedError } from '../shared/errors.js';

/**
 * JSON API routes the admin pages need beyond the integrator contract (SPEC "HTTP surface"): they sit
 * under /api/v1 behind the same auth (bearer token or the page's frontend auth). Changes are for
 * portal admins; reading follows the caller's chat roles.
 */

const lineParam = z.object({ line: z.coerce.number().int().positive().max(2_147_483_647) });
const idParam = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
const dateRange = z.object({
  from: z.iso.date().optional(),
  to: z.iso.date().optional(),
});

const planBody = z.object({ plan: z.enum(['standard', 'enterprise']) });

async function portalPlan(deps: Deps, portalId: number) {
  const p = await deps.db
    .selectFrom('portals')
    .select(['domain', 'lang', 'rate_drain_per_sec', 'rate_burst'])
    .where('id', '=', portalId)
    .executeTakeFirstOrThrow();
  return {
    domain: p.domain,
    lang: p.lang,
    plan: p.rate_burst >= 250 ? 'enterprise' : 'standard',
    restBudget: { perSec: p.rate_drain_per_sec, burst: p.rate_burst },
  };
}

export function principal(req: FastifyRequest): ApiPrincipal {
  if (!req.principal) throw new Error('route registered without the auth check');
  return req.principal;
}

/**
 * The message trace with a date filter on top of GET /messages: `to` becomes the cursor (ids grow
 * with time), `from` cuts the page and ends paging.
 */
export async function traceWithDates(deps: Deps, portalId: number, query: Record<string, unknown>) {
  const { from, to } = parseInput(dateRange, { from: query.from || undefined, to: query.to || undefined });
  const rest: Record<string, unknown> = { ...query };
  delete rest.from;
  delete rest.to;
  for (const k of Object.keys(rest)) if (rest[k] === '') delete rest[k];
  if (to) {
    const after = await deps.db
      .selectFrom('messages')
      .select((eb) => eb.fn.min('id').as('id'))
      .where('portal_id', '=', portalId)
      .where('created_at', '>=', sql<Date>`(${to}::date + 1)`)
      .executeTakeFirst();
    const cursor = Number(rest.cursor) || Infinity;
    if (after?.id && after.id < cursor) rest.cursor = after.id;
  }
  const page = await listMessages(deps.db, portalId, rest);
  if (!from) return page;
  const since = Date.parse(`${from}T00:00:00Z`);
  const items = page.items.filter((m) => Date.parse(m.createdAt) >= since);
  return { items, nextCursor: items.length < page.items.length ? null : page.nextCursor };
}

export const uiApiRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  const admin = (req: FastifyRequest): number => {
    const p = principal(req);
    requireAdmin(p);
    return p.portalId;
  };
  const may = async (req: FastifyRequest, action: 'view_channels' | 'view_trace' | 'replay') => {
    const p = principal(req);
    await deps.roles.require(p, action);
    return p.portalId;
  };

  app.get('/me', async (req) => {
    const p = principal(req);
    const [viewChannels, viewTrace, replay] = await Promise.all([
      deps.roles.can(p, 'view_channels'),
      deps.roles.can(p, 'view_trace'),
      deps.roles.can(p, 'replay'),
    ]);
    return { userId: p.userId, admin: p.admin, via: p.via, can: { viewChannels, viewTrace, replay } };
  });

  app.get('/channels/details', async (req) => ({
    items: await deps.channelAdmin.details(await may(req, 'view_channels')),
  }));
  app.get('/channels/health', async (req) => ({
    items: await deps.channelAdmin.health(await may(req, 'view_channels')),
  }));
  app.patch<{ Params: { id: string } }>('/channels/:id', async (req) =>
    deps.channelAdmin.update(admin(req), req.params.id, req.body),
  );
  app.get<{ Params: { id: string } }>('/channels/:id/settings', async (req) =>
    deps.channelAdmin.settings(admin(req), req.params.id),
  );
  app.put<{ Params: { id: string } }>('/channels/:id/crm', async (req) =>
    deps.roles.setCrm(admin(req), req.params.id, req.body),
  );

  // The portal's Bitrix24 plan sets its REST budget (reference §7): Enterprise drains 5 req/s and
  // blocks above 250, every other plan 2 and 50. Bitrix24 does not tell an app which plan it is on.
  app.get('/portal', async (req) => portalPlan(deps, principal(req).portalId));
  app.put('/portal/plan', async (req) => {
    const portalId = admin(req);
    const { plan } = parseInput(planBody, req.body ?? {});
    const budget = plan === 'enterprise' ? { perSec: 5, burst: 250 } : { perSec: 2, burst: 50 };
    await deps.db
      .updateTable('portals')
      .set({ rate_drain_per_sec: budget.perSec, rate_burst: budget.burst, updated_at: sql`now()` })
      .where('id', '=', portalId)
      .execute();
    return portalPlan(deps, portalId);
  });

  app.get('/lines', async (req) => ({ items: await deps.roles.lines(await may(req, 'view_channels')) }));
  app.get('/lines/:line/status', async (req) => {
    const { line } = parseInput(lineParam, req.params);
    return deps.channelAdmin.lineStatus(admin(req), line);
  });

  app.get('/number-requests', async (req) => ({ items: await deps.channelAdmin.listRequests(admin(req)) }));
  app.post('/number-requests', async (req, reply) =>
    reply
      .status(201)
      .send(await deps.channelAdmin.requestNumber(admin(req), principal(req).userId, req.body)),
  );
  app.delete('/number-requests/:id', async (req, reply) => {
    const { id } = parseInput(idParam, req.params);
    await deps.channelAdmin.cancelRequest(admin(req), id);
    return reply.status(204).send();
  });

  app.get('/portal/users', async (req) => deps.roles.users(admin(req), req.query));
  app.get('/portal/departments', async (req) => ({ items: await deps.roles.departments(admin(req)) }));
  app.get('/crm/pipelines', async (req) => deps.roles.crmPipelines(admin(req)));
  app.get('/roles', async (req) => deps.roles.list(admin(req)));
  app.put('/roles', async (req) => deps.roles.apply(admin(req), req.body));
};

/**
 * The vendor's operator API: confirms requested numbers once Gupshup assigned them. Its own bearer
 * token (OPERATOR_TOKEN); without one configured the routes do not exist for anybody.
 */
export const operatorRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.addHook('onRequest', async (req) => {
    const want = deps.config.operatorToken;
    if (!want) throw new NotFoundError(`No route ${req.method} ${req.url.split('?')[0]}`);
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m?.[1] || !safeEqual(m[1], want)) throw new UnauthorizedError('Operator token required');
  });
  app.get('/number-requests', async () => ({ items: await deps.channelAdmin.pendingRequests() }));
  app.post('/number-requests/:id/confirm', async (req, reply) => {
    const { id } = parseInput(idParam, req.params);
    return reply.status(201).send(await deps.channelAdmin.confirmRequest(id, req.body));
  });
};
