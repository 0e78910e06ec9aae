import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type * as S3Sdk from '@aws-sdk/client-s3';
import { checkKey, isMediaKey, type ByteRange, type MediaStorage } from './storage.js';

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** An S3-compatible service (MinIO, Ceph, R2…); undefined → AWS S3 of `region`. */
  endpoint?: string | undefined;
  /** `endpoint/bucket/key` instead of `bucket.endpoint/key` (MinIO and most self-hosted stores). */
  forcePathStyle: boolean;
  /** Static keys; undefined → the SDK's own chain (AWS_* variables, an instance or task role). */
  credentials?: { accessKeyId: string; secretAccessKey: string } | undefined;
  /** Where an upload is spooled before it is sent (S3 wants its length first); default: the OS's. */
  spoolDir?: string;
}

/** Where the SDK would otherwise print to the console: its few warnings go to the process log. */
export interface S3Logger {
  warn(msg: string): void;
}

/**
 * Media bytes in an S3 bucket, so that any number of instances serve what any one stored. Links stay
 * ours: Bitrix24 and Gupshup fetch `/media/:id?exp=&sig=` from the app, which streams the object (or
 * the asked range of it) from the bucket; the bucket itself needs no public access.
 *
 * The SDK (~27 MB of memory) is loaded on first use, so a process on the local folder never loads it.
 * An upload is written to a temporary file first: PutObject needs the length up front and a
 * download's length is only known at its end; a failed upload is not retried here (the stream is
 * spent) but by the media job, which downloads the file again.
 */
export class S3MediaStorage implements MediaStorage {
  #client: Promise<{ s3: S3Sdk.S3Client; sdk: typeof S3Sdk }> | undefined;

  constructor(
    private readonly o: S3StorageOptions,
    private readonly log?: S3Logger,
  ) {}

  #connect() {
    this.#client ??= import('@aws-sdk/client-s3').then((sdk) => {
      const warn = (...content: unknown[]) => this.log?.warn(`S3: ${content.map(String).join(' ')}`);
      const config: S3Sdk.S3ClientConfig = {
        region: this.o.region,
        forcePathStyle: this.o.forcePathStyle,
        // Checksums only where S3 requires them: S3-compatible stores do not all take the newer
        // trailing checksums (aws-chunked bodies) the SDK would otherwise send with every upload.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
        // Failed commands reach us as errors (the SDK would also log each, input included, as `error`).
        logger: { debug: () => undefined, info: () => undefined, warn, error: () => undefined },
        ...(this.o.endpoint ? { endpoint: this.o.endpoint } : {}),
        // A copy: the SDK marks the object it is given, and the configuration's is frozen.
        ...(this.o.credentials ? { credentials: { ...this.o.credentials } } : {}),
      };
      return { s3: new sdk.S3Client(config), sdk };
    });
    return this.#client;
  }

  async put(key: string, body: Readable): Promise<{ size: number }> {
    const Key = checkKey(key);
    const { s3, sdk } = await this.#connect();
    const spool = path.join(this.o.spoolDir ?? tmpdir(), `wab24-${randomBytes(8).toString('hex')}.part`);
    try {
      await pipeline(body, createWriteStream(spool, { flags: 'wx', mode: 0o600 }));
      const { size } = await stat(spool);
      await s3.send(
        new sdk.PutObjectCommand({
          Bucket: this.o.bucket,
          Key,
          Body: createReadStream(spool),
          ContentLength: size,
          ContentType: 'application/octet-stream',
        }),
      );
      return { size };
    } finally {
      await rm(spool, { force: true });
    }
  }

  async get(key: string, range?: ByteRange): Promise<{ body: Readable; size: number } | null> {
    if (!isMediaKey(key)) return null;
    const { s3, sdk } = await this.#connect();
    try {
      const res = await s3.send(
        new sdk.GetObjectCommand({
          Bucket: this.o.bucket,
          Key: key,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      );
      if (!(res.Body instanceof Readable)) throw new Error('S3 GetObject gave no stream');
      // `bytes a-b/total` for a range; the object's length otherwise.
      const total = /\/(\d+)$/.exec(res.ContentRange ?? '')?.[1];
      return { body: res.Body, size: Number(total ?? res.ContentLength ?? 0) };
    } catch (err) {
      if (err instanceof sdk.NoSuchKey) return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const Key = checkKey(key);
    const { s3, sdk } = await this.#connect();
    // S3 answers 204 whether or not the key was there.
    await s3.send(new sdk.DeleteObjectCommand({ Bucket: this.o.bucket, Key }));
  }

  close(): void {
    void this.#client?.then(({ s3 }) => s3.destroy()).catch(() => undefined);
  }
}
