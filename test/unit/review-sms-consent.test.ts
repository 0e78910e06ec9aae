import { describe, expect, it } from 'vitest';
import { isConsent } from '../../src/integrations/bitrix24/sms-consent.js';

/**
 * Consent must be said, not guessed (review of issue 15): only a value that means "yes" as a
 * checkbox or Y/N flag writes it opens the SMS; words, list item ids and anything else are "no".
 */
describe('isConsent', () => {
  it.each([[true], [1], ['Y'], ['y'], ['1'], [' true '], ['yes'], [['N', 'Y']]])('%j is consent', (v) => {
    expect(isConsent(v)).toBe(true);
  });

  it.each([
    ['No acepta'],
    ['não'],
    ['nao'],
    ['nein'],
    ['N'],
    ['0'],
    [''],
    ['45'], // a list item's id: the item may well be "No"
    ['off'],
    [2],
    [0],
    [false],
    [null],
    [undefined],
    [{}],
    [[]],
    [['N', '0']],
  ])('%j is not consent', (v) => {
    expect(isConsent(v)).toBe(false);
  });
});
