import type { FastifyInstance } from 'fastify';
import type { Deps } from './composition-root.js';
import { HealthRepository } from './modules/health/health.repository.js';
import { healthRoutes } from './modules/health/health.routes.js';
import { mediaRoutes } from './modules/media/media.routes.js';
import { messagingRoutes } from './modules/messaging/messaging.routes.js';
import { gupshupWebhookRoutes } from './modules/messaging/webhook.routes.js';
import { BillingRepository } from './modules/billing/billing.repository.js';
import { billingOperatorRoutes, billingRoutes } from './modules/billing/billing.routes.js';
import { BillingExport } from './modules/billing/export.service.js';
import { billingSettingsRoutes } from './modules/billing/billing-settings.routes.js';
import { checkoutRoutes, paymentWebhookRoutes, returnPageRoutes } from './modules/billing/payments.routes.js';
import { channelsRoutes } from './modules/channels/channels.routes.js';
import { operatorRoutes } from './modules/channels/number-requests.routes.js';
import { pagesRoutes } from './modules/pages/pages.routes.js';
import { portalApiRoutes, portalsRoutes } from './modules/portals/portals.routes.js';
import { rolesRoutes } from './modules/roles/roles.routes.js';
import { templateRobotRoutes } from './modules/templates/template-robot.routes.js';
import { templateSendRoutes } from './modules/templates/template-send.routes.js';
import { TemplateSentRepository } from './modules/templates/template-sent.repository.js';
import { templateSentRoutes } from './modules/templates/template-sent.routes.js';
import { templatesRoutes } from './modules/templates/templates.routes.js';
import { NotificationsRepository } from './modules/notifications/notifications.repository.js';
import {
  notificationsOperatorRoutes,
  notificationsRoutes,
} from './modules/notifications/notifications.routes.js';
import { NotificationsService } from './modules/notifications/notifications.service.js';
import { digestsRoutes } from './modules/notifications/digests.routes.js';
import { ReportsRepository } from './modules/notifications/reports.repository.js';
import { ReportsService } from './modules/notifications/reports.service.js';
import { CompaniesService } from './modules/notifications/companies.service.js';
import { Bitrix24Companies } from './integrations/bitrix24/crm-companies.js';
import { TemplatesRepository } from './modules/templates/templates.repository.js';
import { apiAuthHook } from './modules/tokens/api-auth.js';
import { smsapiWebhookRoutes, smsHandlerRoutes } from './modules/sms/sms-handler.routes.js';
import { smsRoutes } from './modules/sms/sms.routes.js';
import { parseDeliveryReports } from './integrations/smsapi/smsapi.client.js';
import { campaignsRoutes } from './modules/campaigns/campaigns.routes.js';
import { listsRoutes } from './modules/campaigns/lists.routes.js';
import { tokensPublicRoutes, tokensRoutes } from './modules/tokens/tokens.routes.js';

/**
 * Every module's routes, each plugin given only the services it uses. Bitrix24, Gupshup and the
 * pages at the top; the JSON API under /api/v1, where everything but token creation and the
 * operator's routes sits inside one auth scope (tokens/api-auth.ts).
 */
export async function registerRoutes(app: FastifyInstance, deps: Deps): Promise<void> {
  const groupsRepo = new NotificationsRepository(deps.db);
  const reports = new ReportsService(
    new ReportsRepository(deps.db),
    groupsRepo,
    new TemplatesRepository(deps.db),
  );
  const notifications = new NotificationsService(groupsRepo, { reportsOf: (p, g) => reports.ofGroup(p, g) });
  await app.register(healthRoutes, {
    repo: new HealthRepository(deps.db),
    worker: deps.worker,
    config: deps.config,
  });
  await app.register(portalsRoutes, {
    portals: deps.portals,
    events: {
      messaging: deps.messaging,
      edits: deps.edits,
      channels: deps.channels,
      crm: deps.crmEvents.service,
    },
    connectorId: deps.config.b24.connectorId,
    nudge: () => deps.worker.nudge(),
  });
  await app.register(pagesRoutes, { tokens: deps.tokens });
  await app.register(templateRobotRoutes, {
    robot: deps.templateSend.robot,
    verify: (memberId, token) => deps.portals.verifyEvent(memberId, token),
  });
  await app.register(smsHandlerRoutes, {
    sms: deps.sms.service,
    verify: (memberId, token) => deps.portals.verifyEvent(memberId, token),
  });
  await app.register(smsapiWebhookRoutes, {
    repo: deps.sms.repo,
    dlr: deps.sms.dlr,
    smsapi: { parseDeliveryReports },
    nudge: () => deps.worker.nudge(),
  });
  await app.register(gupshupWebhookRoutes, {
    channels: deps.channels,
    messaging: deps.messaging,
    templates: deps.templates,
  });
  await app.register(mediaRoutes, { media: deps.media });
  await app.register(paymentWebhookRoutes, {
    repo: deps.payments.repo,
    readers: deps.payments.readers,
    nudge: () => deps.worker.nudge(),
  });
  await app.register(returnPageRoutes, { checkout: deps.payments.checkout });
  await app.register(
    async (api) => {
      await api.register(tokensPublicRoutes, { tokens: deps.tokens });
      await api.register(operatorRoutes, {
        channelAdmin: deps.channelAdmin,
        operatorToken: deps.config.operatorToken,
        prefix: '/operator',
      });
      await api.register(billingOperatorRoutes, {
        offer: deps.offer,
        operatorToken: deps.config.operatorToken,
        prefix: '/operator/billing',
      });
      await api.register(notificationsOperatorRoutes, {
        notifications,
        operatorToken: deps.config.operatorToken,
        prefix: '/operator/notifications',
      });
      await api.register(async (authed) => {
        authed.addHook('onRequest', apiAuthHook(deps.tokens, deps.frontendAuth));
        await authed.register(tokensRoutes, { tokens: deps.tokens });
        await authed.register(rolesRoutes, { roles: deps.roles });
        await authed.register(portalApiRoutes, { portals: deps.portals });
        await authed.register(channelsRoutes, {
          channels: deps.channels,
          channelAdmin: deps.channelAdmin,
          roles: deps.roles,
        });
        await authed.register(messagingRoutes, { messaging: deps.messaging, roles: deps.roles });
        await authed.register(billingRoutes, {
          ledger: deps.ledger,
          offer: deps.offer,
          exports: new BillingExport(new BillingRepository(deps.db)),
          roles: deps.roles,
        });
        await authed.register(billingSettingsRoutes, { lowBalance: deps.lowBalance, roles: deps.roles });
        await authed.register(checkoutRoutes, {
          checkout: deps.payments.checkout,
          roles: deps.roles,
          portalLang: deps.portalLang,
        });
        await authed.register(templatesRoutes, { templates: deps.templates, portalLang: deps.portalLang });
        await authed.register(templateSendRoutes, {
          send: deps.templateSend.send,
          picker: deps.templateSend.picker,
        });
        await authed.register(templateSentRoutes, { repo: new TemplateSentRepository(deps.db) });
        await authed.register(notificationsRoutes, {
          notifications,
          reports,
          companies: new CompaniesService(new Bitrix24Companies(deps.bitrix)),
          roles: deps.roles,
        });
        await authed.register(digestsRoutes, { digests: deps.digests.service, roles: deps.roles });
        await authed.register(smsRoutes, {
          settings: deps.sms.settings,
          sms: deps.sms.service,
          portalLang: deps.portalLang,
        });
        await authed.register(campaignsRoutes, {
          campaigns: deps.campaigns.service,
          reports: deps.campaigns.reports,
          portalLang: deps.portalLang,
        });
        await authed.register(listsRoutes, deps.campaignLists);
      });
    },
    { prefix: '/api/v1' },
  );
}
