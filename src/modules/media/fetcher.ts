import { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { isPrivateHost } from '../../shared/hosts.js';
import { defaultGuardedAgent, isBlockedAddressError } from '../../shared/http/ssrf-guard.js';
import type { MediaStorage } from './storage.js';

export { publicOnlyLookup } from '../../shared/http/ssrf-guard.js';

/**
 * Downloads one file straight into the media storage, streaming: never more than `maxBytes`, never
 * longer than `timeoutMs`, never from a special-purpose address unless allowed (the local sandboxes),
 * and redirects followed by hand so each hop passes the same check. The real guard is the dispatcher
 * (the app's SSRF-guarded Agent, shared with the HttpClient); the host check per hop only answers a
 * named private host early.
 */
export class MediaFetchError extends Error {
  constructor(
    /** Short code for the trace: not_found, forbidden, too_large, blocked_host, bad_url, http_5xx… */
    readonly code: string,
    message: string,
    /** False when trying again later may work (5xx, 429, network, time-out). */
    readonly permanent: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'MediaFetchError';
  }
}

export interface FetchOptions {
  maxBytes: number;
  timeoutMs: number;
  allowPrivateHosts: boolean;
  /** The app's outbound dispatcher; without one, the shared guarded Agent unless private hosts are allowed. */
  dispatcher?: Dispatcher | undefined;
}

export interface Fetched {
  size: number;
  contentType: string | undefined;
}

const MAX_REDIRECTS = 3;

export async function fetchInto(
  storage: MediaStorage,
  key: string,
  rawUrl: string,
  o: FetchOptions,
): Promise<Fetched> {
  let url = parseUrl(rawUrl);
  for (let hop = 0; ; hop++) {
    const res = await get(url, o);
    if (res.statusCode >= 300 && res.statusCode < 400 && res.headers.location) {
      await res.body.dump();
      if (hop >= MAX_REDIRECTS) throw new MediaFetchError('too_many_redirects', 'too many redirects', true);
      url = parseUrl(String(res.headers.location), url);
      continue;
    }
    return store(storage, key, url, res, o.maxBytes);
  }
}

/** One hop: the answer of `url`, or why there is none. */
async function get(url: URL, o: FetchOptions): Promise<Dispatcher.ResponseData> {
  if (!o.allowPrivateHosts && isPrivateHost(url.host)) {
    throw new MediaFetchError(
      'blocked_host',
      `refused to fetch from a private address (${url.hostname})`,
      true,
    );
  }
  try {
    return await request(url, {
      method: 'GET',
      headers: { accept: '*/*', 'user-agent': 'WhatsAppB24-media/1' },
      headersTimeout: o.timeoutMs,
      bodyTimeout: o.timeoutMs,
      signal: AbortSignal.timeout(o.timeoutMs),
      ...(o.dispatcher
        ? { dispatcher: o.dispatcher }
        : o.allowPrivateHosts
          ? {}
          : { dispatcher: defaultGuardedAgent() }),
    });
  } catch (err) {
    const e = err as { code?: string; name?: string };
    const code = e.code ?? e.name ?? 'error';
    if (isBlockedAddressError(err)) {
      throw new MediaFetchError(
        'blocked_host',
        `refused to fetch from ${url.hostname}: private address`,
        true,
      );
    }
    throw new MediaFetchError('network', `GET ${url.host}: ${code}`, false);
  }
}

/** The final answer's body into storage, within `maxBytes`; any other status than 200 is an error. */
async function store(
  storage: MediaStorage,
  key: string,
  url: URL,
  res: Dispatcher.ResponseData,
  maxBytes: number,
): Promise<Fetched> {
  if (res.statusCode !== 200) {
    await res.body.dump().catch(() => undefined);
    throw statusError(res.statusCode, url);
  }
  const declared = Number(res.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) {
    res.body.on('error', () => undefined);
    res.body.destroy();
    throw new MediaFetchError(
      'too_large',
      `file of ${declared} bytes is over the ${maxBytes}-byte limit`,
      true,
    );
  }
  const contentType = res.headers['content-type'];
  try {
    const { size } = await storage.put(key, Readable.from(capped(res.body, maxBytes)));
    return { size, contentType: typeof contentType === 'string' ? contentType : undefined };
  } catch (err) {
    if (err instanceof MediaFetchError) throw err;
    throw new MediaFetchError('network', `GET ${url.host}: ${(err as Error).message}`, false);
  }
}

function parseUrl(raw: string, base?: URL): URL {
  let u: URL;
  try {
    u = new URL(raw, base);
  } catch {
    throw new MediaFetchError('bad_url', 'not a URL', true);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw new MediaFetchError('bad_url', `unsupported scheme ${u.protocol}`, true);
  }
  return u;
}

function statusError(status: number, url: URL): MediaFetchError {
  const where = `GET ${url.host} answered ${status}`;
  if (status === 404 || status === 410) {
    return new MediaFetchError('not_found', `${where}: gone or expired`, true, status);
  }
  if (status === 401 || status === 403) return new MediaFetchError('forbidden', where, true, status);
  if (status === 429 || status >= 500) return new MediaFetchError(`http_${status}`, where, false, status);
  return new MediaFetchError(`http_${status}`, where, true, status);
}

/** The body, chunk by chunk, failing (and so closing the download) past `max` bytes. */
async function* capped(body: AsyncIterable<Buffer>, max: number): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const chunk of body) {
    seen += chunk.length;
    if (seen > max) throw new MediaFetchError('too_large', `file is over the ${max}-byte limit`, true);
    yield chunk;
  }
}
