import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { PortalLanguage } from '../templates/ports.js';
import { callerLang } from '../templates/templates.routes.js';
import { adminOnly, adminPortal, principal } from '../tokens/api-auth.js';
import { smsSettingsInput, type SmsSettingsService } from './sms-settings.service.js';
import type { SmsService } from './sms.service.js';

const tags = ['sms'];
const text = z.string().min(1).max(5000);
const countInput = z.strictObject({ text: z.string().max(5000), noAccents: z.boolean().optional() });
const sendInput = z.strictObject({ to: z.string().min(3).max(40), text, noAccents: z.boolean().optional() });
const pageQuery = z.strictObject({ page: z.coerce.number().int().min(1).max(100_000).default(1) });

/**
 * SMS in the JSON API (inside the /api/v1 auth scope): the settings, the provider registration, the
 * consent field's candidates, the length counter, sending and the log. Portal admins only: anyone
 * else is refused (403) before the input is looked at.
 */
export const smsRoutes: FastifyPluginAsyncZod<{
  settings: SmsSettingsService;
  sms: SmsService;
  portalLang: PortalLanguage;
}> = async (app, o) => {
  const admin = { preValidation: adminOnly };
  app.get(
    '/sms/settings',
    { ...admin, schema: { tags, summary: 'The portal’s SMS settings' } },
    async (req) => o.settings.view(adminPortal(req)),
  );
  app.put(
    '/sms/settings',
    {
      ...admin,
      schema: {
        tags,
        summary: 'Change the SMS settings (token and sender checked with SMSAPI)',
        body: smsSettingsInput,
      },
    },
    async (req) => o.settings.update(adminPortal(req), req.body, await callerLang(req, o.portalLang)),
  );
  app.post(
    '/sms/register',
    { ...admin, schema: { tags, summary: 'Register the app as the portal’s SMS provider in Bitrix24' } },
    async (req) => o.settings.register(adminPortal(req)),
  );
  app.get(
    '/sms/consent-fields',
    { ...admin, schema: { tags, summary: 'Contact fields that can hold SMS consent' } },
    async (req) => o.settings.consentFields(adminPortal(req)),
  );
  app.post(
    '/sms/count',
    { ...admin, schema: { tags, summary: 'Encoding and parts of a text', body: countInput } },
    async (req) => o.sms.count(adminPortal(req), req.body),
  );
  app.post(
    '/sms/messages',
    { ...admin, schema: { tags, summary: 'Send an SMS (202: queued)', body: sendInput } },
    async (req, reply) => {
      const p = principal(req);
      const r = await o.sms.sendFromApi(
        adminPortal(req),
        p.userId,
        req.body,
        await callerLang(req, o.portalLang),
      );
      return reply.status(202).send(r);
    },
  );
  app.get(
    '/sms/messages',
    { ...admin, schema: { tags, summary: 'The SMS log, newest first', querystring: pageQuery } },
    async (req) => o.sms.list(adminPortal(req), req.query.page),
  );
};
