import type { Transaction } from 'kysely';
import { enqueueJob } from '../../jobs/jobs.repository.js';
import type { JobHandler, JobOutcome } from '../../jobs/worker.js';
import type { DB } from '../../shared/db/schema.js';
import { toLang, type Lang } from '../../shared/i18n.js';
import { queueAgentNote } from '../messaging/messages.repository.js';
import { maskPhone } from '../notifications/phone.js';
import { writeTrace } from '../trace/trace.service.js';
import { isSmsapiError, type SmsapiPort, type SmsLengthFn } from './ports.js';
import type { SmsConsentCheck } from './consent.js';
import type { DlrSecrets } from './dlr-secret.js';
import { smsPhone } from './sms-phone.js';
import type { SmsMessageRow, SmsRepository, SmsSettingsRow } from './sms.repository.js';
import { openToken } from './sms-settings.service.js';
import { lengthVars, smsText, type SmsTextKey } from './sms-texts.js';
import { b24StatusJob } from './sms-status.job.js';

/** SMSAPI's "duplicate idx" (check_idx=1): the SMS was already sent by an earlier attempt. */
const DUPLICATE_IDX = 53;
/** A send of at least this many parts checks the account's points first (GET /profile). */
const LARGE_PARTS = 3;

export interface SendJobDeps {
  repo: SmsRepository;
  smsapi: SmsapiPort;
  length: SmsLengthFn;
  consent: SmsConsentCheck;
  appSecret: string;
  publicUrl: string;
  dlr: Pick<DlrSecrets, 'of'>;
}

type Refusal = { code: string; key: SmsTextKey; vars?: Record<string, string | number> };

/**
 * `sms.send`: one SMS to SMSAPI. The checks first (token, number, consent, length, points), each
 * refusal stored with its reason and reported to Bitrix24 as `failed`; then the send with our idx and
 * check_idx, so a retry after a lost answer is refused by SMSAPI (53) instead of sent twice.
 */
export function smsSendJob(d: SendJobDeps): JobHandler {
  return {
    run: async (job): Promise<JobOutcome> => {
      const smsId = Number((job.payload as { smsId?: unknown }).smsId);
      const sms = await d.repo.message(smsId);
      if (!sms || sms.status !== 'queued') return { kind: 'done' };
      const portal = await d.repo.portal(sms.portal_id);
      if (!portal || portal.status === 'uninstalled') return { kind: 'cancel', reason: 'portal uninstalled' };
      const s = await d.repo.ensureSettings(sms.portal_id);
      const lang = toLang(portal.lang);
      const token = openToken(d.appSecret, portal.member_id, s.token_enc);
      if (token.state !== 'ok') {
        const key = token.state === 'reenter' ? 'token_reenter' : 'token_missing';
        return refuse(d, sms, lang, { code: key, key });
      }
      if (!s.sender_name) return refuse(d, sms, lang, { code: 'not_configured', key: 'not_configured' });
      const phone = smsPhone(sms.to_e164 ?? sms.to_raw, {
        defaultCountry: s.default_country,
        allowedCountries: s.allowed_countries,
      });
      if (!phone.ok) return refuse(d, sms, lang, { code: phone.code, key: phone.code });
      const consent = await d.consent.check(sms, phone.e164, s.consent_field);
      if (consent !== 'ok') {
        return refuse(d, sms, lang, { code: consent, key: consent, vars: { field: s.consent_field ?? '' } });
      }
      const text = sms.content.text;
      const length = d.length(text, { noAccents: sms.no_accents, maxParts: s.max_parts });
      await d.repo.prepared(sms.id, { toE164: phone.e164, encoding: length.encoding, parts: length.parts });
      if (length.overLimit) {
        return refuse(d, sms, lang, { code: 'too_long', key: 'too_long', vars: lengthVars(length) });
      }
      if (length.parts >= LARGE_PARTS) {
        const points = await balance(d.smsapi, token.token, s);
        if (points !== null && points <= 0) {
          return refuse(d, sms, lang, { code: 'no_points', key: 'no_points' });
        }
      }
      return send(d, sms, s, { token: token.token, to: phone.e164, text: length.text, lang });
    },
    // Given up (SMSAPI or Bitrix24 failing on every attempt): failed with its reason, Bitrix24 and
    // the chat told, instead of "queued" for ever. An operator's replay of the job finds it done.
    onDead: async (job) => {
      const sms = await d.repo.message(Number((job.payload as { smsId?: unknown }).smsId));
      if (!sms || sms.status !== 'queued') return;
      const portal = await d.repo.portal(sms.portal_id);
      await refuse(d, sms, toLang(portal?.lang), { code: 'send_failed', key: 'send_failed' });
    },
  };
}

async function balance(smsapi: SmsapiPort, token: string, s: SmsSettingsRow): Promise<number | null> {
  try {
    return (await smsapi.profile(token, s.timeout_ms)).points;
  } catch (err) {
    if (isSmsapiError(err) && err.retryable) throw err;
    return null; // a refusal here shows again, with its code, in the send itself
  }
}

async function send(
  d: SendJobDeps,
  sms: SmsMessageRow,
  s: SmsSettingsRow,
  o: { token: string; to: string; text: string; lang: Lang },
): Promise<JobOutcome> {
  let r: { id: string | null; points: number | null; parts: number | null };
  try {
    const sent = await d.smsapi.send(o.token, {
      to: o.to.slice(1),
      message: o.text,
      from: s.sender_name ?? '',
      idx: sms.idx,
      notifyUrl: `${d.publicUrl}/webhooks/smsapi/${d.dlr.of(sms.portal_id, s.dlr_secret)}`,
      test: s.test_mode,
      // "No accents" is our transliteration (length.ts), already in the text: SMSAPI's normalize=1
      // would also strip the GSM-7 letters it keeps (ñ, é), so the SMS would differ from the count.
      maxParts: s.max_parts,
      timeoutMs: s.timeout_ms,
    });
    r = { id: sent.id, points: sent.points, parts: sent.parts };
  } catch (err) {
    if (!isSmsapiError(err)) throw err;
    if (err.code === DUPLICATE_IDX) {
      r = { id: null, points: null, parts: null }; // sent by an earlier attempt: its report names it
    } else if (err.retryable) {
      // SMSAPI's words may quote the number: digits runs are cut from what the job log keeps.
      const said = err.message.replace(/\d{6,}/g, '…');
      return { kind: 'retry', error: `SMSAPI ${err.code ?? 'network'}: ${said}`.slice(0, 300) };
    } else {
      return refuse(d, sms, o.lang, {
        code: `smsapi_${err.code ?? 'refused'}`,
        key: 'smsapi_refused',
        vars: { code: err.code ?? '?' },
      });
    }
  }
  await d.repo.accepted(sms.id, { smsapiId: r.id, points: r.points, parts: r.parts }, async (trx, moved) => {
    await writeTrace(trx, {
      portalId: sms.portal_id,
      messageId: sms.relay_message_id,
      step: 'sms_accepted',
      detail: `sms #${sms.id} to ${maskPhone(o.to)} accepted by SMSAPI${r.id ? ` (${r.id}, ${r.points ?? '?'} points)` : ' (sent by an earlier attempt)'}`,
    });
    if (moved) await after(trx, sms, 'sent');
  });
  return { kind: 'done' };
}

/** What follows an SMS's outcome: Bitrix24's status for its messages, the chat note for a fallback. */
async function after(trx: Transaction<DB>, sms: SmsMessageRow, b24: 'sent' | 'failed'): Promise<void> {
  if (sms.source === 'b24' && sms.bitrix_message_id) {
    await enqueueJob(trx, b24StatusJob(sms.portal_id, sms.id, b24));
  }
  if (sms.source === 'fallback' && sms.relay_message_id) {
    const channelId = (sms.origin as { channelId?: string }).channelId;
    if (channelId) {
      await queueAgentNote(trx, {
        messageId: sms.relay_message_id,
        portalId: sms.portal_id,
        channelId,
        code: b24 === 'sent' ? 'sms_sent' : 'sms_failed',
      });
    }
  }
}

async function refuse(d: SendJobDeps, sms: SmsMessageRow, lang: Lang, r: Refusal): Promise<JobOutcome> {
  const detail = smsText(lang, r.key, r.vars ?? {});
  await d.repo.failed(sms.id, { code: r.code, detail }, async (trx) => {
    await writeTrace(trx, {
      portalId: sms.portal_id,
      messageId: sms.relay_message_id,
      step: 'sms_refused',
      level: 'WARN',
      code: r.code,
      detail: `sms #${sms.id}: ${r.code}`,
    });
    await after(trx, sms, 'failed');
  });
  return { kind: 'done' };
}
