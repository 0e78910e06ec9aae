import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Lang } from '../../shared/i18n.js';
import { principal } from '../tokens/api-auth.js';
import type { PortalLanguage } from './ports.js';
import type { TemplateAction } from './template-access.js';
import { TEMPLATE_MEDIA } from './template-model.js';
import {
  mediaQueryInput,
  syncQueryInput,
  templateDraftInput,
  templateIdParam,
  templateLinesInput,
  templatePatchInput,
  templateQueryInput,
} from './templates.schemas.js';
import type { TemplatesService } from './templates.service.js';

export interface TemplatesRoutesOptions {
  templates: TemplatesService;
  portalLang: PortalLanguage;
}

const tags = ['templates'];
const MEDIA_TYPES = Object.values(TEMPLATE_MEDIA).flatMap((m) => m.mimes);
const MEDIA_MAX = Math.max(...Object.values(TEMPLATE_MEDIA).map((m) => m.maxBytes));

/**
 * The caller's language for the words of a refusal: the first of es, en, pt in Accept-Language (the
 * pages send theirs), else the portal's.
 */
export async function callerLang(req: FastifyRequest, portalLang: PortalLanguage): Promise<Lang> {
  const header = req.headers['accept-language'] ?? '';
  for (const part of header.split(',')) {
    const tag = part.split(';')[0]?.trim().toLowerCase().slice(0, 2);
    if (tag === 'es' || tag === 'en' || tag === 'pt') return tag;
  }
  return portalLang(principal(req).portalId);
}

/**
 * WhatsApp templates in the JSON API (inside the /api/v1 auth scope). Reading follows the caller's
 * roles on the template's channel; changes are for admins and the channel's bosses, refused (403)
 * before the input is looked at when the caller may change no channel's templates
 * (template-access.ts).
 */
export const templatesRoutes: FastifyPluginAsyncZod<TemplatesRoutesOptions> = async (app, o) => {
  await app.register(readRoutes, o);
  await app.register(changeRoutes, o);
  await app.register(lifecycleRoutes, o);
  await app.register(mediaRoute, o);
};

/** A route's `preValidation`: 403 unless the caller may do `action` on some channel's templates. */
const allowed = (t: TemplatesService, action: TemplateAction) => async (req: FastifyRequest) =>
  t.access.requireAny(principal(req), action);

/** List and view. */
const readRoutes: FastifyPluginAsyncZod<TemplatesRoutesOptions> = async (app, o) => {
  const t = o.templates;
  app.get(
    '/templates',
    {
      preValidation: allowed(t, 'read'),
      schema: {
        tags,
        summary: 'The templates the caller may read, with filters',
        querystring: templateQueryInput,
      },
    },
    async (req) => ({ templates: await t.list(principal(req), req.query) }),
  );
  app.get(
    '/templates/:id',
    { schema: { tags, params: templateIdParam, summary: 'One template' } },
    async (req) => t.get(principal(req), req.params.id),
  );
};

/** Create, edit, assign: admins and the channel's bosses. */
const changeRoutes: FastifyPluginAsyncZod<TemplatesRoutesOptions> = async (app, o) => {
  const t = o.templates;
  const manage = allowed(t, 'manage');
  const lang = (req: FastifyRequest) => callerLang(req, o.portalLang);
  const byId = { tags, params: templateIdParam };
  app.post(
    '/templates',
    {
      preValidation: manage,
      schema: {
        tags,
        summary: 'Create a template: checked, stored as draft and submitted to Gupshup for review',
        body: templateDraftInput,
      },
    },
    async (req, reply) => reply.status(201).send(await t.create(principal(req), req.body, await lang(req))),
  );
  app.patch(
    '/templates/:id',
    {
      preValidation: manage,
      schema: { ...byId, summary: 'Rename a template or switch it on or off', body: templatePatchInput },
    },
    async (req) => t.update(principal(req), req.params.id, req.body, await lang(req)),
  );
  app.put(
    '/templates/:id/lines',
    {
      preValidation: manage,
      schema: {
        ...byId,
        summary: 'The open lines whose agents are offered the template',
        body: templateLinesInput,
      },
    },
    async (req) => t.setLines(principal(req), req.params.id, req.body.lineIds, await lang(req)),
  );
};

/** Delete and sync, which reach Gupshup through jobs: admins and the channel's bosses. */
const lifecycleRoutes: FastifyPluginAsyncZod<TemplatesRoutesOptions> = async (app, o) => {
  const t = o.templates;
  const manage = allowed(t, 'manage');
  const lang = (req: FastifyRequest) => callerLang(req, o.portalLang);
  const byId = { tags, params: templateIdParam };
  app.delete(
    '/templates/:id',
    {
      preValidation: manage,
      schema: {
        ...byId,
        summary: 'Delete a template in Gupshup: every language of its element name, irreversible (202)',
      },
    },
    async (req, reply) => reply.status(202).send(await t.remove(principal(req), req.params.id)),
  );
  app.post(
    '/templates/sync',
    {
      preValidation: manage,
      schema: {
        tags,
        summary: 'Read the channel’s templates from Gupshup now (202)',
        querystring: syncQueryInput,
      },
    },
    async (req, reply) => {
      await t.requestSync(principal(req), req.query.channelId, await lang(req));
      return reply.status(202).send({ queued: true });
    },
  );
};

/**
 * POST /templates/media: the raw file as the body, typed by its Content-Type, which its first bytes
 * must confirm; at most the seed's size for its type (template-media.ts). Its own scope, so the raw
 * body parsers and the larger body limit apply to this route only.
 */
const mediaRoute: FastifyPluginAsyncZod<TemplatesRoutesOptions> = async (app, o) => {
  app.addContentTypeParser(MEDIA_TYPES, { parseAs: 'buffer', bodyLimit: MEDIA_MAX }, (_req, body, done) =>
    done(null, body),
  );
  app.post(
    '/templates/media',
    {
      bodyLimit: MEDIA_MAX,
      preValidation: async (req) => o.templates.access.requireAny(principal(req), 'use'),
      schema: {
        tags,
        summary: 'Upload a header file (JPG/PNG ≤ 2 MB, PDF ≤ 2 MB, MP4 ≤ 5 MB) as the raw body',
        querystring: mediaQueryInput,
      },
    },
    async (req, reply) => {
      const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const stored = await o.templates.uploadMedia(principal(req), {
        bytes,
        contentType: req.headers['content-type'],
        name: req.query.name,
      });
      return reply.status(201).send(stored);
    },
  );
};
