import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxS3, type SandboxS3 } from '../../scripts/sandbox/s3/index.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { mediaKey } from '../../src/modules/media/media.service.js';
import { requestedRange } from '../../src/modules/media/ranges.js';
import { S3MediaStorage } from '../../src/modules/media/s3-storage.js';
import { LocalMediaStorage, type MediaStorage } from '../../src/modules/media/storage.js';

/** Both media storages keep the port's promises: the same cases against a folder and a bucket. */

const BYTES = Buffer.from(Array.from({ length: 300 }, (_, i) => i % 256));
const chunks = (b: Buffer) => Readable.from([b.subarray(0, 100), b.subarray(100)]);

let sandbox: SandboxS3;
let dir: string;
let spoolDir: string;
const warnings: string[] = [];
beforeAll(async () => {
  sandbox = await startSandboxS3({ buckets: ['media'] });
  dir = await mkdtemp(path.join(tmpdir(), 'wab24-storage-unit-'));
  spoolDir = await mkdtemp(path.join(tmpdir(), 'wab24-spool-unit-'));
});
afterAll(async () => {
  await sandbox.close();
  await rm(dir, { recursive: true, force: true });
  await rm(spoolDir, { recursive: true, force: true });
});

const s3 = (secretAccessKey = sandbox.secretAccessKey) =>
  new S3MediaStorage(
    {
      bucket: 'media',
      region: sandbox.region,
      endpoint: sandbox.url,
      forcePathStyle: true,
      credentials: { accessKeyId: sandbox.accessKeyId, secretAccessKey },
      spoolDir,
    },
    { warn: (m) => warnings.push(m) },
  );

const storages: Array<[string, () => MediaStorage]> = [
  ['local folder', () => new LocalMediaStorage(dir)],
  ['S3 bucket', () => s3()],
];

describe.each(storages)('media storage: %s', (_name, make) => {
  const key = mediaKey('in', 7, 0);

  it('stores a stream, reads it back whole and by range, and deletes it', async () => {
    const st = make();
    expect(await st.put(key, chunks(BYTES))).toEqual({ size: 300 });
    const whole = await st.get(key);
    expect(whole?.size).toBe(300);
    expect((await buffer(whole!.body)).equals(BYTES)).toBe(true);

    const part = await st.get(key, { start: 10, end: 19 });
    expect(part?.size).toBe(300); // the whole file's size, not the part's
    expect((await buffer(part!.body)).equals(BYTES.subarray(10, 20))).toBe(true);
    const tail = await st.get(key, { start: 299, end: 299 });
    expect([...(await buffer(tail!.body))]).toEqual([299 % 256]);

    await st.delete(key);
    expect(await st.get(key)).toBeNull();
    await st.delete(key); // deleting nothing is not an error
    st.close?.();
  });

  it('replaces what a key held (a job that runs twice writes the file again)', async () => {
    const st = make();
    await st.put(key, Readable.from([Buffer.from('first version')]));
    expect(await st.put(key, Readable.from([Buffer.from('second')]))).toEqual({ size: 6 });
    expect((await buffer((await st.get(key))!.body)).toString()).toBe('second');
    await st.delete(key);
    st.close?.();
  });

  it('reads nothing and writes nothing under a key that is not ours', async () => {
    const st = make();
    expect(await st.get('../../etc/passwd')).toBeNull();
    expect(await st.get(mediaKey('in', 8, 0))).toBeNull();
    await expect(st.put('../x', Readable.from(['x']))).rejects.toThrow('invalid media key');
    await expect(st.delete('a/b')).rejects.toThrow('invalid media key');
    st.close?.();
  });
});

describe('media storage: S3 specifics', () => {
  const key = mediaKey('out', 9, 1);

  it('signs every request: a wrong secret is refused by the store', async () => {
    const st = s3('not-the-sandbox-secret-0123456789');
    await expect(st.put(key, Readable.from([Buffer.from('x')]))).rejects.toMatchObject({
      name: 'SignatureDoesNotMatch',
    });
    await expect(st.get(key)).rejects.toMatchObject({ name: 'SignatureDoesNotMatch' });
    expect(sandbox.keys('media')).not.toContain(key);
    st.close();
  });

  it('sends plain PUTs with their length (no aws-chunked body) and keeps no spooled file', async () => {
    const st = s3();
    const before = sandbox.requests().length;
    await st.put(key, chunks(BYTES));
    expect(sandbox.object('media', key)?.equals(BYTES)).toBe(true);
    expect(sandbox.requests().slice(before)).toEqual([{ method: 'PUT', bucket: 'media', key, status: 200 }]);
    expect(await readdir(spoolDir)).toEqual([]);
    await st.delete(key);
    expect(sandbox.keys('media')).not.toContain(key);
    st.close();
  });

  it('fails an upload the store refuses, leaving no object and no spooled file', async () => {
    const st = s3();
    sandbox.failNext(1, 503, 'SlowDown');
    await expect(st.put(key, chunks(BYTES))).rejects.toMatchObject({ name: 'SlowDown' });
    expect(sandbox.object('media', key)).toBeUndefined();
    expect(await readdir(spoolDir)).toEqual([]);
    st.close();
  });

  it('retries a read the store fails once, and passes a lasting outage on (never an empty file)', async () => {
    const st = s3();
    await st.put(key, chunks(BYTES));
    sandbox.failNext(1, 500, 'InternalError');
    expect((await buffer((await st.get(key))!.body)).equals(BYTES)).toBe(true);
    sandbox.failNext(3, 503, 'SlowDown');
    await expect(st.get(key)).rejects.toMatchObject({ name: 'SlowDown' });
    await st.delete(key);
    st.close();
  });
});

describe('the byte range a request asks for', () => {
  it('reads one range, open-ended or from the end', () => {
    expect(requestedRange(300, 'bytes=0-9', false)).toEqual({ start: 0, end: 9 });
    expect(requestedRange(300, 'bytes=290-', false)).toEqual({ start: 290, end: 299 });
    expect(requestedRange(300, 'bytes=-5', false)).toEqual({ start: 295, end: 299 });
    expect(requestedRange(300, 'bytes=250-999', false)).toEqual({ start: 250, end: 299 });
    expect(requestedRange(300, 'bytes=0-9,5-19', false)).toEqual({ start: 0, end: 19 }); // overlapping: one
  });

  it('sends the whole file for no range, several ranges, another unit, garbage or an If-Range', () => {
    expect(requestedRange(300, undefined, false)).toBeUndefined();
    expect(requestedRange(300, 'bytes=0-9,100-109', false)).toBeUndefined();
    expect(requestedRange(300, 'items=0-9', false)).toBeUndefined();
    expect(requestedRange(300, 'bytes=abc', false)).toBeUndefined();
    expect(requestedRange(300, 'bytes=0-9', true)).toBeUndefined();
  });

  it('finds no part of the file past its end, nor any part of an empty file', () => {
    expect(requestedRange(300, 'bytes=300-', false)).toBe('unsatisfiable');
    expect(requestedRange(300, 'bytes=1000-2000', false)).toBe('unsatisfiable');
    expect(requestedRange(0, 'bytes=0-', false)).toBe('unsatisfiable');
  });
});

describe('choosing the storage by configuration', () => {
  const base = {
    PUBLIC_URL: 'https://wa.example.com',
    APP_SECRET: 'x'.repeat(40),
    B24_CLIENT_ID: 'local.1.2',
    B24_CLIENT_SECRET: 'secret',
  };
  const s3Env = { MEDIA_S3_ACCESS_KEY_ID: 'AKIA1', MEDIA_S3_SECRET_ACCESS_KEY: 's3cr3t' };

  it('keeps the local folder while MEDIA_S3_BUCKET is empty (as .env.example ships it)', () => {
    expect(loadConfig({ ...base, MEDIA_S3_BUCKET: '', MEDIA_S3_ENDPOINT: '' }).media.s3).toBeUndefined();
  });

  it('takes the bucket, its endpoint, region, addressing and keys', () => {
    const env = { ...base, ...s3Env, MEDIA_S3_BUCKET: 'm', MEDIA_S3_ENDPOINT: 'http://minio:9000' };
    expect(loadConfig({ ...env, MEDIA_S3_FORCE_PATH_STYLE: 'true' }).media.s3).toEqual({
      bucket: 'm',
      region: 'us-east-1',
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIA1', secretAccessKey: 's3cr3t' },
    });
    // No keys: the AWS SDK's own chain (a task role, AWS_* variables).
    expect(
      loadConfig({ ...base, MEDIA_S3_BUCKET: 'm', MEDIA_S3_REGION: 'sa-east-1' }).media.s3,
    ).toMatchObject({
      region: 'sa-east-1',
      endpoint: undefined,
      credentials: undefined,
    });
  });

  it('refuses one key without the other and an endpoint that is not a URL', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ ...base, MEDIA_S3_BUCKET: 'm', ...env });
      } catch (e) {
        if (e instanceof ConfigError) return e.problems;
      }
      return [];
    };
    expect(problems({ MEDIA_S3_ACCESS_KEY_ID: 'AKIA1' })).toEqual([
      'MEDIA_S3_SECRET_ACCESS_KEY: set both MEDIA_S3_ACCESS_KEY_ID and MEDIA_S3_SECRET_ACCESS_KEY, or neither',
    ]);
    expect(problems({ MEDIA_S3_SECRET_ACCESS_KEY: 's' })[0]).toMatch(/^MEDIA_S3_ACCESS_KEY_ID: set both/);
    expect(problems({ MEDIA_S3_ENDPOINT: 'minio:9000' })[0]).toMatch(/^MEDIA_S3_ENDPOINT: /);
  });
});
