import { Readable } from 'node:stream';
import contentDisposition from 'content-disposition';
import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { staticBearer } from '../../shared/bearer.js';
import { NotFoundError } from '../../shared/errors.js';
import { allowedPortal } from '../roles/access.js';
import type { RolesService } from '../roles/roles.service.js';
import {
  consumptionQuery,
  exportQuery,
  ledgerQuery,
  packIdParam,
  packInput,
  packPatch,
  subscriptionPricesInput,
} from './billing.schemas.js';
import type { BillingExport, CsvExport } from './export.service.js';
import type { LedgerService } from './ledger.service.js';
import type { OfferService } from './offer.service.js';

const tags = ['billing'];

/** A CSV download: streamed, named, never cached (a portal's own figures; campaigns use it too). */
export function sendCsv(reply: FastifyReply, csv: CsvExport) {
  return reply
    .header('content-type', 'text/csv; charset=utf-8')
    .header('content-disposition', contentDisposition(csv.filename))
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff')
    .send(Readable.from(csv.body));
}

/**
 * What a portal's billing admins read, inside the `/api/v1` auth scope: portal admins, and users
 * whose chat roles allow `view_billing`. The roles check comes before the query is validated, so a
 * caller who may not see billing learns nothing from its filters.
 */
export const billingRoutes: FastifyPluginAsyncZod<{
  ledger: LedgerService;
  offer: OfferService;
  exports: BillingExport;
  roles: Pick<RolesService, 'require'>;
}> = async (app, o) => {
  app.get(
    '/balance',
    {
      schema: { tags, summary: 'Message units: available, reserved for messages in flight, owed; the packs' },
    },
    async (req) => o.ledger.balance(await allowedPortal(o, req, 'view_billing')),
  );
  app.get(
    '/ledger',
    {
      schema: { tags, summary: 'The ledger, newest entry first (cursor paging)', querystring: ledgerQuery },
      attachValidation: true,
    },
    async (req) => {
      const portalId = await allowedPortal(o, req, 'view_billing');
      if (req.validationError) throw req.validationError;
      return o.ledger.ledger(portalId, req.query);
    },
  );
  app.get(
    '/billing/consumption',
    {
      schema: { tags, summary: 'Units spent per day and channel (UTC days)', querystring: consumptionQuery },
      attachValidation: true,
    },
    async (req) => {
      const portalId = await allowedPortal(o, req, 'view_billing');
      if (req.validationError) throw req.validationError;
      return o.ledger.consumption(portalId, req.query);
    },
  );
  for (const what of ['ledger', 'consumption'] as const) {
    app.get(
      `/billing/${what}.csv`,
      {
        schema: {
          tags,
          summary: `The ${what} as CSV, a range of UTC days (from, to: YYYY-MM-DD; by default the last 30)`,
          querystring: exportQuery,
        },
        attachValidation: true,
      },
      async (req, reply) => {
        const portalId = await allowedPortal(o, req, 'view_billing');
        if (req.validationError) throw req.validationError;
        return sendCsv(reply, o.exports[what](portalId, req.query));
      },
    );
  }
  app.get(
    '/billing/offer',
    { schema: { tags, summary: 'The message packs on sale and the channel subscription prices' } },
    async (req) => {
      await allowedPortal(o, req, 'view_billing');
      return o.offer.offer();
    },
  );
};

/**
 * The vendor's operator API for the offer (OPERATOR_TOKEN; without one the routes do not exist):
 * message packs (never deleted, made inactive) and the subscription price list.
 */
export const billingOperatorRoutes: FastifyPluginAsyncZod<{
  offer: OfferService;
  operatorToken: string | undefined;
}> = async (app, o) => {
  const operator = ['operator'];
  app.addHook('onRequest', staticBearer(o.operatorToken, 'Operator token'));
  app.get(
    '/packs',
    { schema: { tags: operator, summary: 'Every message pack (OPERATOR_TOKEN)' } },
    async () => ({
      items: await o.offer.allPacks(),
    }),
  );
  app.post(
    '/packs',
    { schema: { tags: operator, summary: 'A new message pack (OPERATOR_TOKEN)', body: packInput } },
    async (req, reply) => reply.status(201).send(await o.offer.createPack(req.body)),
  );
  app.patch(
    '/packs/:id',
    {
      schema: {
        tags: operator,
        summary: 'Change a message pack; `active: false` takes it off sale (OPERATOR_TOKEN)',
        params: packIdParam,
        body: packPatch,
      },
      attachValidation: true,
    },
    async (req) => {
      if (req.validationError) {
        // An id that is not one is a pack that does not exist; a bad body is a 400.
        if (!packIdParam.safeParse(req.params).success) throw new NotFoundError('Pack not found');
        throw req.validationError;
      }
      return o.offer.updatePack(req.params.id, req.body);
    },
  );
  app.get(
    '/subscription-prices',
    { schema: { tags: operator, summary: 'The channel subscription price list (OPERATOR_TOKEN)' } },
    async () => ({ items: await o.offer.subscriptionPrices() }),
  );
  app.put(
    '/subscription-prices',
    {
      schema: {
        tags: operator,
        summary:
          'Replace the channel subscription price list: 1, 3, 6, 12 months per currency (OPERATOR_TOKEN)',
        body: subscriptionPricesInput,
      },
    },
    async (req) => o.offer.replaceSubscriptionPrices(req.body),
  );
};
