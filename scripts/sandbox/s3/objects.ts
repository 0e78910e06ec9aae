/**
 * The object operations the app uses, as the S3 API reference documents them: PutObject,
 * GetObject (with Range), HeadObject, DeleteObject, and their errors as S3's XML error document.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sha256Hex } from './sigv4.js';

export interface StoredObject {
  data: Buffer;
  contentType: string;
  etag: string;
  lastModified: Date;
}

export interface S3State {
  /** bucket → key → object */
  buckets: Map<string, Map<string, StoredObject>>;
  log: Array<{ method: string; bucket: string; key: string; range?: string; status: number; code?: string }>;
}

const xmlEscape = (s: string): string => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** S3's error document (an XML body on every error but HEAD's, which have none). */
export function sendError(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
): void {
  const requestId = randomBytes(8).toString('hex').toUpperCase();
  res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': requestId });
  if (req.method === 'HEAD') return void res.end();
  const fields = Object.entries({ Code: code, Message: message, ...extra, RequestId: requestId })
    .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
    .join('');
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error>${fields}</Error>`);
}

/** PutObject: needs Content-Length; the body must match x-amz-content-sha256 unless UNSIGNED-PAYLOAD. */
export async function putObject(
  bucket: Map<string, StoredObject>,
  key: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<number> {
  const declared = req.headers['content-length'];
  if (declared === undefined) {
    req.resume();
    sendError(req, res, 411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
    return 411;
  }
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const data = Buffer.concat(chunks);
  const claimed = String(req.headers['x-amz-content-sha256']);
  if (claimed !== 'UNSIGNED-PAYLOAD' && claimed !== sha256Hex(data)) {
    sendError(
      req,
      res,
      400,
      'XAmzContentSHA256Mismatch',
      'The provided x-amz-content-sha256 header does not match what was computed.',
    );
    return 400;
  }
  const etag = `"${createHash('md5').update(data).digest('hex')}"`;
  const contentType = req.headers['content-type'] ?? 'binary/octet-stream';
  bucket.set(key, { data, contentType, etag, lastModified: new Date() });
  res.writeHead(200, { etag, 'content-length': '0' });
  res.end();
  return 200;
}

/**
 * The one range of a `Range: bytes=…` header (S3 serves one range per request), null for none or one
 * it ignores (not bytes, several ranges, unreadable: the whole object is sent), 'invalid' when it
 * starts past the end.
 */
function parseRange(
  header: string | undefined,
  size: number,
): { start: number; end: number } | null | 'invalid' {
  const m = /^bytes=(\d*)-(\d*)$/.exec(header?.trim() ?? '');
  if (!m || (m[1] === '' && m[2] === '')) return null;
  if (m[1] === '') {
    const n = Number(m[2]);
    if (n === 0 || size === 0) return 'invalid';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return null;
  if (start >= size) return 'invalid';
  return { start, end };
}

/** GetObject and HeadObject: the object or the asked range of it (206 with Content-Range). */
export function getObject(
  obj: StoredObject | undefined,
  key: string,
  req: IncomingMessage,
  res: ServerResponse,
): number {
  if (!obj) {
    sendError(req, res, 404, 'NoSuchKey', 'The specified key does not exist.', { Key: key });
    return 404;
  }
  const size = obj.data.length;
  const range = parseRange(req.headers.range, size);
  if (range === 'invalid') {
    sendError(req, res, 416, 'InvalidRange', 'The requested range is not satisfiable', {
      RangeRequested: String(req.headers.range),
      ActualObjectSize: String(size),
    });
    return 416;
  }
  const body = range ? obj.data.subarray(range.start, range.end + 1) : obj.data;
  res.writeHead(range ? 206 : 200, {
    'content-type': obj.contentType,
    'content-length': String(body.length),
    etag: obj.etag,
    'last-modified': obj.lastModified.toUTCString(),
    'accept-ranges': 'bytes',
    ...(range ? { 'content-range': `bytes ${range.start}-${range.end}/${size}` } : {}),
  });
  res.end(req.method === 'HEAD' ? undefined : body);
  return range ? 206 : 200;
}
