import { createRequire } from 'node:module';
import type { CountryCode } from 'libphonenumber-js/max';

type MaxMetadata = typeof import('libphonenumber-js/max');
/** The full metadata (types of number) is a few MB resident: loaded on the first number checked. */
const loadModule = createRequire(import.meta.url);
let maxMetadata: MaxMetadata | undefined;
function parsePhoneNumberFromString(
  ...args: Parameters<MaxMetadata['parsePhoneNumberFromString']>
): ReturnType<MaxMetadata['parsePhoneNumberFromString']> {
  maxMetadata ??= loadModule('libphonenumber-js/max') as MaxMetadata;
  return maxMetadata.parsePhoneNumberFromString(...args);
}

/**
 * A recipient's number as an admin types it ("011 15-3012-1163", "+54 9 11 3012-1163"), checked
 * with the full metadata (reference/payments-and-sms.md §5) and normalised to E.164. WhatsApp
 * needs a mobile: an Argentine number without the 9 after 54 is a landline to the library, and the
 * admin is told so rather than the digest silently failing later. Only the calling codes the
 * operator enabled for the portal are accepted (+54 unless told otherwise, as in the seed).
 */
export type PhoneResult =
  | { ok: true; e164: string; country: string | null; callingCode: string }
  | {
      ok: false;
      code: 'not_a_number' | 'invalid' | 'not_mobile' | 'country_not_allowed';
      callingCode?: string;
    };

const MOBILE_TYPES = new Set(['MOBILE', 'FIXED_LINE_OR_MOBILE']);

export function normalizeRecipientPhone(
  text: string,
  o: { defaultCountry: string; allowedCallingCodes?: readonly string[] | undefined },
): PhoneResult {
  const cleaned = text.normalize('NFKC').trim().slice(0, 40);
  const parsed = /\d/.test(cleaned)
    ? parsePhoneNumberFromString(cleaned, o.defaultCountry as CountryCode)
    : undefined;
  if (!parsed) return { ok: false, code: 'not_a_number' };
  const callingCode = parsed.countryCallingCode;
  if (o.allowedCallingCodes && !o.allowedCallingCodes.includes(callingCode)) {
    return { ok: false, code: 'country_not_allowed', callingCode };
  }
  if (!parsed.isValid()) return { ok: false, code: 'invalid', callingCode };
  const type = parsed.getType();
  if (type && !MOBILE_TYPES.has(type)) return { ok: false, code: 'not_mobile', callingCode };
  return { ok: true, e164: parsed.number, country: parsed.country ?? null, callingCode };
}

/** The country of a number written in full ("5491155550000", "+54 9 11…"): a channel's own number. */
export function countryOfNumber(digits: string): string | null {
  const parsed = parsePhoneNumberFromString(`+${digits.replace(/\D/g, '')}`);
  return parsed?.country ?? null;
}

/** For logs and lists: never the full number. */
export function maskPhone(e164: string): string {
  return e164.length <= 6 ? '***' : `${e164.slice(0, 4)}…${e164.slice(-2)}`;
}

let callingCodes: Set<string> | undefined;
/** Whether a country has this calling code ("54", "1", "351"), from the library's small metadata. */
export function isKnownCallingCode(code: string): boolean {
  if (!callingCodes) {
    const min = loadModule('libphonenumber-js/min') as typeof import('libphonenumber-js/min');
    callingCodes = new Set(min.getCountries().map((c) => min.getCountryCallingCode(c)));
  }
  return callingCodes.has(code);
}
