import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import {
  isInstallEvent,
  parseEvent,
  parseEventEnvelope,
  parseInstallEvent,
  parseInstallPage,
  type Bitrix24Event,
} from '../../integrations/bitrix24/events.js';
import { installPageView } from '../pages/boot.js';
import { renderError } from '../pages/error-page.js';
import { describeIssues, ValidationError } from '../../shared/errors.js';
import { formBodyParser } from '../../shared/http/form.js';
import { toLang } from '../../shared/i18n.js';
import type { Log as Logger } from '../../shared/logger.js';
import { t } from '../../shared/texts.js';
import { iframeQuery } from '../../shared/validate.js';
import { adminOnly, adminPortal, principal } from '../tokens/api-auth.js';
import type { Portal } from './portals.repository.js';
import { planInput, type PortalsService } from './portals.service.js';
import type { EventTargets } from './ports.js';

/**
 * Routes Bitrix24 calls: the install page (reference §1.2), ONAPPINSTALL (§1.3) and event delivery
 * (§2.2, §4). The page answers with a localized HTML error page; events answer JSON. What the
 * payloads mean is read by the Bitrix24 adapter (integrations/bitrix24/events.ts).
 */
export interface PortalsRoutesOptions {
  portals: PortalsService;
  events: EventTargets;
  /** Our connector's id: events about other connectors are acknowledged and ignored. */
  connectorId: string;
  /** Wakes the worker: ONAPPINSTALL queued the portal's setup. */
  nudge: () => void;
}

type Reply = Record<string, unknown>;
const IGNORED: Reply = { ok: true, ignored: 'another connector' };

export const portalsRoutes: FastifyPluginAsync<PortalsRoutesOptions> = async (app, o) => {
  // Bitrix24 posts events, ONAPPINSTALL and the install page as forms only (reference §2.2, §1.2):
  // anything else here is not Bitrix24 and is refused with 415 before it is parsed.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, formBodyParser);

  // The install wizard page (iframe POST, reference §1.2), or the ONAPPINSTALL callback (§1.3).
  app.post('/b24/install', async (req, reply) =>
    isInstallEvent(req.body) ? installEvent(o, req) : installPage(o.portals, req, reply),
  );

  app.post('/b24/events', async (req) => {
    if (isInstallEvent(req.body)) return installEvent(o, req);
    const envelope = parseEventEnvelope(req.body ?? {});
    let portal;
    try {
      portal = await o.portals.verifyEvent(envelope.memberId, envelope.applicationToken);
    } catch (err) {
      req.log.warn(
        { event: envelope.name, memberId: envelope.memberId },
        'Bitrix24 event refused: application token check failed.',
      );
      throw err;
    }
    return dispatch(o, portal, parseEvent(envelope), req.log);
  });
};

async function installPage(portals: PortalsService, req: FastifyRequest, reply: FastifyReply) {
  const q = iframeQuery.safeParse(req.query ?? {});
  const lang = toLang(q.success ? q.data.LANG : undefined);
  try {
    if (!q.success) throw new ValidationError(describeIssues(q.error.issues));
    await portals.installFromIframe(parseInstallPage(q.data, req.body ?? {}), req.log);
    return reply.type('text/html').view('install.eta', {
      lang,
      t: (k: string) => t(lang, k),
      ...(await installPageView(q.data)),
    });
  } catch (err) {
    return renderError(reply, req, lang, err);
  }
}

async function installEvent(o: PortalsRoutesOptions, req: FastifyRequest): Promise<Reply> {
  await o.portals.installFromEvent(parseInstallEvent(req.body), req.log);
  o.nudge();
  return { ok: true };
}

/** One verified event to the module it concerns. */
async function dispatch(
  o: PortalsRoutesOptions,
  portal: Portal,
  ev: Bitrix24Event,
  log: Logger,
): Promise<Reply> {
  const ours = (connector: string | undefined) => !connector || connector.toLowerCase() === o.connectorId;
  switch (ev.event) {
    case 'ONIMCONNECTORMESSAGEADD': {
      if (!ours(ev.data.connector)) return IGNORED;
      const { line, messages } = ev.data;
      return {
        ok: true,
        stored: await o.events.messaging.acceptOperatorMessages(portal.id, line, messages, log),
      };
    }
    case 'ONIMCONNECTORMESSAGEUPDATE':
    case 'ONIMCONNECTORMESSAGEDELETE': {
      if (!ours(ev.data.connector)) return IGNORED;
      const kind = ev.event === 'ONIMCONNECTORMESSAGEUPDATE' ? 'update' : 'delete';
      return { ok: true, ...(await o.events.edits.accept(portal.id, kind, ev.data.messages, log)) };
    }
    case 'ONIMCONNECTORLINEDELETE':
      await o.events.channels.lineGone(portal.id, ev.data, 'line_deleted');
      return { ok: true };
    case 'ONIMCONNECTORSTATUSDELETE':
      if (!ours(ev.data.connector)) return IGNORED;
      await o.events.channels.lineGone(portal.id, ev.data.line, 'connector_disabled_in_bitrix24');
      return { ok: true };
    case 'ONAPPUNINSTALL':
      await o.portals.uninstall(portal, log);
      return { ok: true };
    case 'ONCRMDEALADD':
    case 'ONCRMDEALUPDATE':
    case 'ONCRMLEADADD': {
      // Only the record's id: its read-back is a job, answered once stored (no call before the answer).
      const entity = ev.event === 'ONCRMLEADADD' ? 'lead' : 'deal';
      return { ok: true, ...(await o.events.crm.accept(portal.id, entity, ev.data.id)) };
    }
    case 'other':
      log.info({ event: ev.name }, 'Bitrix24 event not handled by this version; acknowledged.');
      return { ok: true, ignored: ev.name };
  }
}

/** The portal's plan (its REST budget), in the authenticated API. */
export const portalApiRoutes: FastifyPluginAsyncZod<{ portals: PortalsService }> = async (app, o) => {
  const tags = ['portal'];
  app.get(
    '/portal',
    { schema: { tags, summary: 'The portal, its Bitrix24 plan and REST budget' } },
    async (req) => o.portals.plan(principal(req).portalId),
  );
  app.put(
    '/portal/plan',
    {
      preValidation: adminOnly,
      schema: { tags, summary: 'Set the portal’s Bitrix24 plan (its REST budget)', body: planInput },
    },
    async (req) => o.portals.setPlan(adminPortal(req), req.body),
  );
};
