import type { FastifyPluginAsync } from 'fastify';
import { parseRobotCall } from '../../integrations/bitrix24/robot.js';
import { formBodyParser } from '../../shared/http/form.js';
import type { TemplateRobotService } from './template-robot.service.js';

/** ROBOT_PATH is where the automation rule "Send WhatsApp template" posts (bizproc.robot.add HANDLER). */
export const ROBOT_PATH = '/b24/robot/send-template';

/**
 * The automation rule's handler (reference bitrix24.md §5.9). Bitrix24 posts it form-encoded like an
 * event; it is checked like every event (`auth[application_token]` against the stored one for
 * `auth[member_id]`: unknown portal 401, wrong token 403), stored (idempotent by the event token)
 * and answered at once. The send and the workflow's answer (`bizproc.event.send`) are jobs.
 */
export const templateRobotRoutes: FastifyPluginAsync<{
  robot: Pick<TemplateRobotService, 'accept'>;
  verify: (
    memberId: string | undefined,
    applicationToken: string | undefined,
  ) => Promise<{ id: number; lang: string }>;
}> = async (app, o) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, formBodyParser);

  app.post(ROBOT_PATH, { schema: { hide: true } }, async (req) => {
    const body = (req.body ?? {}) as { auth?: { member_id?: unknown; application_token?: unknown } };
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    // Who calls comes first: a forged call learns nothing about what a good one looks like.
    const portal = await o.verify(str(body.auth?.member_id), str(body.auth?.application_token));
    const call = parseRobotCall(req.body);
    const r = await o.robot.accept(portal, call);
    req.log.info(
      { portalId: portal.id, messageId: r.messageId, refused: !!r.refused },
      'Automation rule call stored.',
    );
    return r;
  });
};
