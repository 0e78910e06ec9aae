import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  connectChannel,
  installAndToken,
  SAMPLE_PORTAL,
  type DemoChannel,
} from '../../scripts/stack.js';
import { draftCampaign } from '../helpers/campaign-lists.js';
import { useStack } from '../helpers/stack.js';
import { addTemplate } from '../helpers/templates.js';

/**
 * FAILS on main (review of issue 14; the fix belongs to the lists' owner, src/modules/campaigns/
 * lists.service.ts): a list upload opens its transaction (and takes a pool connection and the
 * campaign's row lock) before the body is read, so a client that sends a line and goes quiet holds
 * both until Node's request time-out (300 s). As many such uploads as DB_POOL_MAX (20 by default)
 * and every request that needs the database — the API, Bitrix24's and Gupshup's webhooks — fails.
 */
describe('review: stalled list uploads do not take the database from everyone else', () => {
  const POOL = 4;
  const s = useStack({ portal: SAMPLE_PORTAL, worker: false, env: { DB_POOL_MAX: String(POOL) } });
  let token: string;
  let ch: DemoChannel;
  let templateId: string;

  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
    templateId = (await addTemplate(s, { channelId: ch.id, name: 'aviso' })).id;
  });

  it('as many stalled uploads as the pool has connections: the API and webhooks still answer', async () => {
    const aborts: AbortController[] = [];
    const started: Array<Promise<unknown>> = [];
    for (let i = 0; i < POOL; i++) {
      const id = await draftCampaign(s, { channelId: ch.id, templateId });
      const abort = new AbortController();
      aborts.push(abort);
      async function* stalled() {
        yield Buffer.from(`phone,name,param1,param2\n+549115555${7000 + i},Ana,A,B\n`);
        // Then nothing more: a client that went quiet (or drips one byte now and then).
        await new Promise((r) => abort.signal.addEventListener('abort', r));
      }
      started.push(
        fetch(`${s.url}/api/v1/campaigns/${id}/list`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
          body: Readable.toWeb(Readable.from(stalled())) as ReadableStream,
          duplex: 'half',
          signal: abort.signal,
        }).catch(() => undefined),
      );
    }
    try {
      // Let the uploads reach their transaction, then ask for something that needs the database.
      await new Promise((r) => setTimeout(r, 1000));
      const list = await api(s, token, 'GET', '/campaigns');
      expect(list.status).toBe(200);
      const ready = await fetch(`${s.url}/readyz`);
      expect(ready.status).toBe(200);
    } finally {
      for (const a of aborts) a.abort();
      await Promise.all(started);
    }
  });
});
