import { existsSync } from 'node:fs';
import type { JobRow } from '../../src/shared/db/schema.js';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectChannel, installAndToken, waitFor, type DemoChannel } from '../../scripts/stack.js';
import { startSandboxS3, type SandboxS3 } from '../../scripts/sandbox/s3/index.js';
import { expectRangeAnswers } from '../helpers/media.js';
import { useStack } from '../helpers/stack.js';

/**
 * Media in an S3-compatible bucket (MEDIA_S3_BUCKET), as several instances would share them: stored
 * there, served by the app behind its own signed links (the bucket is never exposed), by range,
 * deleted by the sweep. The store is the S3 sandbox, which checks every request's signature.
 */

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);
const VIDEO = Buffer.concat([Buffer.from('\0\0\0\x18ftypmp42'), Buffer.alloc(4000, 7)]);

describe('media in an S3 bucket', () => {
  let s3: SandboxS3;
  const env: Record<string, string> = {};
  beforeAll(async () => {
    s3 = await startSandboxS3({ buckets: ['wab24-media'], region: 'eu-west-3' });
    Object.assign(env, {
      MEDIA_S3_BUCKET: 'wab24-media',
      MEDIA_S3_ENDPOINT: s3.url,
      MEDIA_S3_REGION: 'eu-west-3',
      MEDIA_S3_FORCE_PATH_STYLE: 'true',
      MEDIA_S3_ACCESS_KEY_ID: s3.accessKeyId,
      MEDIA_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    });
  });
  const s = useStack({ env });
  afterAll(async () => {
    await s3.close();
  });

  let ch: DemoChannel;
  beforeAll(async () => {
    const token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
  });
  const idOf = (url: string) => new URL(url).pathname.split('/').pop() ?? '';

  it('stores an inbound image in the bucket; Bitrix24 downloads it through our signed link', async () => {
    const phone = '5491100005001';
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, type: 'image', text: 'foto' });
    const m = await waitFor(() =>
      s.portal.messages({ author: 'customer' }).find((x) => x.externalChatId === phone),
    );
    const file = m.files[0];
    expect(file?.url?.startsWith(`${s.url}/media/`)).toBe(true);
    expect(file?.download).toMatchObject({ status: 200, bytes: PNG.length, contentType: 'image/png' });
    const id = idOf(file?.url ?? '');
    expect(s3.object('wab24-media', id)?.equals(PNG)).toBe(true);
    expect(s3.requests().filter((r) => r.key === id && r.method === 'PUT')).toHaveLength(1);
    // Nothing went to the local folder: the bucket is the storage.
    expect(existsSync(s.deps.config.media.dir)).toBe(false);
  });

  it('sends an operator video to Gupshup from the bucket, and serves it by range', async () => {
    const phone = '5491100005002';
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'hola' });
    await waitFor(() => s.portal.messages({ author: 'customer' }).find((x) => x.externalChatId === phone));
    const video = s.portal.addFile({ name: 'demo.mp4', contentType: 'video/mp4', data: VIDEO });
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: '', files: [video] });
    const out = await waitFor(() => s.gupshup.sent({ destination: phone }).find((x) => x.media));
    expect(out.message).toMatchObject({ type: 'video' });
    expect(out.media).toMatchObject({ status: 200, bytes: VIDEO.length });

    const url = String(out.message.url);
    const before = s3.requests().length;
    await expectRangeAnswers(url, VIDEO);
    // The ranges were asked of the bucket, not cut out of whole downloads.
    const ranged = s3
      .requests()
      .slice(before)
      .filter((r) => r.range);
    expect(ranged.map((r) => [r.range, r.status])).toEqual([
      ['bytes=0-9', 206],
      [`bytes=${VIDEO.length - 4}-${VIDEO.length - 1}`, 206],
      [`bytes=${VIDEO.length - 3}-${VIDEO.length - 1}`, 206],
    ]);
  });

  it('deletes files past retention from the bucket; a file the bucket lost is a 404, not a 5xx', async () => {
    const image = s.portal.messages({ author: 'customer' })[0]?.files[0]?.url ?? '';
    const id = idOf(image);
    expect((await fetch(image)).status).toBe(200);
    await sql`UPDATE media SET created_at = now() - interval '31 days' WHERE id = ${id}`.execute(s.deps.db);
    expect(await s.deps.media.sweepJob().run({} as JobRow, s.deps.log)).toEqual({ kind: 'done' });
    expect(s3.object('wab24-media', id)).toBeUndefined();
    expect(s3.requests().filter((r) => r.key === id && r.method === 'DELETE')).toEqual([
      { method: 'DELETE', bucket: 'wab24-media', key: id, status: 204 },
    ]);
    expect((await fetch(image)).status).toBe(404);

    const [video] = await s.deps.db.selectFrom('media').select('id').execute();
    expect(video).toBeDefined();
    s3.lose('wab24-media', video!.id);
    const lost = await fetch(s.deps.media.signer.url(video!.id));
    expect(lost.status).toBe(404);
    expect(await lost.json()).toMatchObject({ error: { code: 'not_found' } });
  });
});
