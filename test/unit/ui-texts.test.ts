import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { uiText, uiTexts } from '../../src/modules/pages/texts.js';

const UI_DIR = 'src/modules/pages/ui';

describe('UI texts', () => {
  it('every text the page script uses exists, in Spanish, English and Portuguese', () => {
    // The compiler already holds the script to the dictionary's keys (UiTextKey); this holds every
    // entry the script uses to a real text in each language.
    const script = readdirSync(UI_DIR)
      .filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(path.join(UI_DIR, f), 'utf8'))
      .join('\n');
    const used = new Set([...script.matchAll(/\bT\('([a-zA-Z.]+)'\)/g)].map((m) => m[1] ?? ''));
    for (const m of script.matchAll(/\bT\(`([a-zA-Z.]+\.)\$\{/g)) used.add(m[1] ?? '');
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
      for (const dict of [es, en, pt]) expect((dict as Record<string, string>)[key], key).toBeTruthy();
    }
    for (const s of ['active', 'interrupted', 'inactive', 'pending', 'requested']) {
      expect(es[`status.${s}` as keyof typeof es]).toBeTruthy();
    }
    for (const dict of [es, en, pt]) {
      for (const [key, text] of Object.entries(dict)) expect(text, key).toBeTruthy();
    }
  });

  it('languages differ where they should and unknown keys fall back to the key', () => {
    expect(uiText('es', 'tab.channels')).toBe('Canales');
    expect(uiText('en', 'tab.channels')).toBe('Channels');
    expect(uiText('pt', 'tab.channels')).toBe('Canais');
    expect(uiText('pt', 'no.such.key')).toBe('no.such.key');
  });
});
