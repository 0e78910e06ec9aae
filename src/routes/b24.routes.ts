import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Deps } from '../composition-root.js';
import { installPageView } from '../modules/pages/boot.js';
import { ValidationError, describeIssues } from '../shared/errors.js';
import { formBodyParser } from '../shared/http/form.js';
import { t } from '../shared/texts.js';
import { toLang } from '../shared/i18n.js';
import { INT_MAX, iframeQuery } from '../shared/validate.js';
import { renderError } from '../modules/pages/error-page.js';

/**
 * Routes Bitrix24 calls: the install page, event delivery, the app page and the connector settings
 * placement. Pages answer with a localized HTML error page; events answer JSON.
 */

/** PostgreSQL integer: Bitrix24 ids above it are not real. */

const installBody = z.object({
  AUTH_ID: z.string().min(1).max(512),
  AUTH_EXPIRES: z.coerce.number().int().positive().max(86_400).default(3600),
  REFRESH_ID: z.string().min(1).max(512),
  SERVER_ENDPOINT: z.string().max(512).optional(),
  APPLICATION_TOKEN: z.string().min(1).max(256).optional(),
  member_id: z.string().min(1).max(128),
  PLACEMENT: z.string().max(64).optional(),
  PLACEMENT_OPTIONS: z.string().max(10_000).optional(),
});

const eventAuth = z
  .object({
    member_id: z.string().min(1).max(128).optional(),
    application_token: z.string().max(256).optional(),
    domain: z.string().max(255).optional(),
    access_token: z.string().max(512).optional(),
    refresh_token: z.string().max(512).optional(),
    expires_in: z.coerce.number().optional(),
    client_endpoint: z.string().max(512).optional(),
    server_endpoint: z.string().max(512).optional(),
    user_id: z.coerce.number().optional(),
  })
  .loose();
const eventBody = z
  .object({ event: z.string().min(1).max(64), data: z.unknown().optional(), auth: eventAuth.optional() })
  .loose();

const installEventAuth = z.object({
  member_id: z.string().min(1).max(128),
  application_token: z.string().min(1).max(256),
  domain: z.string().min(1).max(255),
  access_token: z.string().min(1).max(512),
  refresh_token: z.string().min(1).max(512),
  expires_in: z.coerce.number().int().positive().default(3600),
  client_endpoint: z.url(),
  server_endpoint: z.string().max(512).optional(),
  user_id: z.coerce.number().int().positive().max(INT_MAX).optional().catch(undefined),
});

const operatorMessage = z
  .object({
    im: z
      .object({
        chat_id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
        message_id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER),
      })
      .loose(),
    message: z
      .object({
        user_id: z.coerce.number().int().optional().catch(undefined),
        text: z.string().max(100_000).optional().default(''),
        files: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]).optional(),
      })
      .loose(),
    chat: z.object({ id: z.coerce.string().min(1).max(128) }).loose(),
  })
  .loose();
const messageAddData = z
  .object({
    CONNECTOR: z.string().min(1),
    LINE: z.coerce.number().int().nonnegative().max(INT_MAX),
    MESSAGES: z.union([z.array(operatorMessage), z.record(z.string(), operatorMessage)]),
  })
  .loose();

/** OnImConnectorMessageUpdate/Delete items (reference §4.2, §4.3): `message.id` is our ids, `text` on updates. */
const changedMessage = z
  .object({
    im: z.object({ message_id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) }).loose(),
    message: z
      .object({ text: z.string().max(100_000).optional() })
      .loose()
      .optional(),
  })
  .loose();
const messageChangeData = z
  .object({
    CONNECTOR: z.string().min(1),
    MESSAGES: z.union([z.array(changedMessage), z.record(z.string(), changedMessage)]),
  })
  .loose();

export const b24Routes: FastifyPluginAsync<{ deps: Deps }> = async (app, { deps }) => {
  // Bitrix24 posts events, ONAPPINSTALL and the install page as forms only (reference §2.2, §1.2):
  // anything else here is not Bitrix24 and is refused with 415 before it is parsed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, formBodyParser);

  // The install wizard page (iframe POST, reference §1.2), or the ONAPPINSTALL callback (§1.3).
  app.post('/b24/install', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body.event === 'string' && body.event.toUpperCase() === 'ONAPPINSTALL') {
      return handleInstallEvent(deps, req, reply, body);
    }
    const q = iframeQuery.safeParse(req.query ?? {});
    const lang = toLang(q.success ? q.data.LANG : undefined);
    try {
      if (!q.success) throw new ValidationError(describeIssues(q.error.issues));
      const b = installBody.safeParse(body);
      if (!b.success) throw new ValidationError(describeIssues(b.error.issues));
      await deps.portals.installFromIframe(
        {
          domain: q.data.DOMAIN,
          protocol: q.data.PROTOCOL,
          lang: q.data.LANG,
          accessToken: b.data.AUTH_ID,
          expiresInSec: b.data.AUTH_EXPIRES,
          refreshToken: b.data.REFRESH_ID,
          serverEndpoint: b.data.SERVER_ENDPOINT,
          applicationToken: b.data.APPLICATION_TOKEN,
          memberId: b.data.member_id,
        },
        req.log,
      );
      return reply.type('text/html').view('install.eta', {
        lang,
        t: (k: string) => t(lang, k),
        ...(await installPageView(q.data)),
      });
    } catch (err) {
      return renderError(reply, req, lang, err);
    }
  });

  app.post('/b24/events', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (typeof body.event === 'string' && body.event.toUpperCase() === 'ONAPPINSTALL') {
      return handleInstallEvent(deps, req, reply, body);
    }
    const parsed = eventBody.safeParse(body);
    if (!parsed.success) {
      throw new ValidationError(`Not a Bitrix24 event: ${describeIssues(parsed.error.issues)}`);
    }
    const ev = parsed.data;
    let portal;
    try {
      portal = await deps.portals.verifyEvent(ev.auth?.member_id, ev.auth?.application_token);
    } catch (err) {
      req.log.warn(
        { event: ev.event, memberId: ev.auth?.member_id },
        'Bitrix24 event refused: application token check failed.',
      );
      throw err;
    }
    const name = ev.event.toUpperCase();
    switch (name) {
      case 'ONIMCONNECTORMESSAGEADD': {
        const d = messageAddData.safeParse(ev.data);
        if (!d.success) throw new ValidationError(`Invalid message event: ${describeIssues(d.error.issues)}`);
        if (d.data.CONNECTOR.toLowerCase() !== deps.config.b24.connectorId) {
          return reply.send({ ok: true, ignored: 'another connector' });
        }
        const list = Array.isArray(d.data.MESSAGES) ? d.data.MESSAGES : Object.values(d.data.MESSAGES);
        const stored = await deps.messaging.acceptOperatorMessages(
          portal.id,
          d.data.LINE,
          list.map((m) => ({
            imChatId: m.im.chat_id,
            imMessageId: m.im.message_id,
            text: m.message.text,
            files: Array.isArray(m.message.files)
              ? m.message.files
              : m.message.files
                ? Object.values(m.message.files)
                : [],
            externalChatId: m.chat.id,
            userId: m.message.user_id ?? null,
          })),
          req.log,
        );
        return reply.send({ ok: true, stored });
      }
      case 'ONIMCONNECTORMESSAGEUPDATE':
      case 'ONIMCONNECTORMESSAGEDELETE': {
        const d = messageChangeData.safeParse(ev.data);
        if (!d.success) throw new ValidationError(`Invalid message event: ${describeIssues(d.error.issues)}`);
        if (d.data.CONNECTOR.toLowerCase() !== deps.config.b24.connectorId) {
          return reply.send({ ok: true, ignored: 'another connector' });
        }
        const list = Array.isArray(d.data.MESSAGES) ? d.data.MESSAGES : Object.values(d.data.MESSAGES);
        const r = await deps.edits.accept(
          portal.id,
          name === 'ONIMCONNECTORMESSAGEUPDATE' ? 'update' : 'delete',
          list.map((m) => ({
            imMessageId: m.im.message_id,
            ...(m.message?.text !== undefined ? { text: m.message.text } : {}),
          })),
          req.log,
        );
        return reply.send({ ok: true, ...r });
      }
      case 'ONIMCONNECTORLINEDELETE': {
        const line = z.coerce.number().int().positive().max(INT_MAX).safeParse(ev.data);
        if (!line.success) throw new ValidationError('data must be the deleted line id');
        await deps.channels.lineGone(portal.id, line.data, 'line_deleted');
        return reply.send({ ok: true });
      }
      case 'ONIMCONNECTORSTATUSDELETE': {
        const d = z
          .object({
            connector: z.string().optional(),
            CONNECTOR: z.string().optional(),
            line: z.coerce.number().int().positive().max(INT_MAX).optional(),
            LINE: z.coerce.number().int().positive().max(INT_MAX).optional(),
          })
          .loose()
          .safeParse(ev.data);
        const line = d.success ? (d.data.line ?? d.data.LINE) : undefined;
        const connector = d.success ? (d.data.connector ?? d.data.CONNECTOR) : undefined;
        if (!line) throw new ValidationError('data.line is required');
        if (connector && connector.toLowerCase() !== deps.config.b24.connectorId) {
          return reply.send({ ok: true, ignored: 'another connector' });
        }
        await deps.channels.lineGone(portal.id, line, 'connector_disabled_in_bitrix24');
        return reply.send({ ok: true });
      }
      case 'ONAPPUNINSTALL':
        await deps.portals.uninstall(portal, req.log);
        deps.channels.forgetCallbacks();
        return reply.send({ ok: true });
      default:
        req.log.info({ event: name }, 'Bitrix24 event not handled by this version; acknowledged.');
        return reply.send({ ok: true, ignored: name });
    }
  });
  // The app's main page and the connector settings placement are in ui.routes.ts.
};

async function handleInstallEvent(
  deps: Deps,
  req: FastifyRequest,
  reply: FastifyReply,
  body: Record<string, unknown>,
) {
  const a = installEventAuth.safeParse(body.auth);
  if (!a.success) {
    throw new ValidationError(`ONAPPINSTALL without usable auth: ${describeIssues(a.error.issues)}`);
  }
  const data = (body.data ?? {}) as { LANGUAGE_ID?: unknown };
  await deps.portals.installFromEvent(
    {
      memberId: a.data.member_id,
      domain: a.data.domain,
      clientEndpoint: a.data.client_endpoint,
      serverEndpoint: a.data.server_endpoint,
      accessToken: a.data.access_token,
      refreshToken: a.data.refresh_token,
      expiresInSec: a.data.expires_in,
      applicationToken: a.data.application_token,
      lang: typeof data.LANGUAGE_ID === 'string' ? data.LANGUAGE_ID : undefined,
      userId: a.data.user_id,
    },
    req.log,
  );
  deps.worker.nudge();
  return reply.send({ ok: true });
}
