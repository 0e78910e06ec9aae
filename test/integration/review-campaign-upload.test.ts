import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  connectChannel,
  installAndToken,
  SAMPLE_PORTAL,
  type DemoChannel,
} from '../../scripts/stack.js';
import { draftCampaign, storedList, uploadList } from '../helpers/campaign-lists.js';
import { useStack } from '../helpers/stack.js';
import { addTemplate } from '../helpers/templates.js';

/**
 * A campaign list upload cut off or sent in odd encodings (review of issue 14): the list is replaced
 * whole or not at all, the campaign is not left locked, and the answer is a 4xx — never a 5xx.
 */
describe('review: campaign list uploads that do not finish or are not text', () => {
  const s = useStack({ portal: SAMPLE_PORTAL, worker: false });
  let token: string;
  let ch: DemoChannel;
  let templateId: string;

  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
    templateId = (await addTemplate(s, { channelId: ch.id, name: 'aviso' })).id;
  });

  it('an upload aborted halfway leaves the old list and no lock behind', async () => {
    const id = await draftCampaign(s, { channelId: ch.id, templateId });
    const first = await uploadList(s, { token }, id, 'phone,name,param1,param2\n+5491155556001,Ana,A,B\n');
    expect(first.status).toBe(200);
    const before = await storedList(s, id);
    const abort = new AbortController();
    async function* rows() {
      yield Buffer.from('phone,name,param1,param2\n');
      for (let i = 0; i < 2000; i++) {
        yield Buffer.from(`+54911555${String(70000 + i)},N${i},a,b\n`);
        if (i === 1500) {
          await new Promise((r) => setTimeout(r, 200));
          abort.abort();
          return;
        }
      }
    }
    await fetch(`${s.url}/api/v1/campaigns/${id}/list`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
      body: Readable.toWeb(Readable.from(rows())) as ReadableStream,
      duplex: 'half',
      signal: abort.signal,
    }).catch(() => undefined);
    // A change to the campaign waits for the upload's lock: it must come back, and the list be the old one.
    const renamed = await api(s, token, 'PATCH', `/campaigns/${id}`, { name: 'Tras el corte' });
    expect(renamed.status).toBe(200);
    expect(await storedList(s, id)).toEqual(before);
  });

  it('UTF-16, gzip and charset variants: a 4xx with the list unchanged, or read as text', async () => {
    const id = await draftCampaign(s, { channelId: ch.id, templateId });
    const before = await storedList(s, id);
    const utf16 = Buffer.concat([
      Buffer.from([0xff, 0xfe]),
      Buffer.from('phone,name,param1,param2\r\n+5491155556002,Ana,A,B\r\n', 'utf16le'),
    ]);
    const r1 = await uploadList(s, { token }, id, utf16, { contentType: 'application/octet-stream' });
    expect(r1.status, JSON.stringify(r1.body)).toBeGreaterThanOrEqual(400);
    expect(r1.status).toBeLessThan(500);
    const { gzipSync } = await import('node:zlib');
    const gz = gzipSync(Buffer.from('phone,name,param1,param2\n+5491155556003,Ana,A,B\n'));
    const r2 = await uploadList(s, { token }, id, gz, { contentType: 'text/csv' });
    expect(r2.status).toBe(415);
    expect(await storedList(s, id)).toEqual(before);
    const r3 = await uploadList(s, { token }, id, 'phone,name,param1,param2\n+5491155556004,Zoë,A,B\n', {
      contentType: 'text/csv; charset=ISO-8859-1',
    });
    expect(r3.status).toBe(200);
  });
});
