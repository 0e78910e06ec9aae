import { describe, expect, it } from 'vitest';
import { nonGsmChars, SMS_MAX_PARTS, smsLength, transliterate } from '../../src/modules/sms/length.js';

const a = (n: number): string => 'a'.repeat(n);
const pl = (n: number): string => 'ą'.repeat(n);

interface Case {
  name: string;
  text: string;
  encoding: 'GSM-7' | 'UCS-2';
  chars: number;
  parts: number;
  perPart: number;
  overLimit?: boolean;
  maxParts?: number;
}

// The numbers follow reference payments-and-sms.md §4.5 (160/153, 70/67, extended count double).
const cases: Case[] = [
  { name: 'empty text', text: '', encoding: 'GSM-7', chars: 0, parts: 0, perPart: 160 },
  { name: 'one letter', text: 'a', encoding: 'GSM-7', chars: 1, parts: 1, perPart: 160 },
  { name: 'exactly 160 GSM-7', text: a(160), encoding: 'GSM-7', chars: 160, parts: 1, perPart: 160 },
  { name: '161 GSM-7 → 2 parts of 153', text: a(161), encoding: 'GSM-7', chars: 161, parts: 2, perPart: 153 },
  { name: '306 GSM-7 = 2×153', text: a(306), encoding: 'GSM-7', chars: 306, parts: 2, perPart: 153 },
  { name: '307 GSM-7 → 3 parts', text: a(307), encoding: 'GSM-7', chars: 307, parts: 3, perPart: 153 },
  {
    name: '918 GSM-7 = 6 parts, the ceiling',
    text: a(918),
    encoding: 'GSM-7',
    chars: 918,
    parts: 6,
    perPart: 153,
  },
  {
    name: '919 GSM-7 is over 6 parts',
    text: a(919),
    encoding: 'GSM-7',
    chars: 919,
    parts: 7,
    perPart: 153,
    overLimit: true,
  },
  { name: 'exactly 70 UCS-2 (Polish ą)', text: pl(70), encoding: 'UCS-2', chars: 70, parts: 1, perPart: 70 },
  { name: '71 UCS-2 → 2 parts of 67', text: pl(71), encoding: 'UCS-2', chars: 71, parts: 2, perPart: 67 },
  { name: '402 UCS-2 = 6×67', text: pl(402), encoding: 'UCS-2', chars: 402, parts: 6, perPart: 67 },
  {
    name: '403 UCS-2 is over the limit',
    text: pl(403),
    encoding: 'UCS-2',
    chars: 403,
    parts: 7,
    perPart: 67,
    overLimit: true,
  },
  {
    name: 'one non-GSM letter makes 160 characters UCS-2',
    text: a(159) + 'ł',
    encoding: 'UCS-2',
    chars: 160,
    parts: 3,
    perPart: 67,
  },
  {
    name: 'Spanish é ñ ü ¿ ¡ are GSM-7',
    text: '¿Mañana? ¡Sí! é ü',
    encoding: 'UCS-2',
    chars: 17,
    parts: 1,
    perPart: 70,
  },
  {
    name: 'Spanish without á í ó ú stays GSM-7',
    text: '¿Mañana? ¡Sé! ü',
    encoding: 'GSM-7',
    chars: 15,
    parts: 1,
    perPart: 160,
  },
  {
    name: '"Tu código es 1234" is UCS-2 (ó)',
    text: 'Tu código es 1234',
    encoding: 'UCS-2',
    chars: 17,
    parts: 1,
    perPart: 70,
  },
  { name: 'Portuguese ã ç are UCS-2', text: 'Atenção', encoding: 'UCS-2', chars: 7, parts: 1, perPart: 70 },
  {
    name: 'emoji is UCS-2 and counts 2',
    text: 'Hola 😀',
    encoding: 'UCS-2',
    chars: 7,
    parts: 1,
    perPart: 70,
  },
  {
    name: '35 emoji fill one part (70 units)',
    text: '😀'.repeat(35),
    encoding: 'UCS-2',
    chars: 70,
    parts: 1,
    perPart: 70,
  },
  {
    name: '36 emoji need 2 parts',
    text: '😀'.repeat(36),
    encoding: 'UCS-2',
    chars: 72,
    parts: 2,
    perPart: 67,
  },
  {
    name: 'an emoji never straddles two parts',
    text: a(66) + '😀' + a(66),
    encoding: 'UCS-2',
    chars: 134,
    parts: 3,
    perPart: 67,
  },
  {
    name: '80 € = 160 septets, one part',
    text: '€'.repeat(80),
    encoding: 'GSM-7',
    chars: 160,
    parts: 1,
    perPart: 160,
  },
  {
    name: '81 € = 162 septets, two parts',
    text: '€'.repeat(81),
    encoding: 'GSM-7',
    chars: 162,
    parts: 2,
    perPart: 153,
  },
  {
    name: 'extended chars count double: [ ] { } ^ ~ \\ |',
    text: '[]{}^~\\|',
    encoding: 'GSM-7',
    chars: 16,
    parts: 1,
    perPart: 160,
  },
  {
    name: '159 + € = 161 septets → 2 parts',
    text: a(159) + '€',
    encoding: 'GSM-7',
    chars: 161,
    parts: 2,
    perPart: 153,
  },
  {
    name: 'an extended char at the part boundary moves whole to the next part',
    text: a(152) + '€' + a(152),
    encoding: 'GSM-7',
    chars: 306,
    parts: 3,
    perPart: 153,
  },
  {
    name: 'a custom ceiling of 1 part',
    text: a(161),
    encoding: 'GSM-7',
    chars: 161,
    parts: 2,
    perPart: 153,
    maxParts: 1,
    overLimit: true,
  },
];

describe('smsLength', () => {
  it.each(cases)('$name', (c) => {
    const r = smsLength(c.text, c.maxParts !== undefined ? { maxParts: c.maxParts } : {});
    expect(r).toEqual({
      encoding: c.encoding,
      chars: c.chars,
      parts: c.parts,
      perPart: c.perPart,
      maxParts: c.maxParts ?? SMS_MAX_PARTS,
      overLimit: c.overLimit ?? false,
      text: c.text,
    });
  });

  it('defaults to SMSAPI’s ceiling of 6 parts', () => {
    expect(SMS_MAX_PARTS).toBe(6);
    expect(smsLength('x').maxParts).toBe(6);
  });
});

const translit: Array<[string, string, string]> = [
  ['Polish lower case', 'ą ć ę ł ń ó ś ź ż', 'a c e l n o s z z'],
  ['Polish capitals', 'Ą Ć Ę Ł Ń Ó Ś Ź Ż', 'A C E L N O S Z Z'],
  [
    'Spanish keeps GSM-7 letters (é ñ ü ¿ ¡)',
    '¿Cómo está? ¡Mañana único! é ü',
    '¿Como esta? ¡Mañana unico! é ü',
  ],
  ['Spanish capitals', 'Á É Í Ó Ú Ñ Ü', 'A É I O U Ñ Ü'],
  ['Portuguese', 'ã õ â ê ô ç à á í ú', 'a o a e o c à a i u'],
  ['Portuguese capitals (À is not GSM-7, à is)', 'Ã Õ Â Ê Ô Ç À', 'A O A E O Ç A'],
  ['decomposed accents (o + U+0301)', 'co\u0301digo', 'codigo'],
  ['typographic quotes and dashes', '“Hola” – it’s', '"Hola" - it\'s'],
  ['emoji and other scripts stay', 'Привет 😀', 'Привет 😀'],
];

describe('transliterate', () => {
  it.each(translit)('%s', (_name, input, expected) => {
    expect(transliterate(input)).toBe(expected);
  });
});

describe('smsLength with noAccents', () => {
  it('turns a Polish text GSM-7 and reports the parts saved', () => {
    const text = 'Zażółć gęślą jaźń. '.repeat(5); // 95 characters: 2 UCS-2 parts, 1 GSM-7
    const r = smsLength(text, { noAccents: true });
    expect(r).toMatchObject({ encoding: 'GSM-7', parts: 1, text: 'Zazolc gesla jazn. '.repeat(5) });
    expect(r.saving).toEqual({ partsBefore: 2, partsAfter: 1 });
  });

  it('turns Spanish and Portuguese GSM-7', () => {
    expect(smsLength('Tu código es 1234', { noAccents: true })).toMatchObject({
      encoding: 'GSM-7',
      text: 'Tu codigo es 1234',
      saving: { partsBefore: 1, partsAfter: 1 },
    });
    expect(smsLength('Atenção: promoção', { noAccents: true }).encoding).toBe('GSM-7');
  });

  it('stays UCS-2 with an emoji, and says it saved nothing', () => {
    const r = smsLength('Hola 😀 ó', { noAccents: true });
    expect(r).toMatchObject({
      encoding: 'UCS-2',
      text: 'Hola 😀 o',
      saving: { partsBefore: 1, partsAfter: 1 },
    });
  });

  it('brings an over-the-limit Polish text under the ceiling', () => {
    const text = pl(410) + ' koniec'; // 417 characters: 7 UCS-2 parts, 3 GSM-7
    expect(smsLength(text).overLimit).toBe(true);
    const r = smsLength(text, { noAccents: true });
    expect(r).toMatchObject({ overLimit: false, parts: 3, saving: { partsBefore: 7, partsAfter: 3 } });
  });
});

describe('nonGsmChars', () => {
  it('names the characters that make a text UCS-2, once each', () => {
    expect(nonGsmChars('Tu código, ó sí 😀')).toEqual(['ó', 'í', '😀']);
    expect(nonGsmChars('¿Mañana? ¡Sé!')).toEqual([]);
    expect(nonGsmChars('')).toEqual([]);
  });
});
