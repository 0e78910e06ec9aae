import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { toLang, type Lang } from '../../shared/i18n.js';
import { INT_MAX } from '../../shared/validate.js';
import { FRONTEND_AUTH_HEADER } from '../tokens/frontend-auth.js';
import { principal } from '../tokens/api-auth.js';
import type { TemplatePickerService, Who } from './template-picker.service.js';
import { refuse, SendRefused, type SendAccepted, type TemplateSendService } from './template-send.service.js';

/**
 * Sending templates through the JSON API (contract: /work/notes/templates-contract.md), inside the
 * /api/v1 auth scope (bearer token or a page's frontend auth):
 * - POST /messages/template: integrators (idempotent by `clientKey` or the `Idempotency-Key` header);
 * - GET /chats/:chatId/templates, POST /chats/:chatId/templates/send: the picker in an open-line chat;
 * - GET /crm/:entityType/:entityId/templates, POST …/templates/send: the WhatsApp tab of a CRM card.
 * All answer 202 with the stored message; the send itself is the `outbound.send` job's.
 */

const tags = ['templates'];
const text = z.string().max(2_000);
const params = z
  .union([z.array(text).max(50), z.record(z.string().min(1).max(100), text)])
  .optional()
  .describe('The values of {{1}}…{{n}}: a list in order, or an object by parameter name');
const clientKey = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
  .optional();
const mediaId = z.uuid().optional().describe('A header file uploaded with POST /templates/media');

const apiBody = z.object({
  channelId: z.uuid(),
  to: z.string().trim().min(1).max(40).describe('The customer’s number with its country code'),
  templateId: z.uuid(),
  params,
  mediaUrl: z.string().trim().max(2_000).optional().describe('A public link to the header file'),
  mediaId,
  clientKey,
});
const pickerBody = z.object({ templateId: z.uuid(), params, mediaId, clientKey });
const cardBody = pickerBody.extend({ channelId: z.uuid(), phone: z.string().trim().min(1).max(40) });
const chatParams = z.object({ chatId: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
const cardParams = z.object({
  entityType: z.enum(['contact', 'lead', 'deal']),
  entityId: z.coerce.number().int().positive().max(INT_MAX),
});

/** The caller's language for refusals: Accept-Language, else English. */
function langOf(req: FastifyRequest): Lang {
  const al = req.headers['accept-language'];
  return typeof al === 'string' && al.trim() ? toLang(al.trim()) : 'en';
}

function whoOf(req: FastifyRequest): Who {
  const p = principal(req);
  const header = req.headers[FRONTEND_AUTH_HEADER];
  const viewerToken =
    p.via === 'frontend' && typeof header === 'string'
      ? (new URLSearchParams(header).get('AUTH_ID') ?? undefined)
      : undefined;
  return { principal: p, portalId: p.portalId, userId: p.userId, lang: langOf(req), viewerToken };
}

/** 202 with the message, or a 400 naming each field at fault (`issues`) in the caller's language. */
async function answer(reply: FastifyReply, req: FastifyRequest, run: () => Promise<SendAccepted>) {
  try {
    const r = await run();
    return reply.status(r.duplicate ? 200 : 202).send({ messageId: r.messageId, status: r.status });
  } catch (err) {
    if (!(err instanceof SendRefused)) throw err;
    return reply.status(err.httpStatus).send({
      error: { code: err.code, message: err.message, issues: err.issues, requestId: req.id },
    });
  }
}

export const templateSendRoutes: FastifyPluginAsyncZod<{
  send: TemplateSendService;
  picker: TemplatePickerService;
}> = async (app, o) => {
  app.post(
    '/messages/template',
    {
      schema: {
        tags,
        summary: 'Send an approved template to a number (idempotent by clientKey or Idempotency-Key)',
        body: apiBody,
        headers: z.object({ 'idempotency-key': clientKey }).loose(),
      },
    },
    async (req, reply) => apiSend(o.send, req, reply, req.body),
  );

  app.get(
    '/chats/:chatId/templates',
    {
      schema: {
        tags,
        summary: 'The templates an open-line chat offers (approved, active, on its line)',
        params: chatParams,
      },
    },
    async (req) => o.picker.forChat(whoOf(req), req.params.chatId),
  );

  app.post(
    '/chats/:chatId/templates/send',
    {
      schema: {
        tags,
        summary: 'Send a template to the chat’s customer, as the agent',
        params: chatParams,
        body: pickerBody,
      },
    },
    async (req, reply) =>
      answer(reply, req, () => o.picker.sendFromChat(whoOf(req), req.params.chatId, req.body)),
  );

  await app.register(templateCardRoutes, { picker: o.picker });
};

/** The WhatsApp tab of a CRM card: its phones and templates, and sending to one of its numbers. */
const templateCardRoutes: FastifyPluginAsyncZod<{ picker: TemplatePickerService }> = async (app, o) => {
  app.get(
    '/crm/:entityType/:entityId/templates',
    {
      schema: {
        tags,
        summary: 'A CRM card’s phones, and each channel with the templates its line offers',
        params: cardParams,
      },
    },
    async (req) => o.picker.forCard(whoOf(req), req.params.entityType, req.params.entityId),
  );

  app.post(
    '/crm/:entityType/:entityId/templates/send',
    {
      schema: {
        tags,
        summary: 'Send a template to one of a CRM card’s numbers (checked before it goes)',
        params: cardParams,
        body: cardBody,
      },
    },
    async (req, reply) =>
      answer(reply, req, () =>
        o.picker.sendFromCard(whoOf(req), req.params.entityType, req.params.entityId, req.body),
      ),
  );
};

/** POST /messages/template: the key from the body or the header (both given, they must agree). */
async function apiSend(
  send: TemplateSendService,
  req: FastifyRequest,
  reply: FastifyReply,
  body: z.infer<typeof apiBody>,
) {
  const who = whoOf(req);
  const header = req.headers['idempotency-key'];
  const fromHeader = typeof header === 'string' ? header.trim() : undefined;
  if (fromHeader && body.clientKey && fromHeader !== body.clientKey) {
    const err = refuse(who.lang, [{ field: 'clientKey', code: 'key_mismatch' }]);
    return reply.status(400).send({
      error: { code: err.code, message: err.message, issues: err.issues, requestId: req.id },
    });
  }
  const key = body.clientKey ?? fromHeader;
  return answer(reply, req, async () => {
    await send.assertMayUse(who.principal, body.channelId);
    return send.send({
      ...body,
      portalId: who.portalId,
      clientKey: key ? `api:${key}` : null,
      sentBy: who.userId,
      lang: who.lang,
    });
  });
}
