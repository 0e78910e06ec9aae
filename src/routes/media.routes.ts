import type { FastifyPluginAsync } from 'fastify';
import type { Deps } from '../composition-root.js';

/**
 * `GET /media/:id?exp=&sig=`: re-hosted media for Bitrix24 and Gupshup, who fetch it without
 * credentials. A link that is not ours or has expired is 403, a file we do not have is 404; the body
 * is streamed with a safe type, a safe disposition and no sniffing.
 */
export const mediaRoutes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  app.get<{ Params: { id: string }; Querystring: Record<string, unknown> }>(
    '/media/:id',
    async (req, reply) => {
      const id = req.params.id.toLowerCase();
      const q = req.query ?? {};
      if (!deps.media.signer.verify(id, q.exp, q.sig)) {
        return reply.status(403).send({
          error: {
            code: 'forbidden',
            message: 'This media link is invalid or has expired',
            requestId: req.id,
          },
        });
      }
      const file = await deps.media.open(id);
      if (!file) {
        return reply
          .status(404)
          .send({ error: { code: 'not_found', message: 'No such media file', requestId: req.id } });
      }
      return reply.status(200).headers(file.headers).send(file.body);
    },
  );
};
