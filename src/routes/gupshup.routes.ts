import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import type { Deps } from '../composition-root.js';
import { parseGupshupCallback } from '../integrations/gupshup/gupshup.webhook.js';
import { AppError } from '../shared/errors.js';
import { writeTrace } from '../modules/trace/trace.service.js';

/**
 * Gupshup's callback for one channel (reference/gupshup.md §3). Validate, store, answer 2xx with an
 * empty body; nothing here calls an upstream. The secret in the path authenticates Gupshup (it signs
 * nothing), and `app`, when present, must be the channel's Gupshup app.
 */
export const gupshupRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  const lastSeenWritten = new Map<string, number>();
  app.post<{ Params: { channelId: string; secret: string } }>(
    '/webhooks/gupshup/:channelId/:secret',
    async (req, reply) => {
      const channel = await deps.channels.authenticateCallback(req.params.channelId, req.params.secret);
      // Gupshup sends application/json; a JSON body under another text type is read all the same.
      let body: unknown = req.body;
      if (typeof body === 'string') {
        try {
          body = JSON.parse(body) as unknown;
        } catch {
          throw new AppError('bad_request', 'Expected a JSON body', 400);
        }
      }
      if (!body || typeof body !== 'object') throw new AppError('bad_request', 'Expected a JSON body', 400);
      const cb = parseGupshupCallback(body);
      if (cb.app && cb.app.toLowerCase() !== channel.appName.toLowerCase()) {
        req.log.warn({ channelId: channel.id }, 'Gupshup callback for another app refused.');
        throw new AppError('forbidden', 'This callback belongs to another Gupshup app', 403);
      }
      const ch = { id: channel.id, portalId: channel.portalId };
      switch (cb.kind) {
        case 'message':
          await deps.messaging.acceptInbound(ch, cb);
          break;
        case 'status':
          await deps.messaging.acceptStatus(ch, cb);
          break;
        case 'other':
          await writeTrace(deps.db, {
            portalId: channel.portalId,
            channelId: channel.id,
            step: 'gupshup_event',
            detail: `${cb.type}${cb.subtype ? `/${cb.subtype}` : ''}`,
          });
          break;
      }
      // Seen-at for the health strip; written at most every 10 s per channel, off the answer's path.
      const now = Date.now();
      if ((lastSeenWritten.get(channel.id) ?? 0) < now - 10_000) {
        lastSeenWritten.set(channel.id, now);
        deps.db
          .updateTable('channels')
          .set({ last_webhook_at: sql`now()` })
          .where('id', '=', channel.id)
          // The same 10 s across instances: the row is written once, not once per instance.
          .where((eb) =>
            eb.or([
              eb('last_webhook_at', 'is', null),
              eb('last_webhook_at', '<', sql<Date>`now() - interval '10 seconds'`),
            ]),
          )
          .execute()
          .catch((err: unknown) =>
            req.log.warn({ err }, 'Could not record when the channel was last heard from.'),
          );
      }
      return reply.status(200).send('');
    },
  );
};
