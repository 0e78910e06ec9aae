import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Bytes `start` to `end` of a file, both included (an HTTP byte range, RFC 9110 §14.1.2). */
export interface ByteRange {
  start: number;
  end: number;
}

/**
 * Where re-hosted media bytes live: one port, streaming both ways, so an S3-compatible store
 * (s3-storage.ts) can replace the local folder without touching the relay. Keys are ours (lower-case
 * uuids); what a file is (name, type, size) is in the `media` table, not here.
 */
export interface MediaStorage {
  /** Stores the stream under `key`, replacing what was there; resolves with the byte count. */
  put(key: string, body: Readable): Promise<{ size: number }>;
  /**
   * The stored bytes (only `range` of them when given), or null when nothing is stored under `key`.
   * `size` is the whole file's size either way.
   */
  get(key: string, range?: ByteRange): Promise<{ body: Readable; size: number } | null>;
  delete(key: string): Promise<void>;
  /** Lets go of connections the storage keeps (the process is stopping). */
  close?(): void;
}

const KEY = /^[0-9a-f-]{8,64}$/;

/** Whether `key` can be one of ours: what a storage reads for any other is nothing. */
export function isMediaKey(key: string): boolean {
  return KEY.test(key);
}

/** `key`, or an error when it cannot be one of ours (nothing is written or deleted under it). */
export function checkKey(key: string): string {
  if (!KEY.test(key)) throw new Error('invalid media key');
  return key;
}

/**
 * A folder on local disk (MEDIA_DIR, default DATA_DIR/media). A file is written under a temporary
 * name and renamed into place, so a reader never sees half a file and a crash leaves no torn one.
 */
export class LocalMediaStorage implements MediaStorage {
  #ready: Promise<unknown> | undefined;

  constructor(private readonly dir: string) {}

  #path(key: string): string {
    const k = checkKey(key);
    return path.join(this.dir, k.slice(0, 2), k);
  }

  async put(key: string, body: Readable): Promise<{ size: number }> {
    const final = this.#path(key);
    this.#ready ??= mkdir(this.dir, { recursive: true });
    await this.#ready;
    await mkdir(path.dirname(final), { recursive: true });
    const tmp = `${final}.${randomBytes(6).toString('hex')}.part`;
    try {
      await pipeline(body, createWriteStream(tmp, { flags: 'wx' }));
      await rename(tmp, final);
    } catch (err) {
      await rm(tmp, { force: true });
      throw err;
    }
    return { size: (await stat(final)).size };
  }

  async get(key: string, range?: ByteRange): Promise<{ body: Readable; size: number } | null> {
    if (!isMediaKey(key)) return null;
    const p = this.#path(key);
    try {
      const s = await stat(p);
      if (!s.isFile()) return null;
      return { body: createReadStream(p, range ? { start: range.start, end: range.end } : {}), size: s.size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.#path(key), { force: true });
  }
}
