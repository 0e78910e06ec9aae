/**
 * Tests the Gupshup sandbox itself against /work/shared/reference/gupshup.md (§ numbers cited).
 * Media sent by URL: Gupshup fetches it (§1.1), within §4.4 limits, or fails it (§8 1010/1011).
 */
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  APP,
  sb,
  rx,
  setup,
  teardown,
  sessionFields,
  post,
  payloadOf,
  eventsFor,
  type Json,
} from './harness.js';

describe('media sent by URL (§1.1 "Gupshup fetches it", §4.4 limits, §8 1010/1011)', () => {
  let files: Server;
  let base: string;
  beforeEach(async () => {
    await setup();
    files = createServer((req, res) => {
      if (req.url === '/a.png') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(Buffer.from('png!'));
      } else if (req.url === '/big.png') {
        res.writeHead(200, { 'content-type': 'image/png' });
        res.end(Buffer.alloc(5 * 1024 * 1024 + 1));
      } else {
        res.writeHead(404);
        res.end();
      }
    });
    await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await teardown();
    await new Promise<void>((resolve) => files.close(() => resolve()));
  });

  const statusesOf = async (url: string, type = 'image') => {
    const key = type === 'image' ? 'originalUrl' : 'url';
    const r = await post('/wa/api/v1/msg', sessionFields({ type, [key]: url }));
    expect(r.status).toBe(202);
    await sb.settle();
    const sent = sb.sent().at(-1)!;
    return {
      sent,
      events: eventsFor(sent.messageId, sent.whatsappMessageId)
        .filter((b) => b.type === 'message-event')
        .map((b) => {
          const p = payloadOf(b);
          return [p.type, (p.payload as Json).code];
        }),
    };
  };

  it('fetches the link, records what it got, and delivers', async () => {
    const { sent, events } = await statusesOf(`${base}/a.png`);
    expect(sent.media).toMatchObject({
      url: `${base}/a.png`,
      status: 200,
      bytes: 4,
      contentType: 'image/png',
    });
    expect(events.map((e) => e[0])).toEqual(['enqueued', 'sent', 'delivered', 'read']);
  });

  it('fails a message whose link does not answer 200 (1010) or whose file is over the limit (1011)', async () => {
    const gone = await statusesOf(`${base}/gone.pdf`, 'file');
    expect(gone.sent.media?.status).toBe(404);
    expect(gone.events).toEqual([['failed', 1010]]);
    const big = await statusesOf(`${base}/big.png`);
    expect(big.sent.media?.bytes).toBe(5 * 1024 * 1024 + 1);
    expect(big.events).toEqual([['failed', 1011]]);
  });

  it('expireMedia makes an inbound FileManager link answer 404, and requests are logged', async () => {
    await sb.customerSends({ appName: APP.appName, from: '919812345678', type: 'image' });
    const url = (payloadOf(payloadOf(rx.got[0]!.body)).url as string) ?? '';
    expect((await fetch(url)).status).toBe(200);
    sb.expireMedia(url);
    expect((await fetch(url)).status).toBe(404);
    expect(sb.mediaRequests().map((r) => r.status)).toEqual([200, 404]);
  });
});
