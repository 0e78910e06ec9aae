/**
 * AWS Signature Version 4 with the Authorization header, checked as S3 checks it ("Authenticating
 * Requests: Using the Authorization Header (AWS Signature Version 4)" in the S3 API reference): the
 * canonical request, the string to sign, the signing key derived from the secret, date, region and
 * service. Written from that documentation, not from any SDK.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

/** Why S3 would refuse the request (its error code and HTTP status), or null when it is signed well. */
export type AuthFailure = { status: number; code: string; message: string } | null;

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
/** The request time may differ from the server's by 15 minutes at most. */
const MAX_SKEW_MS = 15 * 60 * 1000;

const hmac = (key: Buffer | string, data: string): Buffer => createHmac('sha256', key).update(data).digest();
export const sha256Hex = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex');

/** RFC 3986 encoding, as the documentation's UriEncode(): everything but A-Z a-z 0-9 - _ . ~ */
function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalQuery(rawQuery: string): string {
  if (!rawQuery) return '';
  return rawQuery
    .split('&')
    .map((p) => {
      const i = p.indexOf('=');
      const [k, v] = i < 0 ? [p, ''] : [p.slice(0, i), p.slice(i + 1)];
      const dec = (x: string) => decodeURIComponent(x.replace(/\+/g, ' '));
      return [uriEncode(dec(k)), uriEncode(dec(v))] as const;
    })
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function amzTime(s: string | undefined): number {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s ?? '');
  return m ? Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!) : NaN;
}

const denied = (code: string, message: string, status = 403): AuthFailure => ({ status, code, message });

/** Checks the signature of `req` (its body hash is checked against the body later, see server.ts). */
export function verifySignature(req: IncomingMessage, c: Credentials, nowMs = Date.now()): AuthFailure {
  const header = req.headers.authorization;
  if (!header) return denied('AccessDenied', 'Access Denied');
  const m = AUTH.exec(header);
  if (!m) return denied('AuthorizationHeaderMalformed', 'The authorization header is malformed', 400);
  const [, keyId, day, region, signedList, signature] = m as unknown as string[];
  if (keyId !== c.accessKeyId) {
    return denied('InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  }
  if (region !== c.region) {
    return denied(
      'AuthorizationHeaderMalformed',
      `the region '${region}' is wrong; expecting '${c.region}'`,
      400,
    );
  }
  const amzDate = req.headers['x-amz-date'];
  const at = amzTime(typeof amzDate === 'string' ? amzDate : undefined);
  if (!Number.isFinite(at) || String(amzDate).slice(0, 8) !== day) {
    return denied('AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
  }
  if (Math.abs(nowMs - at) > MAX_SKEW_MS) {
    return denied(
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
    );
  }
  const payloadHash = req.headers['x-amz-content-sha256'];
  if (typeof payloadHash !== 'string') {
    return denied('InvalidRequest', 'Missing required header for this request: x-amz-content-sha256', 400);
  }
  const signed = signedList!.split(';');
  if (
    !signed.includes('host') ||
    !signed.includes('x-amz-date') ||
    !signed.includes('x-amz-content-sha256')
  ) {
    return denied('AccessDenied', 'host, x-amz-date and x-amz-content-sha256 must be signed');
  }
  const [rawPath = '/', rawQuery = ''] = (req.url ?? '/').split('?', 2);
  const headerValue = (name: string) => {
    const v = req.headers[name];
    return (Array.isArray(v) ? v.join(',') : (v ?? '')).trim().replace(/\s+/g, ' ');
  };
  const canonical = [
    req.method ?? 'GET',
    rawPath,
    canonicalQuery(rawQuery),
    signed.map((h) => `${h}:${headerValue(h)}\n`).join(''),
    signedList,
    payloadHash,
  ].join('\n');
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${c.secretAccessKey}`, day), region), 's3'), 'aws4_request');
  const want = Buffer.from(hmac(key, toSign).toString('hex'));
  const given = Buffer.from(signature!);
  if (want.length !== given.length || !timingSafeEqual(want, given)) {
    return denied(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided.',
    );
  }
  return null;
}
