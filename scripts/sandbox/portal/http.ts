/** HTTP plumbing: reading requests and their params (§1.5), answering JSON, POSTing to the app (§2.2). */
import http from 'node:http';
import https from 'node:https';
import qs from 'qs';
import type { Params } from './model.js';
import { isObj } from './util.js';

export const QS_OPTS = { depth: 10, arrayLimit: 1000, parameterLimit: 100_000 } as const;
const EVENT_TIMEOUT_MS = 10_000;

/** A form POST as the portal makes it (events, iframe pages); never rejects: status 0 on failure. */
export function httpPost(
  target: string,
  body: string,
  headers: Record<string, string>,
  inflight: Set<http.ClientRequest>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    let u: URL;
    try {
      u = new URL(target);
    } catch {
      resolve({ status: 0, body: `invalid URL ${target}` });
      return;
    }
    const mod = u.protocol === 'https:' ? https : http;
    const req = mod.request(
      u,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Bitrix24 Webhook Engine',
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          inflight.delete(req);
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
        });
        res.on('error', (e) => {
          inflight.delete(req);
          resolve({ status: res.statusCode ?? 0, body: e.message });
        });
      },
    );
    inflight.add(req);
    req.setTimeout(EVENT_TIMEOUT_MS, () => req.destroy(new Error('timeout')));
    req.on('error', (e) => {
      inflight.delete(req);
      resolve({ status: 0, body: e.message });
    });
    req.end(body);
  });
}

export function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Params from the query and from a JSON or form body (bracket keys); the body wins (§1.5). */
export function parseParams(query: string, body: string, contentType: string): Params {
  const fromQuery = qs.parse(query, QS_OPTS) as Params;
  let fromBody: Params = {};
  const trimmed = body.trim();
  if (trimmed !== '') {
    if (contentType.includes('json') || (!contentType.includes('form') && /^[[{]/.test(trimmed))) {
      try {
        const parsed: unknown = JSON.parse(trimmed);
        fromBody = isObj(parsed) ? parsed : {};
      } catch {
        fromBody = {};
      }
    } else if (!contentType.includes('multipart')) {
      fromBody = qs.parse(body, QS_OPTS);
    }
  }
  return { ...fromQuery, ...fromBody };
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(json)),
  });
  res.end(json);
}
