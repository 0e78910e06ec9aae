import { SMS_SENDER_CODE, type SmsCall } from '../../integrations/bitrix24/messageservice.js';
import { AppError, ValidationError } from '../../shared/errors.js';
import type { Lang } from '../../shared/i18n.js';
import { maskPhone } from '../notifications/phone.js';
import type { SmsLengthFn } from './ports.js';
import { smsPhone } from './sms-phone.js';
import type { SmsRepository } from './sms.repository.js';
import type { SmsSettingsService } from './sms-settings.service.js';
import { lengthVars, smsText } from './sms-texts.js';

export const SEND_TOPIC = 'sms.send';

/** The send job of an SMS (one per row: its dedupe key). */
export const sendJob = (portalId: number, smsId: number) => ({
  topic: SEND_TOPIC,
  portalId,
  payload: { smsId },
  dedupeKey: `sms.send:${smsId}`,
});

/** A refusal of the API's send, with its code (the page translates it, the message says it). */
class SmsRefused extends AppError {
  constructor(
    readonly reason: string,
    message: string,
    status = 400,
  ) {
    super(status === 409 ? 'conflict' : 'validation_error', message, status, { reason });
  }
}

/**
 * SMS in (C11): what Bitrix24 asks its provider to send (the CRM card, automation rules) and what an
 * admin sends from the API, stored with their send job in one transaction; the checks that need
 * Bitrix24 or SMSAPI (consent, balance) run in the job.
 */
export class SmsService {
  constructor(
    private readonly d: {
      repo: SmsRepository;
      settings: SmsSettingsService;
      length: SmsLengthFn;
      nudge: () => void;
    },
  ) {}

  /** The provider handler's call, already verified: stored once per Bitrix24 message id. */
  async acceptBitrix(portalId: number, call: SmsCall): Promise<{ id: number; created: boolean }> {
    if (call.code !== SMS_SENDER_CODE) throw new ValidationError(`Unknown message provider ${call.code}`);
    const r = await this.d.repo.insertSms(
      {
        portalId,
        source: 'b24',
        bitrixMessageId: call.messageId,
        origin: {
          moduleId: call.moduleId ?? null,
          bindings: call.bindings,
          ...(call.document ? { document: call.document } : {}),
        },
        toRaw: call.to,
        text: call.text,
        noAccents: (await this.d.repo.ensureSettings(portalId)).no_accents,
      },
      (id) => ({
        job: sendJob(portalId, id),
        trace: [
          { portalId, step: 'sms_received', detail: `sms #${id} from Bitrix24 (${call.moduleId ?? 'crm'})` },
        ],
      }),
    );
    if (r.created) this.d.nudge();
    return r;
  }

  /** `POST /sms/messages`: refused at once when it cannot go (setup, number, length). */
  async sendFromApi(
    portalId: number,
    userId: number | null,
    input: { to: string; text: string; noAccents?: boolean | undefined },
    lang: Lang,
  ) {
    const { s, token } = await this.d.settings.load(portalId);
    if (token.state !== 'ok') {
      const key = token.state === 'reenter' ? 'token_reenter' : 'token_missing';
      throw new SmsRefused(key, smsText(lang, key), 409);
    }
    if (!s.sender_name) throw new SmsRefused('not_configured', smsText(lang, 'not_configured'), 409);
    const phone = smsPhone(input.to, {
      defaultCountry: s.default_country,
      allowedCountries: s.allowed_countries,
    });
    if (!phone.ok) throw new SmsRefused(phone.code, smsText(lang, phone.code));
    const noAccents = input.noAccents ?? s.no_accents;
    const length = this.d.length(input.text, { noAccents, maxParts: s.max_parts });
    if (length.overLimit) {
      throw new SmsRefused('too_long', smsText(lang, 'too_long', lengthVars(length)));
    }
    const r = await this.d.repo.insertSms(
      {
        portalId,
        source: 'api',
        createdBy: userId,
        toRaw: input.to,
        toE164: phone.e164,
        text: input.text,
        noAccents,
      },
      (id) => ({
        job: sendJob(portalId, id),
        trace: [
          { portalId, step: 'sms_received', detail: `sms #${id} from the API to ${maskPhone(phone.e164)}` },
        ],
      }),
    );
    this.d.nudge();
    return { id: r.id, status: 'queued' as const, length };
  }

  count(portalId: number, input: { text: string; noAccents?: boolean | undefined }) {
    return this.d.settings
      .load(portalId)
      .then(({ s }) =>
        this.d.length(input.text, { noAccents: input.noAccents ?? s.no_accents, maxParts: s.max_parts }),
      );
  }

  async list(portalId: number, page: number) {
    const size = 50;
    const r = await this.d.repo.list(portalId, page, size);
    return {
      items: r.items.map((m) => ({
        id: m.id,
        source: m.source,
        to: m.to_e164 ? maskPhone(m.to_e164) : maskPhone(m.to_raw),
        status: m.status,
        parts: m.parts,
        points: m.points,
        // Why it failed, in the portal's words (as refused), and its stable code for programs.
        error: m.error_code ? (m.error_detail ?? m.error_code) : null,
        errorCode: m.error_code,
        createdAt: m.created_at.toISOString(),
        deliveredAt: m.status === 'delivered' && m.done_at ? m.done_at.toISOString() : null,
      })),
      total: r.total,
    };
  }
}
