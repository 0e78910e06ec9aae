import { getCountryCallingCode, isSupportedCountry } from 'libphonenumber-js/min';
import { normalizeRecipientPhone } from '../notifications/phone.js';

/**
 * A number an SMS goes to, as Bitrix24 or an admin gives it ("48500100200", "+54 9 11 3012-1163",
 * "011 15-3012-1163"), normalised to E.164 with the full metadata (reference payments-and-sms.md §5)
 * and checked against the portal's countries: the allowed ones, or only the default country when the
 * list is empty. The seed's "48XXXXXXXXX" (digits with the country code, no +) is read as
 * international when it is a valid number that way, else as national of the default country.
 */
export type SmsPhone =
  { ok: true; e164: string } | { ok: false; code: 'phone_invalid' | 'country_not_allowed' };

export function isCountry(code: string): boolean {
  return isSupportedCountry(code);
}

export function smsPhone(raw: string, o: { defaultCountry: string; allowedCountries: string[] }): SmsPhone {
  const countries = (o.allowedCountries.length ? o.allowedCountries : [o.defaultCountry]).filter(isCountry);
  const codes = [...new Set(countries.map((c) => getCountryCallingCode(c as never)))];
  const trimmed = raw.normalize('NFKC').trim();
  const tries = /^\d{8,15}$/.test(trimmed) ? [`+${trimmed}`, trimmed] : [trimmed];
  let refusal: SmsPhone = { ok: false, code: 'phone_invalid' };
  for (const text of tries) {
    const r = normalizeRecipientPhone(text, { defaultCountry: o.defaultCountry, allowedCallingCodes: codes });
    if (r.ok) {
      if (r.country && !countries.includes(r.country)) return { ok: false, code: 'country_not_allowed' };
      return { ok: true, e164: r.e164 };
    }
    if (r.code === 'country_not_allowed') refusal = { ok: false, code: 'country_not_allowed' };
  }
  return refusal;
}
