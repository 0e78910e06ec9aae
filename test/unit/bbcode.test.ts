import { describe, expect, it } from 'vitest';
import { bbcodeToWhatsApp } from '../../src/modules/messaging/outbound/bbcode.js';

describe('Bitrix24 BB-code → WhatsApp formatting', () => {
  it.each([
    ['[b]bold[/b] and [i]italic[/i] and [s]gone[/s]', '*bold* and _italic_ and ~gone~'],
    ['[b]Ana Admin:[/b][br] Hola', '*Ana Admin:*\nHola'],
    ['[b] spaced [/b]!', ' *spaced* !'.trim()],
    ['[url=https://shop.example/p/1]our shop[/url]', 'our shop (https://shop.example/p/1)'],
    ['[url]https://shop.example[/url]', 'https://shop.example'],
    ['[quote]line one[br]line two[/quote]after', '> line one\n> line two\nafter'],
    ['[b][i]both[/i][/b]', '*_both_*'],
    ['[u]under[/u] [user=12]Bruno[/user] [color=#f00]red[/color]', 'under Bruno red'],
    ['[code]x = 1[/code]', '```x = 1```'],
    ['5 &lt; 6 &amp; [icon=https://x/y.png size=20]', '5 < 6 &'],
    ['[b][/b]empty', 'empty'],
  ])('%s', (input, expected) => {
    expect(bbcodeToWhatsApp(input)).toBe(expected);
  });
});
