import { z } from 'zod';
import { SecretBox } from '../../shared/crypto.js';
import { FieldIssuesError, NotFoundError, ValidationError, type FieldIssue } from '../../shared/errors.js';
import type { Lang } from '../../shared/i18n.js';
import { writeTrace } from '../trace/trace.service.js';
import { isSmsapiError, type SmsapiPort } from './ports.js';
import { isCountry } from './sms-phone.js';
import type { SmsRepository, SmsSettingsPatch, SmsSettingsRow } from './sms.repository.js';
import { smsText } from './sms-texts.js';

export type TokenState = 'missing' | 'ok' | 'reenter';

/** The SMSAPI token as this installation can read it. */
export type OpenToken = { state: 'ok'; token: string } | { state: 'missing' | 'reenter' };

/**
 * The token's sealing key is bound to the installation: HKDF of APP_SECRET with the portal's member
 * id (docs/sms.md, "moved database"). A row copied to another portal, or a database moved to a server
 * with another APP_SECRET, does not open: the admin must enter the token again.
 */
export function tokenBox(appSecret: string, memberId: string): SecretBox {
  return new SecretBox(appSecret, { memberId, purpose: 'smsapi-token' });
}

export function openToken(appSecret: string, memberId: string, sealed: string | null): OpenToken {
  if (!sealed) return { state: 'missing' };
  try {
    return { state: 'ok', token: tokenBox(appSecret, memberId).decrypt(sealed) };
  } catch {
    return { state: 'reenter' };
  }
}

const UUID = z.string().uuid();
const country = z
  .string()
  .trim()
  .toUpperCase()
  .refine(isCountry, { message: 'not an ISO 3166 country code' });
/** SMSAPI's `Sender`: alphanumeric up to 11 characters, or 8–16 digits (reference §4.2). */
const senderName = z
  .string()
  .trim()
  .regex(/^(?:[A-Za-z0-9 .\-&]{1,11}|\d{8,16})$/, {
    message: 'alphanumeric up to 11 characters, or 8–16 digits',
  });
const consentField = z.string().regex(/^[A-Za-z0-9_]{1,100}$/);

export const smsSettingsInput = z
  .object({
    token: z.string().trim().min(10).max(500).optional(),
    senderName: senderName.nullable().optional(),
    timeoutMs: z.number().int().min(1000).max(60_000).optional(),
    testMode: z.boolean().optional(),
    consentField: consentField.nullable().optional(),
    allowedCountries: z.array(country).max(50).optional(),
    defaultCountry: country.optional(),
    maxParts: z.number().int().min(1).max(6).optional(),
    noAccents: z.boolean().optional(),
    fallbackChannelIds: z.array(UUID).max(100).optional(),
  })
  .strict();
export type SmsSettingsInput = z.infer<typeof smsSettingsInput>;

export interface SmsSettingsDeps {
  repo: SmsRepository;
  smsapi: SmsapiPort;
  appSecret: string;
  /** Registers the provider in Bitrix24 (messageservice.sender.add) with the portal's stored token. */
  registerProvider: (portalId: number) => Promise<void>;
  consentFields: (portalId: number) => Promise<Array<{ code: string; label: string }>>;
  channelIds: (portalId: number) => Promise<string[]>;
}

/** The portal's SMS settings (C11): the SMSAPI account, consent, countries, length, fallback. */
export class SmsSettingsService {
  constructor(private readonly d: SmsSettingsDeps) {}

  async #portal(portalId: number) {
    const p = await this.d.repo.portal(portalId);
    if (!p) throw new NotFoundError('Unknown portal');
    return p;
  }

  /** The settings and the token as this installation reads it. */
  async load(portalId: number): Promise<{ s: SmsSettingsRow; token: OpenToken; memberId: string }> {
    const p = await this.#portal(portalId);
    const s = await this.d.repo.ensureSettings(portalId);
    return { s, token: openToken(this.d.appSecret, p.member_id, s.token_enc), memberId: p.member_id };
  }

  async view(portalId: number) {
    const { s, token } = await this.load(portalId);
    let balance: { points: number } | null = null;
    if (token.state === 'ok') {
      try {
        balance = { points: (await this.d.smsapi.profile(token.token, s.timeout_ms)).points };
      } catch (err) {
        if (!isSmsapiError(err)) throw err;
      }
    }
    return {
      configured: token.state === 'ok' && !!s.sender_name,
      tokenState: token.state,
      senderName: s.sender_name,
      senderStatus: s.sender_status,
      timeoutMs: s.timeout_ms,
      testMode: s.test_mode,
      consentField: s.consent_field,
      allowedCountries: s.allowed_countries,
      defaultCountry: s.default_country,
      maxParts: s.max_parts,
      noAccents: s.no_accents,
      fallbackChannelIds: s.fallback_channel_ids,
      providerRegistered: s.provider_registered_at !== null,
      balance,
    };
  }

  /**
   * Saves what the admin changed. A new token is checked with SMSAPI's /profile, the sender name with
   * its sender names (the new token's, else the stored one's); each refusal names its field.
   */
  async update(portalId: number, input: SmsSettingsInput, lang: Lang) {
    const { s, token: stored, memberId } = await this.load(portalId);
    const issues: FieldIssue[] = [];
    const issue = (field: string, code: Parameters<typeof smsText>[1], vars = {}) =>
      issues.push({ field, code, message: smsText(lang, code, vars) });
    const patch: SmsSettingsPatch = {};
    const timeoutMs = input.timeoutMs ?? s.timeout_ms;
    let token = stored.state === 'ok' ? stored.token : null;
    if (input.token !== undefined) {
      try {
        await this.d.smsapi.profile(input.token, timeoutMs);
        token = input.token;
        patch.token_enc = tokenBox(this.d.appSecret, memberId).encrypt(input.token);
      } catch (err) {
        if (!isSmsapiError(err)) throw err;
        issue('token', err.retryable ? 'smsapi_unavailable' : 'token_rejected');
      }
    }
    if (input.senderName !== undefined && input.senderName !== null && issues.length === 0) {
      if (!token) issue('token', stored.state === 'reenter' ? 'token_reenter' : 'token_missing');
      else await this.#checkSender(token, input.senderName, timeoutMs, patch, issue);
    } else if (input.senderName === null) {
      patch.sender_name = null;
      patch.sender_status = null;
    }
    if (input.consentField && input.consentField !== s.consent_field) {
      // Only a field that says yes or no (the candidates' list): a text or list field would be a guess.
      // Checked when it changes: the page sends every field with each save.
      const known = await this.d.consentFields(portalId);
      if (!known.some((f) => f.code === input.consentField)) {
        issue('consentField', 'consent_field_unknown', { field: input.consentField });
      }
    }
    const countries = input.allowedCountries ?? s.allowed_countries;
    const def = input.defaultCountry ?? s.default_country;
    if (countries.length > 0 && !countries.includes(def)) {
      throw new ValidationError('defaultCountry must be one of allowedCountries');
    }
    if (input.fallbackChannelIds?.length) {
      const own = new Set(await this.d.channelIds(portalId));
      const foreign = input.fallbackChannelIds.filter((c) => !own.has(c));
      if (foreign.length) throw new ValidationError(`Unknown channel ${foreign[0]}`);
    }
    if (issues.length) throw new FieldIssuesError('validation_error', issues);
    Object.assign(patch, {
      ...(input.timeoutMs !== undefined ? { timeout_ms: input.timeoutMs } : {}),
      ...(input.testMode !== undefined ? { test_mode: input.testMode } : {}),
      ...(input.consentField !== undefined ? { consent_field: input.consentField } : {}),
      ...(input.allowedCountries !== undefined ? { allowed_countries: [...new Set(countries)] } : {}),
      ...(input.defaultCountry !== undefined ? { default_country: def } : {}),
      ...(input.maxParts !== undefined ? { max_parts: input.maxParts } : {}),
      ...(input.noAccents !== undefined ? { no_accents: input.noAccents } : {}),
      ...(input.fallbackChannelIds !== undefined
        ? { fallback_channel_ids: [...new Set(input.fallbackChannelIds)] }
        : {}),
    });
    await this.d.repo.updateSettings(portalId, patch);
    if (patch.token_enc) {
      await writeTrace(this.d.repo.db, {
        portalId,
        step: 'sms_settings_saved',
        detail: 'SMSAPI token replaced',
      });
    }
    return this.view(portalId);
  }

  async #checkSender(
    token: string,
    name: string,
    timeoutMs: number,
    patch: SmsSettingsPatch,
    issue: (
      field: string,
      code: 'sender_not_approved' | 'smsapi_unavailable' | 'token_rejected',
      vars?: object,
    ) => void,
  ): Promise<void> {
    try {
      const names = await this.d.smsapi.senderNames(token, timeoutMs);
      const found = names.find((n) => n.sender.toLowerCase() === name.toLowerCase());
      if (!found || found.status.toUpperCase() !== 'ACTIVE') {
        issue('senderName', 'sender_not_approved', { sender: name });
        return;
      }
      patch.sender_name = found.sender;
      patch.sender_status = found.status;
    } catch (err) {
      if (!isSmsapiError(err)) throw err;
      issue('token', err.retryable ? 'smsapi_unavailable' : 'token_rejected');
    }
  }

  /** `POST /sms/register`: the provider registered in Bitrix24 now (not a job: the admin waits). */
  async register(portalId: number) {
    await this.d.repo.ensureSettings(portalId);
    await this.d.registerProvider(portalId);
    await this.d.repo.markRegistered(portalId);
    await writeTrace(this.d.repo.db, {
      portalId,
      step: 'sms_provider_registered',
      detail: 'messageservice.sender.add',
    });
    return { providerRegistered: true };
  }

  consentFields(portalId: number) {
    return this.d.consentFields(portalId);
  }
}
