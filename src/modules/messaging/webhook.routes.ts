import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { parseGupshupCallback } from '../../integrations/gupshup/gupshup.webhook.js';
import { AppError } from '../../shared/errors.js';
import type { MessagingService } from './messaging.service.js';
import type { CallbackAuth, TemplateEvents } from './ports.js';

/** The channel id is checked by `authenticateCallback`: one that is not a UUID is an unknown channel (404). */
const callbackParams = z.object({ channelId: z.string(), secret: z.string() });

/** Gupshup sends application/json; a JSON body under another text type is read all the same. */
function jsonBody(body: unknown): object {
  let parsed = body;
  if (typeof parsed === 'string') {
    try {
      parsed = JSON.parse(parsed) as unknown;
    } catch {
      throw new AppError('bad_request', 'Expected a JSON body', 400);
    }
  }
  if (!parsed || typeof parsed !== 'object') throw new AppError('bad_request', 'Expected a JSON body', 400);
  return parsed;
}

/**
 * Gupshup's callback for one channel (reference/gupshup.md §3). Validate, store, answer 2xx with an
 * empty body; nothing here calls an upstream. The secret in the path authenticates Gupshup (it signs
 * nothing), and `app`, when present, must be the channel's Gupshup app.
 */
export const gupshupWebhookRoutes: FastifyPluginAsyncZod<{
  channels: CallbackAuth;
  messaging: MessagingService;
  templates: TemplateEvents;
}> = async (app, o) => {
  app.post(
    '/webhooks/gupshup/:channelId/:secret',
    { schema: { params: callbackParams } },
    async (req, reply) => {
      const channel = await o.channels.authenticateCallback(req.params.channelId, req.params.secret);
      const cb = parseGupshupCallback(jsonBody(req.body));
      if (cb.app && cb.app.toLowerCase() !== channel.appName.toLowerCase()) {
        req.log.warn({ channelId: channel.id }, 'Gupshup callback for another app refused.');
        throw new AppError('forbidden', 'This callback belongs to another Gupshup app', 403);
      }
      const ref = { id: channel.id, portalId: channel.portalId };
      // A template's review moved on: the templates module records it (database only).
      if (cb.kind === 'template') await o.templates.acceptEvent(ref, cb);
      else await o.messaging.acceptCallback(ref, cb, req.log);
      return reply.status(200).send('');
    },
  );
};
