import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError } from '../../shared/errors.js';
import { principal } from '../tokens/api-auth.js';
import type { TemplateSentRepository } from './template-sent.repository.js';

/**
 * GET /api/v1/templates/sent/:messageId: what became of a template message (issue 11) — the picker
 * shows the agent "sent" or "failed, and why" after the 202 of a send. A page user reads only the
 * messages they sent (admins any of the portal's); a bearer token any of its portal's. Another
 * portal's message, a message that is not a template's, or someone else's is a 404 alike.
 */

const params = z.object({ messageId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });

export interface SentTemplate {
  messageId: number;
  status: string;
  error: { code: string | null; detail: string | null } | null;
  sentAt: string | null;
  failedAt: string | null;
}

export const templateSentRoutes: FastifyPluginAsyncZod<{ repo: TemplateSentRepository }> = async (app, o) => {
  app.get(
    '/templates/sent/:messageId',
    {
      schema: {
        tags: ['templates'],
        summary: 'Where a template message stands: its status, and the error code when it failed',
        params,
      },
      // An id that is not one is a message that does not exist.
      attachValidation: true,
    },
    async (req): Promise<SentTemplate> => {
      if (req.validationError) throw new NotFoundError('Message not found');
      const p = principal(req);
      const m = await o.repo.find(p.portalId, req.params.messageId);
      const mine = p.via === 'token' || p.admin || (m?.sent_by !== null && m?.sent_by === p.userId);
      if (!m || !mine) throw new NotFoundError('Message not found');
      return {
        messageId: m.id,
        status: m.status,
        error: m.error_code || m.error_detail ? { code: m.error_code, detail: m.error_detail } : null,
        sentAt: m.sent_at?.toISOString() ?? null,
        failedAt: m.failed_at?.toISOString() ?? null,
      };
    },
  );
};
