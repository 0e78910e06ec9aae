import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { INTEGRATIONS_DOC, renderIntegrationsDoc } from '../../scripts/integrations-doc.js';
import { BITRIX24_METHODS, GUPSHUP_CALLS, SMSAPI_CALLS } from '../../src/integrations/catalog.js';

async function sources(dir: string): Promise<string> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(await sources(p));
    else if (e.name.endsWith('.ts') && e.name !== 'catalog.ts') out.push(await readFile(p, 'utf8'));
  }
  return out.join('\n');
}

/** docs/integrations.md (seed 002 §2.2.3 C) stays what the adapters do. */
describe('docs/integrations.md', () => {
  it('is the page generated from the catalog (run `npm run docs:integrations` after changing it)', async () => {
    expect(await readFile(INTEGRATIONS_DOC, 'utf8')).toBe(renderIntegrationsDoc());
  });

  it('lists every Bitrix24 method the adapters name, and names none they do not', async () => {
    const code = await sources('src/integrations/bitrix24');
    const named = new Set(
      [
        ...code.matchAll(
          /'((?:imconnector|imopenlines|im|crm|user|department|event|placement|app|bizproc|messageservice)\.[a-z.]+|profile|batch)'/g,
        ),
      ].map((m) => m[1]),
    );
    for (const entity of code.matchAll(/`crm\.\$\{[^}]+\}\.(add|get)`/g)) {
      // crm.${entity}.add / .get: the entities are the catalog's own lead/deal/contact methods.
      expect(
        Object.keys(BITRIX24_METHODS).some((m) => m.startsWith('crm.') && m.endsWith(`.${entity[1]}`)),
      ).toBe(true);
    }
    const catalog = new Set(Object.keys(BITRIX24_METHODS));
    expect([...named].filter((m) => !catalog.has(m as keyof typeof BITRIX24_METHODS))).toEqual([]);
    const templated = (m: string) => /^crm\.(lead|deal|contact)\.(add|get)$/.test(m);
    expect([...catalog].filter((m) => !named.has(m) && !templated(m))).toEqual([]);
  });

  it('lists every Gupshup path the adapters call', async () => {
    const code = await sources('src/integrations/gupshup');
    const paths = new Set(
      [...code.matchAll(/[`'}](\/(?:wa|sm|partner)\/[^`'?\s]*)[`'?]/g)].map((m) => m[1] ?? ''),
    );
    // `${…}` in the code and `{name}` in the catalog both stand for one path segment.
    const normalise = (p: string) => p.replace(/\$\{[^}]*\}|\{[A-Za-z]+\}/g, '{}');
    const documented = Object.keys(GUPSHUP_CALLS)
      .filter((k) => /^(GET|POST|DELETE) \//.test(k))
      .map((k) => normalise(k.split(' ')[1] ?? ''));
    expect([...new Set([...paths].map(normalise))].sort()).toEqual([...new Set(documented)].sort());
  });

  it('lists every SMSAPI path the client calls', async () => {
    const code = await sources('src/integrations/smsapi');
    const calls = [...code.matchAll(/'(GET|POST)', '(\/[a-z./]+)'/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(calls.sort()).toEqual(Object.keys(SMSAPI_CALLS).sort());
  });
});
