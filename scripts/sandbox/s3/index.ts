/**
 * Sandbox S3 — a local stand-in for an S3-compatible object store, for the media storage
 * (src/modules/media/s3-storage.ts). It follows the Amazon S3 API reference's documented behaviour
 * and never imports from src/:
 *  - path-style addressing only: `/{bucket}/{key}` (sandbox choice; what MinIO and most self-hosted
 *    stores use, MEDIA_S3_FORCE_PATH_STYLE=true);
 *  - every request signed with Signature Version 4 in the Authorization header (sigv4.ts): unsigned
 *    → 403 AccessDenied, unknown key id → 403 InvalidAccessKeyId, wrong secret or altered request →
 *    403 SignatureDoesNotMatch, more than 15 minutes off → 403 RequestTimeTooSkewed;
 *  - PutObject (Content-Length required, 411 MissingContentLength; the body checked against
 *    x-amz-content-sha256 unless UNSIGNED-PAYLOAD; ETag = MD5), GetObject with one `Range`
 *    (206 + Content-Range; 416 InvalidRange when it starts past the end), HeadObject (no body on
 *    errors), DeleteObject (204 whether or not the key existed); 404 NoSuchBucket / NoSuchKey;
 *  - aws-chunked uploads (`x-amz-content-sha256: STREAMING-…`) and bucket operations answer
 *    501 NotImplemented (sandbox choice: the app sends neither);
 *  - injected faults: the next n requests answer a given status and code (e.g. 503 SlowDown).
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getObject, putObject, sendError, type S3State, type StoredObject } from './objects.js';
import { verifySignature, type Credentials } from './sigv4.js';

export interface SandboxS3Options {
  buckets?: string[];
  accessKeyId?: string;
  secretAccessKey?: string;
  region?: string;
}

export interface S3RequestRecord {
  method: string;
  bucket: string;
  key: string;
  range?: string;
  status: number;
  code?: string;
}

export interface SandboxS3 {
  url: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  /** The bytes stored under `key`, or undefined. */
  object(bucket: string, key: string): Buffer | undefined;
  keys(bucket: string): string[];
  /** Removes an object behind the app's back (a store that lost it). */
  lose(bucket: string, key: string): void;
  /** Every request answered, in order. */
  requests(): S3RequestRecord[];
  /** The next `count` requests answer `status` with S3 error `code` (e.g. 503 SlowDown). */
  failNext(count: number, status: number, code: string): void;
  close(): Promise<void>;
}

interface Fault {
  left: number;
  status: number;
  code: string;
}

async function handle(s: S3State, c: Credentials, fault: Fault, req: IncomingMessage, res: ServerResponse) {
  const [bucketName = '', ...rest] = (req.url ?? '/').split('?')[0]!.slice(1).split('/');
  const key = decodeURIComponent(rest.join('/'));
  const method = req.method ?? 'GET';
  const record = (status: number, code?: string) =>
    s.log.push({
      method,
      bucket: bucketName,
      key,
      ...(req.headers.range ? { range: req.headers.range } : {}),
      status,
      ...(code ? { code } : {}),
    });
  const refuse = (status: number, code: string, message: string) => {
    req.resume();
    sendError(req, res, status, code, message);
    record(status, code);
  };
  const denied = verifySignature(req, c);
  if (denied) return refuse(denied.status, denied.code, denied.message);
  if (fault.left > 0) {
    fault.left--;
    return refuse(fault.status, fault.code, 'Injected fault');
  }
  if (String(req.headers['x-amz-content-sha256']).startsWith('STREAMING-')) {
    return refuse(501, 'NotImplemented', 'aws-chunked uploads are not implemented by the sandbox');
  }
  const bucket = s.buckets.get(bucketName);
  if (!bucket) return refuse(404, 'NoSuchBucket', 'The specified bucket does not exist');
  if (!key) return refuse(501, 'NotImplemented', 'Bucket operations are not implemented by the sandbox');
  if (method === 'PUT') return record(await putObject(bucket, key, req, res));
  req.resume();
  if (method === 'GET' || method === 'HEAD') {
    const status = getObject(bucket.get(key), key, req, res);
    return record(status, status === 404 ? 'NoSuchKey' : status === 416 ? 'InvalidRange' : undefined);
  }
  if (method === 'DELETE') {
    bucket.delete(key);
    res.writeHead(204).end();
    return record(204);
  }
  return refuse(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
}

export async function startSandboxS3(o: SandboxS3Options = {}): Promise<SandboxS3> {
  const c: Credentials = {
    accessKeyId: o.accessKeyId ?? 'SANDBOXACCESSKEY0001',
    secretAccessKey: o.secretAccessKey ?? `sandbox-secret-${randomBytes(12).toString('hex')}`,
    region: o.region ?? 'us-east-1',
  };
  const s: S3State = {
    buckets: new Map((o.buckets ?? ['media']).map((b) => [b, new Map<string, StoredObject>()])),
    log: [],
  };
  const fault: Fault = { left: 0, status: 500, code: 'InternalError' };
  const server: Server = createServer((req, res) => {
    handle(s, c, fault, req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(req, res, 500, 'InternalError', String(err));
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    ...c,
    object: (bucket, key) => s.buckets.get(bucket)?.get(key)?.data,
    keys: (bucket) => [...(s.buckets.get(bucket)?.keys() ?? [])],
    lose: (bucket, key) => void s.buckets.get(bucket)?.delete(key),
    requests: () => [...s.log],
    failNext: (count, status, code) => Object.assign(fault, { left: count, status, code }),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
