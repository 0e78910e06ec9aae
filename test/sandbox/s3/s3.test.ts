import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxS3, type SandboxS3 } from '../../../scripts/sandbox/s3/index.js';

/**
 * The S3 sandbox against the S3 API reference, driven by AWS's own SDK (the client every S3-compatible
 * store is tested with) and by plain HTTP for what the SDK would never send.
 */

let sb: SandboxS3;
beforeAll(async () => {
  sb = await startSandboxS3({ buckets: ['media'] });
});
afterAll(async () => {
  await sb.close();
});

const client = (o: Partial<S3ClientConfig> = {}) =>
  new S3Client({
    region: sb.region,
    endpoint: sb.url,
    forcePathStyle: true,
    credentials: { accessKeyId: sb.accessKeyId, secretAccessKey: sb.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    ...o,
  });

/** A client whose requests are changed after they were signed (the innermost middleware step). */
function tampering(change: (req: { headers: Record<string, string>; body?: unknown }) => void): S3Client {
  const c = client();
  c.middlewareStack.add(
    (next) => async (args) => {
      change(args.request as { headers: Record<string, string>; body?: unknown });
      return next(args);
    },
    { step: 'deserialize', priority: 'high' },
  );
  return c;
}

const since = (n: number) => sb.requests().slice(n);

describe('sandbox S3: authentication (Signature Version 4)', () => {
  it('refuses an unsigned request with AccessDenied as an XML error document', async () => {
    const res = await fetch(`${sb.url}/media/abc`);
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/xml');
    const body = await res.text();
    expect(body).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>AccessDenied<\/Code>/);
    expect(body).toMatch(/<RequestId>[0-9A-F]+<\/RequestId><\/Error>$/);
  });

  it('refuses an unknown key id, a wrong secret and a request changed after signing', async () => {
    const put = new PutObjectCommand({ Bucket: 'media', Key: 'k1', Body: Buffer.from('x') });
    await expect(
      client({ credentials: { accessKeyId: 'AKIAOTHER', secretAccessKey: sb.secretAccessKey } }).send(put),
    ).rejects.toMatchObject({ name: 'InvalidAccessKeyId', $metadata: { httpStatusCode: 403 } });
    await expect(
      client({ credentials: { accessKeyId: sb.accessKeyId, secretAccessKey: 'wrong' } }).send(put),
    ).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    const moved = tampering(
      (r) =>
        (r.headers['x-amz-date'] = r.headers['x-amz-date']!.replace(/\d(?=Z$)/, (d) =>
          d === '0' ? '1' : '0',
        )),
    );
    await expect(moved.send(put)).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    expect(sb.keys('media')).not.toContain('k1');
  });

  it('refuses a body that is not the one whose hash was signed', async () => {
    const swapped = tampering((r) => (r.body = Buffer.from('y')));
    await expect(
      swapped.send(new PutObjectCommand({ Bucket: 'media', Key: 'k2', Body: Buffer.from('x') })),
    ).rejects.toMatchObject({ name: 'XAmzContentSHA256Mismatch', $metadata: { httpStatusCode: 400 } });
    expect(sb.object('media', 'k2')).toBeUndefined();
  });

  it('refuses a request signed more than 15 minutes off the clock', async () => {
    await expect(
      client({ systemClockOffset: -3_600_000 }).send(
        new PutObjectCommand({ Bucket: 'media', Key: 'k3', Body: Buffer.from('late') }),
      ),
    ).rejects.toMatchObject({ name: 'RequestTimeTooSkewed', $metadata: { httpStatusCode: 403 } });
    expect(sb.object('media', 'k3')).toBeUndefined();
    await client().send(new PutObjectCommand({ Bucket: 'media', Key: 'k3', Body: Buffer.from('late') }));
    expect(sb.object('media', 'k3')?.toString()).toBe('late');
  });
});

describe('sandbox S3: objects', () => {
  const data = Buffer.from('0123456789abcdefghij');

  it('stores an object with its MD5 ETag and serves it whole, by HEAD and by one range', async () => {
    const c = client();
    const put = await c.send(
      new PutObjectCommand({ Bucket: 'media', Key: 'doc', Body: data, ContentType: 'text/plain' }),
    );
    expect(put.ETag).toBe(`"${createHash('md5').update(data).digest('hex')}"`);
    const whole = await c.send(new GetObjectCommand({ Bucket: 'media', Key: 'doc' }));
    expect(whole).toMatchObject({ ContentLength: 20, ContentType: 'text/plain', AcceptRanges: 'bytes' });
    expect(await whole.Body?.transformToString()).toBe(data.toString());
    const head = await c.send(new HeadObjectCommand({ Bucket: 'media', Key: 'doc' }));
    expect(head).toMatchObject({ ContentLength: 20, ETag: put.ETag });

    const part = await c.send(new GetObjectCommand({ Bucket: 'media', Key: 'doc', Range: 'bytes=5-9' }));
    expect(part).toMatchObject({
      ContentLength: 5,
      ContentRange: 'bytes 5-9/20',
      $metadata: { httpStatusCode: 206 },
    });
    expect(await part.Body?.transformToString()).toBe('56789');
    const suffix = await c.send(new GetObjectCommand({ Bucket: 'media', Key: 'doc', Range: 'bytes=-3' }));
    expect(await suffix.Body?.transformToString()).toBe('hij');
    const open = await c.send(new GetObjectCommand({ Bucket: 'media', Key: 'doc', Range: 'bytes=18-99' }));
    expect(open.ContentRange).toBe('bytes 18-19/20');
  });

  it('answers 416 InvalidRange for a range past the end', async () => {
    await expect(
      client().send(new GetObjectCommand({ Bucket: 'media', Key: 'doc', Range: 'bytes=20-' })),
    ).rejects.toMatchObject({ name: 'InvalidRange', $metadata: { httpStatusCode: 416 } });
  });

  it('answers NoSuchKey and NoSuchBucket; HEAD errors have no body', async () => {
    const c = client();
    await expect(c.send(new GetObjectCommand({ Bucket: 'media', Key: 'nope' }))).rejects.toMatchObject({
      name: 'NoSuchKey',
      $metadata: { httpStatusCode: 404 },
    });
    await expect(c.send(new GetObjectCommand({ Bucket: 'other', Key: 'doc' }))).rejects.toMatchObject({
      name: 'NoSuchBucket',
    });
    // HeadObject has no body to name the error: the SDK calls it NotFound.
    await expect(c.send(new HeadObjectCommand({ Bucket: 'media', Key: 'nope' }))).rejects.toMatchObject({
      name: 'NotFound',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('deletes with 204 whether or not the key existed', async () => {
    const c = client();
    const n = sb.requests().length;
    await c.send(new DeleteObjectCommand({ Bucket: 'media', Key: 'doc' }));
    await c.send(new DeleteObjectCommand({ Bucket: 'media', Key: 'doc' }));
    expect(since(n).map((r) => r.status)).toEqual([204, 204]);
    expect(sb.object('media', 'doc')).toBeUndefined();
  });

  it('answers the injected faults, then normally again', async () => {
    sb.failNext(1, 503, 'SlowDown');
    const c = client();
    await expect(c.send(new GetObjectCommand({ Bucket: 'media', Key: 'k3' }))).rejects.toMatchObject({
      name: 'SlowDown',
      $metadata: { httpStatusCode: 503 },
    });
    const ok = await c.send(new GetObjectCommand({ Bucket: 'media', Key: 'k3' }));
    expect(await ok.Body?.transformToString()).toBe('late');
  });
});
