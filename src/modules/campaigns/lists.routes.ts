import { Readable } from 'node:stream';
import contentDisposition from 'content-disposition';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { callerLang } from '../templates/templates.routes.js';
import type { CrmListService } from './crm-list.js';
import { AppError, NotFoundError } from '../../shared/errors.js';
import { csvRow } from '../../shared/csv.js';
import { adminPortal, principal } from '../tokens/api-auth.js';
import { listText } from './list-texts.js';
import {
  campaignIdParam,
  crmListInput,
  optOutInput,
  optOutParam,
  optOutsQuery,
  previewQuery,
  uploadQuery,
} from './list-schemas.js';
import type { ListsService } from './lists.service.js';
import type { OptOutsService } from './opt-outs.service.js';

const tags = ['campaigns'];
/** What an upload may be sent as; the body is handed over as the request stream, never buffered. */
const LIST_TYPES = ['text/csv', 'application/octet-stream'];

/**
 * A campaign's list (issue 14) inside the `/api/v1` auth scope: the CSV upload (streamed), the CRM
 * filter, the preview and the rejected rows; and the portal's opt-outs. Portal admins, bearer tokens
 * and bosses of the campaign's channel; 403 before 404 before 400.
 */
export const listsRoutes: FastifyPluginAsyncZod<{
  lists: ListsService;
  crm: CrmListService;
  optOuts: OptOutsService;
}> = async (app, o) => {
  app.addContentTypeParser(LIST_TYPES, (_req, payload, done) => done(null, payload));
  // The page's reasons in the reader's language (Accept-Language), else the portal's.
  const readerLang = (req: FastifyRequest) => callerLang(req, (portalId) => o.lists.lang(portalId));

  const campaignOf = async (req: { params: unknown; validationError?: Error }) => {
    if (!campaignIdParam.safeParse(req.params).success) throw new NotFoundError('No such campaign');
    return campaignIdParam.parse(req.params).id;
  };

  app.put(
    '/campaigns/:id/list',
    {
      schema: {
        tags,
        summary: 'Replace the draft campaign’s list with a CSV (text/csv or application/octet-stream)',
        params: campaignIdParam,
        querystring: uploadQuery,
      },
      attachValidation: true,
    },
    async (req, reply) => {
      const p = principal(req);
      await o.lists.mayManage(p);
      const id = await campaignOf(req);
      if (req.validationError) throw req.validationError;
      if (!(req.body instanceof Readable)) {
        await o.lists.campaign(p, id);
        const lang = await o.lists.lang(p.portalId);
        throw new AppError('unsupported_media_type', listText('not_csv', lang), 415);
      }
      try {
        return await o.lists.uploadCsv(p, id, req.body, {
          shape: req.query.shape,
          fileName: req.query.fileName ?? null,
          lang: await readerLang(req),
        });
      } catch (err) {
        // A file refused halfway is not read to its end: the connection closes after the answer.
        if (!req.raw.complete) void reply.header('connection', 'close');
        throw err;
      }
    },
  );
  app.post(
    '/campaigns/:id/list/crm',
    {
      schema: {
        tags,
        summary: 'Fill the draft campaign’s list from a CRM filter (read by a job; list status `loading`)',
        params: campaignIdParam,
        body: crmListInput,
      },
      attachValidation: true,
    },
    async (req, reply) => {
      const p = principal(req);
      await o.lists.mayManage(p);
      const id = await campaignOf(req);
      if (req.validationError) throw req.validationError;
      return reply.status(202).send(await o.crm.start(p, id, req.body));
    },
  );
  app.get(
    '/campaigns/:id/preview',
    {
      schema: {
        tags,
        summary: 'The first rows as the customer will read them, the first rejected ones, the counts',
        params: campaignIdParam,
        querystring: previewQuery,
      },
      attachValidation: true,
    },
    async (req) => {
      const p = principal(req);
      await o.lists.mayManage(p);
      const id = await campaignOf(req);
      if (req.validationError) throw req.validationError;
      return o.lists.preview(p, id, req.query.limit, await readerLang(req));
    },
  );
  app.get(
    '/campaigns/:id/rejected.csv',
    {
      schema: { tags, summary: 'The rejected rows with their reason (CSV)', params: campaignIdParam },
      attachValidation: true,
    },
    async (req, reply) => {
      const p = principal(req);
      await o.lists.mayManage(p);
      const id = await campaignOf(req);
      await o.lists.campaign(p, id);
      return reply
        .header('content-type', 'text/csv; charset=utf-8')
        .header('content-disposition', contentDisposition(`campaign-${id}-rejected.csv`))
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .send(Readable.from(o.lists.rejectedCsv(p, id, csvRow)));
    },
  );

  app.get(
    '/opt-outs',
    {
      schema: { tags, summary: 'Numbers that asked not to get campaigns', querystring: optOutsQuery },
      attachValidation: true,
    },
    async (req) => {
      const portalId = adminPortal(req);
      if (req.validationError) throw req.validationError;
      return o.optOuts.list(portalId, req.query.search, req.query.page);
    },
  );
  app.post(
    '/opt-outs',
    {
      schema: { tags, summary: 'Mark a number as not wanting campaigns', body: optOutInput },
      attachValidation: true,
    },
    async (req, reply) => {
      const portalId = adminPortal(req);
      if (req.validationError) throw req.validationError;
      const r = await o.optOuts.add(portalId, principal(req).userId, req.body.phone, req.body.channelId);
      return reply.status(r.added ? 201 : 200).send(r);
    },
  );
  app.delete(
    '/opt-outs/:phone',
    {
      schema: { tags, summary: 'Take a number off the opt-outs', params: optOutParam },
      attachValidation: true,
    },
    async (req, reply) => {
      const portalId = adminPortal(req);
      if (req.validationError) throw new NotFoundError('Not on the list');
      await o.optOuts.remove(portalId, req.params.phone);
      return reply.status(204).send();
    },
  );
};
