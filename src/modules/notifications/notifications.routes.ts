import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { staticBearer } from '../../shared/bearer.js';
import { NotFoundError } from '../../shared/errors.js';
import { adminPortal } from '../tokens/api-auth.js';
import { allowedPortal } from '../roles/access.js';
import type { RolesService } from '../roles/roles.service.js';
import type { CompaniesService } from './companies.service.js';
import {
  companiesQuery,
  enabledInput,
  groupInput,
  groupPatch,
  groupRecipientParams,
  idParam,
  operatorListQuery,
  operatorPatch,
  portalParam,
  recipientInput,
  recipientPatch,
  settingsPatch,
  reportInput,
  groupReportInput,
  groupReportParams,
} from './notifications.schemas.js';
import type { NotificationsService } from './notifications.service.js';
import type { ReportsService } from './reports.service.js';

const tags = ['notifications'];

/**
 * Scheduled notifications for integrators and the pages, inside the `/api/v1` auth scope: portal
 * admins and bearer tokens, and users whose chat roles allow `manage_notifications`. The roles check
 * runs before the input is validated, so a caller without the right learns nothing from a 400.
 * Ids in the path that are not ids are groups or recipients that do not exist (404).
 */
export const notificationsRoutes: FastifyPluginAsyncZod<{
  notifications: NotificationsService;
  reports: ReportsService;
  companies: CompaniesService;
  roles: Pick<RolesService, 'require'>;
}> = async (app, o) => {
  const portal = (req: FastifyRequest) => allowedPortal(o, req, 'manage_notifications');
  /** The portal, then the path, then the body: 403 before 404 before 400. */
  const checked = async (req: FastifyRequest, params: { safeParse(v: unknown): { success: boolean } }) => {
    const portalId = await portal(req);
    if (!params.safeParse(req.params).success) throw new NotFoundError();
    if (req.validationError) throw req.validationError;
    return portalId;
  };
  const s = o.notifications;

  app.get(
    '/notification-groups',
    { schema: { tags, summary: 'The groups with their counters, the limits, the trial and the settings' } },
    async (req) => s.groups(await portal(req)),
  );
  app.post(
    '/notification-groups',
    {
      schema: { tags, summary: 'A new group (within the portal’s group limit)', body: groupInput },
      attachValidation: true,
    },
    async (req, reply) => {
      const portalId = await checked(req, idParam.partial());
      return reply.status(201).send(await s.createGroup(portalId, req.body.name));
    },
  );
  app.get(
    '/notification-groups/:id',
    {
      schema: {
        tags,
        summary: 'A group: every recipient with whether it is enabled here, its companies',
        params: idParam,
      },
      attachValidation: true,
    },
    async (req) => s.group(await checked(req, idParam), req.params.id),
  );
  app.patch(
    '/notification-groups/:id',
    {
      schema: {
        tags,
        summary: 'Rename a group or choose the companies it hears about',
        params: idParam,
        body: groupPatch,
      },
      attachValidation: true,
    },
    async (req) => s.updateGroup(await checked(req, idParam), req.params.id, req.body),
  );
  app.delete(
    '/notification-groups/:id',
    {
      schema: { tags, summary: 'Delete a group (not the main one)', params: idParam },
      attachValidation: true,
    },
    async (req, reply) => {
      await s.deleteGroup(await checked(req, idParam), req.params.id);
      return reply.status(204).send();
    },
  );
  app.get(
    '/notification-companies',
    {
      schema: {
        tags,
        summary: 'The CRM companies whose title contains `search` (50 at most), for a group to hear about',
        querystring: companiesQuery,
      },
      attachValidation: true,
    },
    async (req) => {
      const portalId = await checked(req, idParam.partial());
      return o.companies.search(portalId, req.query.search);
    },
  );
  app.post(
    '/notification-groups/:id/recipients',
    {
      schema: {
        tags,
        summary:
          'Add a number and enable it in this group (a number the portal has is enabled, not added twice)',
        params: idParam,
        body: recipientInput,
      },
      attachValidation: true,
    },
    async (req, reply) =>
      reply.status(201).send(await s.addRecipient(await checked(req, idParam), req.params.id, req.body)),
  );
  app.put(
    '/notification-groups/:id/recipients',
    {
      schema: {
        tags,
        summary: 'Enable or disable every recipient in this group',
        params: idParam,
        body: enabledInput,
      },
      attachValidation: true,
    },
    async (req) => s.setEnabled(await checked(req, idParam), req.params.id, null, req.body.enabled),
  );
  app.put(
    '/notification-groups/:id/recipients/:recipientId',
    {
      schema: {
        tags,
        summary: 'Enable or disable one recipient in this group',
        params: groupRecipientParams,
        body: enabledInput,
      },
      attachValidation: true,
    },
    async (req) =>
      s.setEnabled(
        await checked(req, groupRecipientParams),
        req.params.id,
        req.params.recipientId,
        req.body.enabled,
      ),
  );
  app.patch(
    '/notification-recipients/:id',
    {
      schema: { tags, summary: 'Change a recipient', params: idParam, body: recipientPatch },
      attachValidation: true,
    },
    async (req) => s.updateRecipient(await checked(req, idParam), req.params.id, req.body),
  );
  app.delete(
    '/notification-recipients/:id',
    {
      schema: { tags, summary: 'Delete a recipient from the portal and every group', params: idParam },
      attachValidation: true,
    },
    async (req, reply) => {
      await s.deleteRecipient(await checked(req, idParam), req.params.id);
      return reply.status(204).send();
    },
  );
  const r = o.reports;
  app.get(
    '/notification-reports',
    { schema: { tags, summary: 'The reports and their templates' } },
    async (req) => r.list(await portal(req)),
  );
  app.post(
    '/notification-reports',
    {
      schema: {
        tags,
        summary: 'A report: a CRM condition and the approved template that tells it',
        body: reportInput,
      },
      attachValidation: true,
    },
    async (req, reply) =>
      reply.status(201).send(await r.create(await checked(req, idParam.partial()), req.body)),
  );
  app.put(
    '/notification-reports/:id',
    {
      schema: { tags, summary: 'Replace a report', params: idParam, body: reportInput },
      attachValidation: true,
    },
    async (req) => r.replace(await checked(req, idParam), req.params.id, req.body),
  );
  app.delete(
    '/notification-reports/:id',
    {
      schema: { tags, summary: 'Delete a report (every group stops receiving it)', params: idParam },
      attachValidation: true,
    },
    async (req, reply) => {
      await r.delete(await checked(req, idParam), req.params.id);
      return reply.status(204).send();
    },
  );
  app.put(
    '/notification-groups/:id/reports/:reportId',
    {
      schema: {
        tags,
        summary: 'Whether the group receives a report, on which weekdays and in which hours',
        params: groupReportParams,
        body: groupReportInput,
      },
      attachValidation: true,
    },
    async (req) =>
      r.setForGroup(await checked(req, groupReportParams), req.params.id, req.params.reportId, req.body),
  );
  app.patch(
    '/notification-settings',
    {
      schema: {
        tags,
        summary: 'Country (holidays, numbers), time zone and digest interval (portal admins)',
        body: settingsPatch,
      },
      attachValidation: true,
    },
    async (req) => {
      const portalId = adminPortal(req);
      if (req.validationError) throw req.validationError;
      return s.updateSettings(portalId, req.body);
    },
  );
};

/** The operator raises a portal's limits and switches its full service on (OPERATOR_TOKEN). */
export const notificationsOperatorRoutes: FastifyPluginAsyncZod<{
  notifications: NotificationsService;
  operatorToken: string | undefined;
}> = async (app, o) => {
  app.addHook('onRequest', staticBearer(o.operatorToken, 'Operator token'));
  app.get(
    '/',
    {
      schema: {
        tags: ['operator'],
        summary:
          'The portals that use notifications: trial or full service, usage, limits, calling codes (OPERATOR_TOKEN, paged by portal id)',
        querystring: operatorListQuery,
      },
      attachValidation: true,
    },
    async (req) => {
      if (req.validationError) throw req.validationError;
      return o.notifications.operatorList(req.query);
    },
  );
  app.patch(
    '/:portalId',
    {
      schema: {
        tags: ['operator'],
        summary:
          'Limits, full service and allowed country codes of a portal’s notifications (OPERATOR_TOKEN)',
        params: portalParam,
        body: operatorPatch,
      },
      attachValidation: true,
    },
    async (req) => {
      if (!portalParam.safeParse(req.params).success) throw new NotFoundError('Portal not found');
      if (req.validationError) throw req.validationError;
      return o.notifications.operatorUpdate(req.params.portalId, req.body);
    },
  );
};
