import { describe, expect, it } from 'vitest';
import {
  isKnownCallingCode,
  maskPhone,
  normalizeRecipientPhone,
} from '../../src/modules/notifications/phone.js';

const ar = { defaultCountry: 'AR', allowedCallingCodes: ['54'] };
const wide = { defaultCountry: 'AR', allowedCallingCodes: ['54', '52', '55', '48'] };

describe('recipient numbers', () => {
  it.each([
    ['+54 9 11 3012-1163', ar, '+5491130121163'],
    ['011 15-3012-1163', ar, '+5491130121163'],
    ['  +54 9 11 3012 1163 ', ar, '+5491130121163'],
    ['＋５４ ９ １１ ３０１２ １１６３', ar, '+5491130121163'], // full-width digits typed on a phone
    ['+52 55 1234 5678', wide, '+525512345678'],
    ['+55 11 98765-4321', wide, '+5511987654321'],
    ['+48 512 345 678', wide, '+48512345678'],
  ])('%s is accepted as %s', (text, o, e164) => {
    expect(normalizeRecipientPhone(text, o)).toMatchObject({ ok: true, e164 });
  });

  it.each([
    ['abc', ar, 'not_a_number'],
    ['', ar, 'not_a_number'],
    ['15 3012-1163', ar, 'invalid'], // no area code
    ['+54 9 11 3012-11634444', ar, 'invalid'],
    ['+54 11 3012-1163', ar, 'not_mobile'], // no 9: a landline
    ['+55 11 8765-4321', wide, 'invalid'], // old 8-digit mobile
    ['+48 512 345 678', ar, 'country_not_allowed'],
    ['+52 55 1234 5678', ar, 'country_not_allowed'],
  ])('%s is refused: %s', (text, o, code) => {
    expect(normalizeRecipientPhone(text, o)).toMatchObject({ ok: false, code });
  });

  it('masks numbers for logs and lists', () => {
    expect(maskPhone('+5491130121163')).toBe('+549…63');
    expect(maskPhone('+5491130121163')).not.toContain('3012');
  });

  it.each([
    ['54', true],
    ['1', true], // the US, Canada and the Caribbean share it
    ['7', true],
    ['351', true],
    ['598', true],
    ['999', false],
    ['0', false],
    ['54 ', false],
    ['', false],
  ])('calling code %j is one a country has: %s', (code, known) => {
    expect(isKnownCallingCode(code)).toBe(known);
  });
});
