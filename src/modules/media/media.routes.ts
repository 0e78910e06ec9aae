import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ForbiddenError, NotFoundError, RangeNotSatisfiableError } from '../../shared/errors.js';
import type { MediaService } from './media.service.js';

/** A signature part that is not one plain string (missing, repeated) is simply not a valid link: 403. */
const linkPart = z.string().optional().catch(undefined);

/**
 * `GET /media/:id?exp=&sig=`: re-hosted media for Bitrix24 and Gupshup, who fetch it without
 * credentials. A link that is not ours or has expired is 403, a file we do not have is 404; the body
 * is streamed with a safe type, a safe disposition and no sniffing, whole or the one byte range asked
 * (206; 416 when none of it is in the file) so that videos play and seek. Not part of /api/v1:
 * hidden from its OpenAPI document.
 */
export const mediaRoutes: FastifyPluginAsyncZod<{ media: MediaService }> = async (app, o) => {
  app.get(
    '/media/:id',
    {
      schema: {
        hide: true,
        params: z.object({ id: z.string().transform((id) => id.toLowerCase()) }),
        querystring: z.object({ exp: linkPart, sig: linkPart }),
      },
    },
    async (req, reply) => {
      const { id } = req.params;
      if (!o.media.signer.verify(id, req.query.exp, req.query.sig)) {
        throw new ForbiddenError('This media link is invalid or has expired');
      }
      const file = await o.media.open(id, req.headers.range, req.headers['if-range'] !== undefined);
      if (!file) throw new NotFoundError('No such media file');
      if (file.status === 416) {
        reply.header('content-range', `bytes */${file.size}`);
        throw new RangeNotSatisfiableError(file.size);
      }
      return reply.status(file.status).headers(file.headers).send(file.body);
    },
  );
};
