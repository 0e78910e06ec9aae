import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { connectChannel, installAndToken, SAMPLE_PORTAL, waitFor } from '../../scripts/stack.js';
import { draftCampaign, storedList, uploadList } from '../helpers/campaign-lists.js';
import { useStack } from '../helpers/stack.js';
import { addTemplate } from '../helpers/templates.js';

/**
 * Uploads that are refused as a whole get a clear 4xx in the portal's language (415 not a CSV, 400
 * wrong columns, 413 over the limits) and leave the previous list as it was (one transaction); a
 * 100,000-row list goes through although the app's JSON body limit is 1 MB (the body is streamed).
 */
describe('campaign list uploads: limits and refusals', () => {
  const s = useStack({ portal: SAMPLE_PORTAL, env: { CAMPAIGN_LIST_MAX_BYTES: '4000000' } });
  let token: string;
  let campaign: number;
  let channelId: string;

  beforeAll(async () => {
    token = await installAndToken(s);
    channelId = (await connectChannel(s, token, 1)).id;
    const t = await addTemplate(s, { channelId, name: 'aviso' });
    campaign = await draftCampaign(s, { channelId, templateId: t.id });
    const first = await uploadList(
      s,
      { token },
      campaign,
      'telefono,p1,p2\n+5491155550001,Ana,A-1\n5491155550002,x\n',
    );
    expect(first.status).toBe(200);
  });

  /**
   * Uploads holding their campaign and waiting for the rest of their file: transactions idle after
   * clearing the old rows, read in pg_stat_activity. Not by taking the campaign's row lock: a probe that
   * held it for an instant could be holding it just when an upload asks (NOWAIT), and refuse it.
   */
  async function uploadsWaiting(): Promise<number> {
    const r = await sql<{ n: number }>`
      SELECT count(*)::int AS n FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid()
         AND state = 'idle in transaction' AND query ILIKE 'delete from "campaign_rows"%'`.execute(s.deps.db);
    return r.rows[0]?.n ?? 0;
  }

  async function* rows(n: number, pad = '') {
    yield Buffer.from('telefono,nombre,param1,param2\n');
    for (let i = 0; i < n; i += 1) yield Buffer.from(`+54911${50_000_000 + i},N${i}${pad},v${i},w\n`);
  }

  it('not a CSV (a zip/xlsx, a PNG, binary, JSON): 415, the list stays', async () => {
    const before = await storedList(s, campaign);
    const xlsx = Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(2000, 7)]);
    const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    for (const body of [xlsx, png, Buffer.from([0, 1, 2, 3, 0, 0, 0, 9, 10])]) {
      const r = await uploadList(s, { token }, campaign, body, { contentType: 'application/octet-stream' });
      expect(r.status).toBe(415);
      expect(r.body.error?.message).toMatch(/^El archivo no es un CSV/);
    }
    const json = await uploadList(s, { token }, campaign, '{"phone":"+5491155550001"}', {
      contentType: 'application/json',
    });
    expect(json.status).toBe(415);
    expect(await storedList(s, campaign)).toEqual(before);
  });

  it('wrong columns, empty, malformed, a bad shape: 400 with words, the list stays', async () => {
    const before = await storedList(s, campaign);
    const cases: Array<[string, RegExp, string?]> = [
      [
        'nombre,ciudad\nAna,Rosario\n',
        /^No hay una columna de teléfono.*Columnas encontradas: nombre, ciudad/,
      ],
      ['\n\n', /^La lista no tiene ninguna fila/],
      ['telefono,nombre\n', /^La lista no tiene ninguna fila/],
      ['telefono,nombre\n+5491155550001,"Ana\n', /^El CSV está mal formado/],
      ['telefono\n+5491155550001\n', /shape/, '?shape=triangle'],
    ];
    for (const [body, message, query] of cases) {
      const r = await uploadList(s, { token }, campaign, body, { query: query ?? '' });
      expect(r.status, body).toBe(400);
      expect(r.body.error?.message, body).toMatch(message);
    }
    expect(await storedList(s, campaign)).toEqual(before);
  });

  it('over 100,000 rows or over the byte limit: 413, the list stays', async () => {
    const before = await storedList(s, campaign);
    const many = await uploadList(s, { token }, campaign, rows(100_001));
    expect(many.status).toBe(413);
    expect(many.body.error?.message).toBe('La lista tiene más de 100000 filas. Divídala en varias campañas.');
    const big = await uploadList(s, { token }, campaign, rows(40_000, 'x'.repeat(100)));
    expect(big.status).toBe(413);
    expect(big.body.error?.message).toBe('El archivo pesa más de 3.8 MB.');
    expect(await storedList(s, campaign)).toEqual(before);
  });

  it('a campaign without a template refuses the columns shape (it names no template) with words', async () => {
    const bare = await draftCampaign(s, { channelId, templateId: null });
    const r = await uploadList(s, { token }, bare, 'telefono,p1\n+5491155550001,a\n');
    expect(r.status).toBe(400);
    expect(r.body.error?.message).toMatch(/^Elija primero la plantilla/);
    const dialer = await uploadList(s, { token }, bare, '+5491155550001,hsm:aviso:a:b\n');
    expect(dialer.status).toBe(200);
  });

  it('a second upload while the first is still arriving is refused (409) instead of waiting; the first completes', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    async function* slow() {
      yield Buffer.from('telefono,nombre,param1,param2\n' + '+5491155550001,Ana,a,b\n');
      await held;
      yield Buffer.from('+5491155550002,Luis,c,d\n');
    }
    const first = uploadList(s, { token }, campaign, slow());
    // The first upload holds the campaign once its transaction has cleared the old rows and waits for
    // the file's rest (a probe that took the row lock itself could refuse the upload it waits for).
    await waitFor(async () => (await uploadsWaiting()) === 1);
    const second = await uploadList(s, { token }, campaign, 'telefono,p1,p2\n+5491155550003,x,y\n');
    expect(second.status).toBe(409);
    expect(second.body.error?.message).toMatch(/^Otra lista se está subiendo/);
    release();
    const done = await first;
    expect(done.status).toBe(200);
    expect(done.body.list).toMatchObject({ rows: 2, rejected: 0 });
  });

  it('100,000 rows streamed in: all stored in one go, the preview reads the first ones', async () => {
    const r = await uploadList(s, { token }, campaign, rows(100_000));
    expect(r.status, JSON.stringify(r.body.error)).toBe(200);
    expect(r.body.list).toMatchObject({ rows: 100_000, rejected: 0, status: 'ready' });
    expect(r.body.rows?.[0]).toMatchObject({
      line: 2,
      phone: '+5491150000000',
      text: 'Hola v0, su pedido w está listo.',
    });
    const n = await s.deps.db
      .selectFrom('campaign_rows')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('campaign_id', '=', campaign)
      .where('status', '=', 'ready')
      .executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(100_000);
  });

  it('at most two lists are read at once per process: a third is told to try again (429), the two complete', async () => {
    const t = await addTemplate(s, { channelId, name: 'aviso_gate' });
    const ids = [
      await draftCampaign(s, { channelId, templateId: t.id }),
      await draftCampaign(s, { channelId, templateId: t.id }),
      await draftCampaign(s, { channelId, templateId: t.id }),
    ];
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    async function* slow(n: number) {
      yield Buffer.from(`telefono,nombre,param1,param2\n+549115555100${n},Ana,a,b\n`);
      await held;
    }
    const first = uploadList(s, { token }, ids[0]!, slow(1));
    const second = uploadList(s, { token }, ids[1]!, slow(2));
    await waitFor(async () => (await uploadsWaiting()) === 2);
    const third = await uploadList(s, { token }, ids[2]!, 'telefono,p1,p2\n+5491155551003,x,y\n');
    expect(third.status).toBe(429);
    expect(third.body.error?.message).toMatch(/^Se están leyendo otras listas/);
    expect(await storedList(s, ids[2]!)).toMatchObject({ rows: [] });
    release();
    expect((await first).status).toBe(200);
    expect((await second).status).toBe(200);
    const again = await uploadList(s, { token }, ids[2]!, 'telefono,p1,p2\n+5491155551003,x,y\n');
    expect(again.status).toBe(200);
  }, 60_000);
});
