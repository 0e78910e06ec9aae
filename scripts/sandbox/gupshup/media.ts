/**
 * Media both ways: files the app sends by URL, which Gupshup fetches (§1.1, limits §4.4), and the
 * "FileManager" links of inbound customer media (§3.3), which expire.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'undici';
import { MEDIA_PREFIX } from './http.js';
import type { SandboxState } from './state.js';
import type { SentMessage } from './types.js';
import { errorBody, type Json } from './util.js';

const MB = 1024 * 1024;
/** §4.4 WhatsApp media limits by session message type (sticker: the animated limit). */
export const MEDIA_LIMITS: Record<string, number> = {
  image: 5 * MB,
  video: 16 * MB,
  audio: 16 * MB,
  file: 100 * MB,
  sticker: 500 * 1024,
};
const MEDIA_FETCH_TIMEOUT_MS = 10_000; // sandbox choice
const MEDIA_TTL_MS = 60 * 60 * 1000; // sandbox choice: FileManager links valid 1 h (§3.3 only says they expire)

const PNG_1X1 = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/** Bytes served for inbound media the sandbox invents (sandbox choice: tiny but type-plausible files). */
function defaultMedia(type: string): { contentType: string; data: Buffer; name?: string } {
  switch (type) {
    case 'image':
      return { contentType: 'image/png', data: PNG_1X1 };
    case 'file':
      return {
        contentType: 'application/pdf',
        data: Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'),
        name: 'document.pdf',
      };
    case 'audio':
      return { contentType: 'audio/ogg; codecs=opus', data: Buffer.from('OggS sandbox audio') };
    case 'video':
      return { contentType: 'video/mp4', data: Buffer.from('\0\0\0\x18ftypmp42 sandbox video') };
    case 'sticker':
      return { contentType: 'image/webp', data: Buffer.from('RIFF\0\0\0\0WEBPVP8 sandbox sticker') };
    default:
      return { contentType: 'application/octet-stream', data: Buffer.from('sandbox media') };
  }
}

/**
 * §3.3 payload of an inbound media message, with a FileManager link the sandbox serves. When the
 * caller's `extra` replaces the link, the sandbox serves nothing for it.
 */
export function inboundMediaPayload(
  s: SandboxState,
  type: string,
  text: string | undefined,
  extra: Json | undefined,
): Json {
  const m = defaultMedia(type);
  const token = `${randomUUID()}`;
  const base: Json = {
    url: `${s.baseUrl}${MEDIA_PREFIX}${token}`,
    contentType: m.contentType,
    urlExpiry: Date.now() + MEDIA_TTL_MS,
  };
  if (text !== undefined) base.caption = text;
  if (m.name) base.name = m.name;
  const merged = { ...base, ...extra };
  if (merged.url === base.url) {
    const exp = typeof merged.urlExpiry === 'number' ? merged.urlExpiry : Date.now() + MEDIA_TTL_MS;
    s.media.set(token, { contentType: m.contentType, data: m.data, expiresAt: exp });
  }
  return merged;
}

/** GET/HEAD of a FileManager link: the file, or 404 once it expired. */
export function handleMedia(s: SandboxState, req: IncomingMessage, res: ServerResponse, path: string): void {
  const entry = s.media.get(path.slice(MEDIA_PREFIX.length));
  const status = !entry || Date.now() > entry.expiresAt ? 404 : 200;
  s.mediaLog.push({ path, status, at: Date.now() });
  if (!entry || status === 404) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(errorBody('File not found or link expired')));
    return;
  }
  res.writeHead(200, { 'content-type': entry.contentType, 'content-length': entry.data.length });
  res.end(req.method === 'HEAD' ? undefined : entry.data);
}

export function expireMedia(s: SandboxState, url: string): void {
  const path = new URL(url).pathname;
  const entry = s.media.get(path.slice(MEDIA_PREFIX.length));
  if (entry) entry.expiresAt = 0;
}

/** Fetches what the app sent by URL, as Gupshup does before WhatsApp gets it. */
export async function fetchMedia(s: SandboxState, url: string): Promise<NonNullable<SentMessage['media']>> {
  const rec: NonNullable<SentMessage['media']> = { url, status: null, bytes: 0, contentType: null };
  try {
    const res = await request(url, {
      dispatcher: s.agent,
      method: 'GET',
      headersTimeout: MEDIA_FETCH_TIMEOUT_MS,
      bodyTimeout: MEDIA_FETCH_TIMEOUT_MS,
    });
    rec.status = res.statusCode;
    const ct = res.headers['content-type'];
    rec.contentType = typeof ct === 'string' ? ct : null;
    rec.bytes = (await res.body.arrayBuffer()).byteLength;
  } catch (err) {
    rec.error = err instanceof Error ? err.message : String(err);
  }
  s.log(`[gupshup] fetched media ${url} → ${rec.status ?? rec.error ?? '?'}`);
  return rec;
}
