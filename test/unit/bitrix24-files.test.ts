import { describe, expect, it } from 'vitest';
import { Bitrix24Files, fileLinks, isPortalLink } from '../../src/integrations/bitrix24/files.js';

const endpoint = 'https://acme.bitrix24.es/rest/';

describe('operator file links (reference/bitrix24.md §4.1)', () => {
  it('tries link, then downloadLink made absolute against the portal, skipping what is no URL', () => {
    const links = fileLinks(
      { link: 'https://cdn.example/a.pdf', downloadLink: '/rest/download.json?token=t' },
      endpoint,
    );
    expect(links.map((u) => u.href)).toEqual([
      'https://cdn.example/a.pdf',
      'https://acme.bitrix24.es/rest/download.json?token=t',
    ]);
    expect(fileLinks({ link: 'http://[bad', downloadLink: '' }, endpoint)).toEqual([]);
  });

  it('counts as the portal’s own only the same host over the same scheme', () => {
    expect(isPortalLink(new URL('https://acme.bitrix24.es/disk/1'), endpoint)).toBe(true);
    expect(isPortalLink(new URL('http://acme.bitrix24.es/disk/1'), endpoint)).toBe(false);
    expect(isPortalLink(new URL('https://evil.example/disk/1'), endpoint)).toBe(false);
  });

  it('offers the portal token only on the portal’s links, and a fresh one after a refusal', async () => {
    const asked: Array<string | undefined> = [];
    const files = new Bitrix24Files({
      access: async (_portalId: number, refused?: string) => {
        asked.push(refused);
        return { clientEndpoint: endpoint, accessToken: refused ? 'fresh' : 'first' };
      },
    });
    const [own, other] = await files.links(7, {
      link: '/disk/file/1',
      downloadLink: 'https://cdn.example/b.pdf',
    });
    expect(other).toEqual({ url: 'https://cdn.example/b.pdf' });
    expect(own?.url).toBe('https://acme.bitrix24.es/disk/file/1');
    expect(await own?.authorized?.(false)).toBe('https://acme.bitrix24.es/disk/file/1?auth=first');
    expect(await own?.authorized?.(true)).toBe('https://acme.bitrix24.es/disk/file/1?auth=fresh');
    expect(asked).toEqual([undefined, 'first']);
  });
});
