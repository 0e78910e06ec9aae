import type { Bitrix24Client } from '../../integrations/bitrix24/bitrix24.client.js';
import type { CallFn } from '../../integrations/bitrix24/bitrix24.connector.js';
import { Bitrix24MessageService, registerSmsSender } from '../../integrations/bitrix24/messageservice.js';
import { Bitrix24SmsConsent, isConsent } from '../../integrations/bitrix24/sms-consent.js';
import { parseDeliveryReports, type SmsapiClient } from '../../integrations/smsapi/smsapi.client.js';
import type { JobHandler } from '../../jobs/worker.js';
import type { Database } from '../../shared/db/database.js';
import { SecretBox } from '../../shared/crypto.js';
import { ProviderError } from '../../shared/errors.js';
import { SmsConsentCheck } from './consent.js';
import { DlrSecrets } from './dlr-secret.js';
import { FALLBACK_TOPIC, fallbackJob } from './fallback.js';
import type { SmsapiPort, SmsLengthFn } from './ports.js';
import { SMS_HANDLER_PATH } from './sms-handler.routes.js';
import { smsSendJob } from './sms-send.job.js';
import { SmsSettingsService } from './sms-settings.service.js';
import { B24_STATUS_TOPIC, b24StatusHandler, DLR_TOPIC, dlrHandler } from './sms-status.job.js';
import { SmsRepository } from './sms.repository.js';
import { SEND_TOPIC, SmsService } from './sms.service.js';

/**
 * The SMS module's part of the composition root (issue 15): the settings and send services for the
 * routes, the job topics for the worker, and the provider's registration at install.
 */
export function buildSms(o: {
  db: Database;
  bitrix: Bitrix24Client;
  smsapi: SmsapiClient;
  length: SmsLengthFn;
  appSecret: string;
  publicUrl: string;
  nudge: () => void;
}) {
  const repo = new SmsRepository(o.db);
  const dlr = new DlrSecrets({ box: new SecretBox(o.appSecret), nonce: (p) => repo.dlrNonce(p) });
  const smsapi: SmsapiPort = {
    send: (token, input) => o.smsapi.send(token, input),
    profile: (token, timeoutMs) => o.smsapi.profile(token, timeoutMs),
    senderNames: (token, timeoutMs) => o.smsapi.senderNames(token, timeoutMs),
    parseDeliveryReports,
  };
  const messageservice = new Bitrix24MessageService(o.bitrix);
  const crm = new Bitrix24SmsConsent(o.bitrix);
  const handler = `${o.publicUrl}${SMS_HANDLER_PATH}`;
  const settings = new SmsSettingsService({
    repo,
    smsapi,
    appSecret: o.appSecret,
    registerProvider: (portalId) => messageservice.register(portalId, handler),
    consentFields: async (portalId) =>
      (await crm.candidateFields(portalId)).map(({ code, label }) => ({ code, label })),
    channelIds: (portalId) => repo.channelIds(portalId),
  });
  const service = new SmsService({ repo, settings, length: o.length, nudge: o.nudge });
  const jobs: Record<string, JobHandler> = {
    [SEND_TOPIC]: smsSendJob({
      repo,
      smsapi,
      length: o.length,
      consent: new SmsConsentCheck(crm, isConsent),
      appSecret: o.appSecret,
      publicUrl: o.publicUrl,
      dlr,
    }),
    [B24_STATUS_TOPIC]: b24StatusHandler({
      repo,
      update: (portalId, id, status) => messageservice.updateStatus(portalId, id, status),
    }),
    [DLR_TOPIC]: dlrHandler({ repo }),
    [FALLBACK_TOPIC]: fallbackJob({ repo, nudge: o.nudge }),
  };
  /** The install's follow-up (`portal.extras`): the app becomes the portal's SMS provider. */
  const installProvider = async (call: CallFn, portalId: number): Promise<string[]> => {
    try {
      await registerSmsSender(call, handler);
    } catch (err) {
      if (!(err instanceof ProviderError) || err.retryable) throw err;
      return [`messageservice.sender.add: ${err.providerCode ?? err.message}`];
    }
    await repo.ensureSettings(portalId);
    await repo.markRegistered(portalId);
    return [];
  };
  return { repo, dlr, settings, service, jobs, installProvider };
}

export type Sms = ReturnType<typeof buildSms>;
