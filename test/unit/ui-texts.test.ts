import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { uiText, uiTexts } from '../../src/shared/ui-texts.js';

describe('UI texts', () => {
  it('every text the page script uses exists, in Spanish, English and Portuguese', () => {
    const script = readFileSync('views/ui/app.js', 'utf8');
    const used = new Set([...script.matchAll(/\bT\('([a-zA-Z.]+)'\)/g)].map((m) => m[1] ?? ''));
    for (const m of script.matchAll(/T\('((?:status|ch\.sub)\.)' \+/g)) used.add(m[1] ?? '');
    expect(used.size).toBeGreaterThan(50);
    const es = uiTexts('es');
    const en = uiTexts('en');
    const pt = uiTexts('pt');
    for (const key of used) {
      if (key.endsWith('.')) {
        expect(
          Object.keys(en).some((k) => k.startsWith(key)),
          key,
        ).toBe(true);
        continue;
      }
      for (const dict of [es, en, pt]) expect(dict[key], key).toBeTruthy();
    }
    for (const s of ['active', 'interrupted', 'inactive', 'pending', 'requested']) {
      expect(es[`status.${s}`]).toBeTruthy();
    }
  });

  it('languages differ where they should and unknown keys fall back to the key', () => {
    expect(uiText('es', 'tab.channels')).toBe('Canales');
    expect(uiText('en', 'tab.channels')).toBe('Channels');
    expect(uiText('pt', 'tab.channels')).toBe('Canais');
    expect(uiText('pt', 'no.such.key')).toBe('no.such.key');
  });
});
