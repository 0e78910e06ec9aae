import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { principal } from '../tokens/api-auth.js';
import { allowedPortal } from '../roles/access.js';
import type { RolesService } from '../roles/roles.service.js';
import { billingSettings } from './billing.schemas.js';
import type { LowBalanceService } from './low-balance.js';

const tags = ['billing'];

/**
 * GET/PUT /api/v1/billing/settings: the low-balance threshold, `{ "lowBalanceThreshold": n | null }`
 * (the Billing tab calls exactly this). Inside the `/api/v1` auth scope, for the billing admins as the
 * other billing routes: portal admins, and users whose chat roles allow `view_billing`. The roles check
 * comes before the body is validated, so a caller who may not change billing learns nothing from it.
 */
export const billingSettingsRoutes: FastifyPluginAsyncZod<{
  lowBalance: LowBalanceService;
  roles: Pick<RolesService, 'require'>;
}> = async (app, o) => {
  app.get(
    '/billing/settings',
    { schema: { tags, summary: 'Billing settings: the low-balance threshold (null: no warning)' } },
    async (req) => o.lowBalance.settings(await allowedPortal(o, req, 'view_billing')),
  );
  app.put(
    '/billing/settings',
    {
      schema: {
        tags,
        summary:
          'Set the low-balance threshold: below it the admins get one Bitrix24 notification per crossing (null: none)',
        body: billingSettings,
      },
      attachValidation: true,
    },
    async (req) => {
      const portalId = await allowedPortal(o, req, 'view_billing');
      if (req.validationError) throw req.validationError;
      return o.lowBalance.update(portalId, req.body, principal(req).userId);
    },
  );
};
