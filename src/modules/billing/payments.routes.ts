import { createHash } from 'node:crypto';
import type { FastifyPluginAsync } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError, ValidationError } from '../../shared/errors.js';
import { allowedPortal } from '../roles/access.js';
import type { RolesService } from '../roles/roles.service.js';
import { principal } from '../tokens/api-auth.js';
import { CANCEL_PATH, RETURN_PATH, type CheckoutService } from './checkout.service.js';
import {
  checkoutBody,
  checkoutHeaders,
  checkoutReply,
  ordersQuery,
  portalLinkBody,
  returnQuery,
} from './checkout.schemas.js';
import type { PaymentProviderName, WebhookEnvelope } from './payment-ports.js';
import type { PaymentsRepository } from './payments.repository.js';
import { RETURN_SCRIPT, RETURN_SCRIPT_PATH, returnPageHtml } from './return-page.js';

const tags = ['billing'];

/**
 * Checkout and the order list, inside the `/api/v1` auth scope: portal admins and users whose chat
 * roles allow billing (`view_billing`), checked before the body is read (403 before 400).
 */
export const checkoutRoutes: FastifyPluginAsyncZod<{
  checkout: CheckoutService;
  roles: Pick<RolesService, 'require'>;
  portalLang: (portalId: number) => Promise<'es' | 'en' | 'pt'>;
}> = async (app, o) => {
  app.post(
    '/checkout',
    {
      schema: {
        tags,
        summary:
          'Buy a message pack (Stripe or PayPal) or a channel subscription (Stripe): the provider page to send the payer to',
        body: checkoutBody,
        headers: checkoutHeaders,
        response: { 200: checkoutReply },
      },
      attachValidation: true,
    },
    async (req) => {
      const portalId = await allowedPortal(o, req, 'view_billing');
      if (req.validationError) throw req.validationError;
      const p = principal(req);
      return o.checkout.checkout({ portalId, userId: p.userId }, req.body, req.headers['idempotency-key']);
    },
  );
  app.get(
    '/orders',
    {
      schema: {
        tags,
        summary: 'Orders newest first, with their payment status and receipt',
        querystring: ordersQuery,
      },
      attachValidation: true,
    },
    async (req) => {
      const portalId = await allowedPortal(o, req, 'view_billing');
      if (req.validationError) throw req.validationError;
      return o.checkout.orders(portalId, req.query.limit);
    },
  );
  app.post(
    '/billing/customer-portal',
    {
      schema: {
        tags,
        summary:
          "Stripe's customer portal for the channel subscriptions (cards, cancellation): a short-lived link",
        body: portalLinkBody,
      },
      attachValidation: true,
    },
    async (req) => {
      const portalId = await allowedPortal(o, req, 'view_billing');
      if (req.validationError) throw req.validationError;
      const lang = await o.portalLang(portalId);
      return o.checkout.customerPortal(portalId, req.body.channelId ?? null, req.body.returnPath, lang);
    },
  );
};

/** Verifies a delivery's sender synchronously (Stripe) or only reads its envelope (PayPal: later). */
export interface WebhookRead {
  envelope: WebhookEnvelope;
  keep: Record<string, string>;
}

/** Stripe's reader is async: the SDK that checks the signature is imported at the first delivery. */
export type WebhookReader = (
  raw: Buffer,
  headers: Record<string, string | string[] | undefined>,
) => WebhookRead | Promise<WebhookRead>;

/**
 * `/webhooks/stripe` and `/webhooks/paypal`, with the raw body (the signatures are over the bytes).
 * A delivery is verified where that needs no upstream call (Stripe's HMAC), stored with its job in
 * one commit, then answered; PayPal's verification (a call to PayPal) runs in the job. A provider
 * that is not set up answers 404.
 */
export const paymentWebhookRoutes: FastifyPluginAsync<{
  repo: PaymentsRepository;
  readers: Partial<Record<PaymentProviderName, WebhookReader>>;
  nudge: () => void;
}> = async (app, o) => {
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  for (const provider of ['stripe', 'paypal'] as const) {
    app.post(`/webhooks/${provider}`, { schema: { hide: true } }, async (req, reply) => {
      const read = o.readers[provider];
      if (!read) throw new NotFoundError(`${provider} webhooks are not set up`);
      if (!Buffer.isBuffer(req.body)) throw new ValidationError('Expected a JSON body');
      const { envelope, keep } = await read(req.body, req.headers);
      const stored = await o.repo.webhooks.store({
        provider,
        eventId: envelope.eventId,
        eventType: envelope.eventType,
        bodySha256: createHash('sha256').update(req.body).digest('hex'),
        body: req.body.toString('utf8'),
        headers: keep,
      });
      if (stored) o.nudge();
      return reply.send({ received: true });
    });
  }
};

/** The return and cancel pages, the status they poll, and their script (no auth: the order's token). */
export const returnPageRoutes: FastifyPluginAsync<{ checkout: CheckoutService }> = async (app, o) => {
  const hidden = { schema: { hide: true } };
  app.get(RETURN_SCRIPT_PATH, hidden, async (_req, reply) =>
    reply
      .type('application/javascript; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(RETURN_SCRIPT),
  );
  for (const page of ['return', 'cancel'] as const) {
    app.get(page === 'return' ? RETURN_PATH : CANCEL_PATH, hidden, async (req, reply) => {
      const q = returnQuery.safeParse(req.query ?? {});
      const found = q.success ? await o.checkout.returnStatus(Number(q.data.order), q.data.t) : null;
      if (found && page === 'return') await o.checkout.payerReturned(found.id, q.data!.t);
      reply
        .header(
          'content-security-policy',
          "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
        )
        .header('referrer-policy', 'no-referrer')
        .type('text/html; charset=utf-8')
        .status(found ? 200 : 404);
      return reply.send(
        returnPageHtml({
          lang: found?.lang ?? 'es',
          page,
          order: found ? { id: found.id, kind: found.kind, status: found.status, back: found.back } : null,
          token: q.success ? q.data.t : '',
        }),
      );
    });
  }
  app.get('/billing/orders/:id/status', hidden, async (req, reply) => {
    const id = z.object({ id: z.string() }).safeParse(req.params);
    const t = z.object({ t: z.string() }).safeParse(req.query);
    const q = returnQuery.safeParse({ order: id.data?.id, t: t.data?.t });
    const found = q.success ? await o.checkout.returnStatus(Number(q.data.order), q.data.t) : null;
    if (!found) throw new NotFoundError('No such order');
    return reply.send({ status: found.status });
  });
};
