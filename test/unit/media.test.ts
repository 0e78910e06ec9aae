import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LookupAddress } from 'node:dns';
import { fetchInto, MediaFetchError, publicOnlyLookup } from '../../src/modules/media/fetcher.js';
import { cleanFileName, mimeOf, servingHeaders, whatsappKind } from '../../src/modules/media/kinds.js';
import { mediaKey } from '../../src/modules/media/media.service.js';
import { MediaSigner } from '../../src/modules/media/signing.js';
import { LocalMediaStorage } from '../../src/modules/media/storage.js';
import { planParts } from '../../src/modules/messaging/outbound/parts.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';

describe('signed media links', () => {
  const signer = new MediaSigner(SECRET, 'https://app.example', 3600);
  const id = mediaKey('in', 42, 0);
  const parts = (u: string) => {
    const url = new URL(u);
    return { exp: url.searchParams.get('exp') ?? '', sig: url.searchParams.get('sig') ?? '' };
  };

  it('accepts its own unexpired link and nothing else', () => {
    const now = Date.now();
    const url = signer.url(id, now);
    expect(url.startsWith(`https://app.example/media/${id}?exp=`)).toBe(true);
    const { exp, sig } = parts(url);
    expect(signer.verify(id, exp, sig, now)).toBe(true);
    expect(signer.verify(mediaKey('in', 43, 0), exp, sig, now)).toBe(false);
    expect(signer.verify(id, String(Number(exp) + 1), sig, now)).toBe(false);
    expect(
      signer.verify(id, exp, `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`, now),
    ).toBe(false);
    // Another spelling of the same bytes (base64url's last character carries spare bits) is refused too.
    const last = sig.at(-1) ?? 'A';
    const sibling = 'AEIMQUYcgkosw048'.includes(last) ? String.fromCharCode(last.charCodeAt(0) + 1) : 'A';
    expect(signer.verify(id, exp, `${sig.slice(0, -1)}${sibling}`, now)).toBe(false);
    expect(signer.verify(id, exp, sig, now + 3601_000)).toBe(false);
    expect(signer.verify(id, undefined, sig, now)).toBe(false);
    expect(signer.verify(id, [exp], sig, now)).toBe(false);
    expect(signer.verify(id, exp, 'short', now)).toBe(false);
    expect(new MediaSigner(`${SECRET}x`, 'https://app.example', 3600).verify(id, exp, sig, now)).toBe(false);
  });

  it('derives one stable key per message and file', () => {
    expect(mediaKey('in', 1, 0)).toBe(mediaKey('in', 1, 0));
    expect(mediaKey('in', 1, 0)).not.toBe(mediaKey('out', 1, 0));
    expect(mediaKey('out', 7, 1)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-8[0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe('what a file is', () => {
  it('takes the declared type, else the extension', () => {
    expect(mimeOf('image/jpeg; charset=binary', 'x.bin')).toBe('image/jpeg');
    expect(mimeOf(undefined, 'Factura.PDF')).toBe('application/pdf');
    expect(mimeOf('application/octet-stream', 'clip.mp4')).toBe('video/mp4');
    expect(mimeOf('not a type', 'noext')).toBe('application/octet-stream');
  });

  it('sends a file as its own kind within WhatsApp limits, else as a document, refused over 100 MB', () => {
    const MB = 1024 * 1024;
    expect(whatsappKind('image/png', 4 * MB)).toEqual({ kind: 'image' });
    expect(whatsappKind('image/png', 6 * MB)).toEqual({ kind: 'file' });
    expect(whatsappKind('image/gif', 1000)).toEqual({ kind: 'file' });
    expect(whatsappKind('video/mp4', 16 * MB)).toEqual({ kind: 'video' });
    expect(whatsappKind('video/quicktime', 1000)).toEqual({ kind: 'file' });
    expect(whatsappKind('audio/ogg', 1000)).toEqual({ kind: 'audio' });
    expect(whatsappKind('application/zip', 100 * MB)).toEqual({ kind: 'file' });
    expect(whatsappKind('application/zip', 100 * MB + 1)).toEqual({
      refused: 'file_too_large',
      limit: 100 * MB,
    });
  });

  it('serves active content as a download and never lets the browser sniff', () => {
    const html = servingHeaders('text/html', '<script>.html', 10);
    expect(html['content-type']).toBe('application/octet-stream');
    expect(html['content-disposition']).toMatch(/^attachment; filename="<script>.html"/);
    expect(html['x-content-type-options']).toBe('nosniff');
    expect(servingHeaders('image/svg+xml', 'a.svg', 1)['content-type']).toBe('application/octet-stream');
    const img = servingHeaders('image/png', 'Año "nuevo".png', 5);
    expect(img['content-disposition']).toBe(
      `inline; filename="Ano _nuevo_.png"; filename*=UTF-8''A%C3%B1o%20%22nuevo%22.png`,
    );
    expect(servingHeaders('application/zip', 'x.zip', 1)['content-disposition']).toMatch(/^attachment;/);
  });

  it('cleans file names for Bitrix24 (50 characters, no &) keeping the extension', () => {
    expect(cleanFileName('file1.pdf (files)', 'application/pdf', 'document')).toBe('file1.pdf');
    expect(cleanFileName('../../etc/passwd', 'text/plain', 'file')).toBe('passwd');
    expect(cleanFileName('A & B.pdf', 'application/pdf', 'file')).toBe('A + B.pdf');
    expect(cleanFileName(undefined, 'image/jpeg', 'image')).toBe('image.jpg');
    expect(cleanFileName(undefined, 'audio/ogg', 'audio')).toBe('audio.ogg');
    const long = cleanFileName(`${'x'.repeat(80)}.docx`, 'application/octet-stream', 'file');
    expect(long).toHaveLength(50);
    expect(long.endsWith('.docx')).toBe(true);
  });
});

describe('an operator message as WhatsApp messages', () => {
  const img = { name: 'a.png', mime: 'image/png', link: 'https://p/a' };
  const pdf = { name: 'b.pdf', link: 'https://p/b' };
  const ogg = { name: 'v.ogg', link: 'https://p/v' };

  it('keeps a text alone, captions a single file, splits the rest in order', () => {
    expect(planParts('Hola', [])).toEqual([{ type: 'text', text: 'Hola' }]);
    expect(planParts('[b]Ana:[/b][br] mira', [img])).toEqual([
      { type: 'image', text: '[b]Ana:[/b][br] mira', file: img },
    ]);
    // No caption on audio: the text goes first.
    expect(planParts('escucha', [ogg]).map((p) => [p.type, p.text])).toEqual([
      ['text', 'escucha'],
      ['audio', ''],
    ]);
    expect(planParts('dos', [img, pdf]).map((p) => [p.type, p.text, p.file?.name])).toEqual([
      ['text', 'dos', undefined],
      ['image', '', 'a.png'],
      ['file', '', 'b.pdf'],
    ]);
    // The operator-name prefix alone is no text.
    expect(planParts('[b]Ana:[/b][br] ', [img, pdf]).map((p) => p.type)).toEqual(['image', 'file']);
    expect(planParts('[b]Ana:[/b][br] ', [pdf])).toEqual([{ type: 'file', text: '', file: pdf }]);
    expect(planParts('x'.repeat(1100), [img]).map((p) => p.type)).toEqual(['text', 'image']);
  });
});

describe('media storage and download', () => {
  let dir: string;
  let server: Server;
  let base: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wab24-media-unit-'));
    server = createServer((req, res) => {
      const u = req.url ?? '/';
      if (u === '/ok') {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end('hello');
      } else if (u === '/big') {
        res.writeHead(200, { 'content-length': '5000' });
        res.end(Buffer.alloc(5000));
      } else if (u === '/chunked') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(500));
        res.end();
      } else if (u === '/moved') {
        res.writeHead(302, { location: '/ok' });
        res.end();
      } else if (u === '/down') {
        res.writeHead(503);
        res.end();
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });

  const storage = () => new LocalMediaStorage(dir);
  const opts = { maxBytes: 1000, timeoutMs: 5_000, allowPrivateHosts: true };
  const key = mediaKey('in', 1, 0);

  it('stores, reads back and deletes a file', async () => {
    const st = storage();
    expect(await st.put(key, Readable.from([Buffer.from('abc')]))).toEqual({ size: 3 });
    const got = await st.get(key);
    expect(got?.size).toBe(3);
    expect(await text(got!.body)).toBe('abc');
    await st.delete(key);
    expect(await st.get(key)).toBeNull();
    expect(await st.get('../../etc/passwd')).toBeNull();
    await expect(st.put('../x', Readable.from(['x']))).rejects.toThrow('invalid media key');
  });

  it('downloads into storage, following redirects', async () => {
    const st = storage();
    expect(await fetchInto(st, key, `${base}/moved`, opts)).toEqual({ size: 5, contentType: 'text/plain' });
    expect(await text((await st.get(key))!.body)).toBe('hello');
  });

  it('stops at the size cap, declared or streamed, and keeps no partial file', async () => {
    const st = storage();
    const k = mediaKey('in', 2, 0);
    await expect(fetchInto(st, k, `${base}/big`, opts)).rejects.toMatchObject({
      code: 'too_large',
      permanent: true,
    });
    await expect(fetchInto(st, k, `${base}/chunked`, opts)).rejects.toMatchObject({
      code: 'too_large',
      permanent: true,
    });
    expect(await st.get(k)).toBeNull();
  });

  it('tells a gone file from a passing fault', async () => {
    const st = storage();
    const k = mediaKey('in', 3, 0);
    await expect(fetchInto(st, k, `${base}/missing`, opts)).rejects.toMatchObject({
      code: 'not_found',
      permanent: true,
    });
    await expect(fetchInto(st, k, `${base}/down`, opts)).rejects.toMatchObject({
      code: 'http_503',
      permanent: false,
    });
    await expect(fetchInto(st, k, 'ftp://example.com/x', opts)).rejects.toBeInstanceOf(MediaFetchError);
  });

  it('refuses private addresses unless allowed (SSRF guard)', async () => {
    const st = storage();
    const strict = { ...opts, allowPrivateHosts: false };
    await expect(fetchInto(st, key, `${base}/ok`, strict)).rejects.toMatchObject({ code: 'blocked_host' });
    await expect(fetchInto(st, key, 'http://169.254.169.254/latest/meta-data', strict)).rejects.toMatchObject(
      {
        code: 'blocked_host',
      },
    );
    await expect(fetchInto(st, key, 'http://2130706433/', strict)).rejects.toMatchObject({
      code: 'blocked_host',
    });
  });

  it('refuses names that resolve to private addresses at connect time', async () => {
    const lookup = (host: string, all: boolean) =>
      new Promise<{ code?: string; result: unknown }>((resolve) => {
        publicOnlyLookup(
          host,
          { all },
          (err: NodeJS.ErrnoException | null, address: string | LookupAddress[]) =>
            resolve({ ...(err?.code ? { code: err.code } : {}), result: address }),
        );
      });
    expect((await lookup('localhost', false)).code).toBe('ESSRF');
    expect((await lookup('10.1.2.3', true)).code).toBe('ESSRF');
    expect(await lookup('8.8.8.8', false)).toEqual({ result: '8.8.8.8' });
    expect(await lookup('8.8.8.8', true)).toEqual({ result: [{ address: '8.8.8.8', family: 4 }] });
  });
});
