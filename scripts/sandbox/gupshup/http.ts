/** HTTP plumbing of the sandbox's API: the paths it serves, reading requests, answering them. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SandboxState } from './state.js';
import type { Json } from './util.js';

export const MSG_PATH = '/wa/api/v1/msg';
export const TEMPLATE_PATH = '/wa/api/v1/template/msg';
export const MEDIA_PREFIX = '/fm/';
export const WALLET_PATH = '/sm/api/v2/wallet/balance';
export const TEMPLATE_LIST = /^\/wa\/app\/([^/]+)\/template$/;
/** `…/template/{templateId}` (GET) and `…/template/{elementName}` (DELETE). */
export const TEMPLATE_ONE = /^\/wa\/app\/([^/]+)\/template\/([^/]+)$/;
const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** Answers and records the answer in `requests()`. */
export function respond(
  s: SandboxState,
  res: ServerResponse,
  path: string,
  status: number,
  body: Json | string,
  contentType = 'application/json',
): void {
  s.requestLog.push({ path, status, at: Date.now() });
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The request body, or null when it is over the sandbox's limit. */
export function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooBig = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) tooBig = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooBig ? null : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** A path segment decoded, or null when its %-escapes are malformed. */
export function decodeSegment(raw: string | undefined): string | null {
  try {
    return decodeURIComponent(raw ?? '');
  } catch {
    return null;
  }
}

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** §0: header `apikey` (names are case-insensitive; the docs table also says `api_key`). */
export function apiKeyOf(req: IncomingMessage): string | undefined {
  return headerValue(req, 'apikey') ?? headerValue(req, 'api_key');
}
