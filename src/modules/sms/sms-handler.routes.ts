import type { FastifyPluginAsync } from 'fastify';
import { parseSmsCall } from '../../integrations/bitrix24/messageservice.js';
import { NotFoundError, ValidationError } from '../../shared/errors.js';
import { formBodyParser } from '../../shared/http/form.js';
import type { DlrSecrets } from './dlr-secret.js';
import type { SmsapiPort } from './ports.js';
import type { SmsRepository } from './sms.repository.js';
import type { SmsService } from './sms.service.js';
import { storeReports } from './sms-status.job.js';

/** The message provider's HANDLER (messageservice.sender.add). */
export const SMS_HANDLER_PATH = '/b24/sms';

/**
 * Bitrix24 asking us, its SMS provider, to send (reference bitrix24.md §5.9): form-encoded like an
 * event, checked like one (`auth[application_token]` for `auth[member_id]`: unknown portal 401, wrong
 * token 403), read (400 when it is not a provider call), stored with its send job and answered. The
 * same message id again answers the first row and stores nothing.
 */
export const smsHandlerRoutes: FastifyPluginAsync<{
  sms: Pick<SmsService, 'acceptBitrix'>;
  verify: (memberId: string | undefined, applicationToken: string | undefined) => Promise<{ id: number }>;
}> = async (app, o) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, formBodyParser);

  app.post(SMS_HANDLER_PATH, { schema: { hide: true } }, async (req) => {
    const body = (req.body ?? {}) as { auth?: { member_id?: unknown; application_token?: unknown } };
    const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
    // Who calls comes first: a forged call learns nothing about what a good one looks like.
    const portal = await o.verify(str(body.auth?.member_id), str(body.auth?.application_token));
    const r = await o.sms.acceptBitrix(portal.id, parseSmsCall(req.body));
    req.log.info({ portalId: portal.id, smsId: r.id, replay: !r.created }, 'SMS from Bitrix24 stored.');
    return { ok: true };
  });
};

/**
 * SMSAPI's delivery reports (reference payments-and-sms.md §4.4): GET with the reports in the query,
 * or POST as a form or JSON, at `/webhooks/smsapi/<portal secret>` (dlr-secret.ts). An unknown secret is 404; the
 * reports are stored as a job before "OK" is answered, then applied (sms-status.job.ts).
 */
export const smsapiWebhookRoutes: FastifyPluginAsync<{
  repo: SmsRepository;
  dlr: Pick<DlrSecrets, 'portalOf'>;
  smsapi: Pick<SmsapiPort, 'parseDeliveryReports'>;
  nudge: () => void;
}> = async (app, o) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, formBodyParser);
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(String(body)) as unknown);
    } catch {
      done(new ValidationError('The body is not JSON'), undefined);
    }
  });

  const handle = async (secret: string, input: unknown) => {
    const portalId = secret.length <= 100 ? await o.dlr.portalOf(secret) : undefined;
    if (portalId === undefined) throw new NotFoundError();
    let reports;
    try {
      reports = o.smsapi.parseDeliveryReports(input);
    } catch {
      throw new ValidationError('Not an SMSAPI delivery report');
    }
    if (reports.length && (await storeReports(o.repo, portalId, reports))) o.nudge();
    return 'OK';
  };
  const opts = { schema: { hide: true } };
  app.get<{ Params: { secret: string } }>('/webhooks/smsapi/:secret', opts, async (req, reply) =>
    reply.type('text/plain').send(await handle(req.params.secret, req.query)),
  );
  app.post<{ Params: { secret: string } }>('/webhooks/smsapi/:secret', opts, async (req, reply) =>
    reply
      .type('text/plain')
      .send(await handle(req.params.secret, { ...(req.query as object), ...(req.body as object) })),
  );
};
