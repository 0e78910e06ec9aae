import { beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  connectChannel,
  installAndToken,
  SAMPLE_PORTAL,
  waitFor,
  type DemoChannel,
} from '../../scripts/stack.js';
import {
  campaign,
  createCampaign,
  digits,
  fillList,
  phones,
  sendsPer,
  waitStatus,
  type Campaign,
} from '../helpers/campaigns.js';
import { useStack } from '../helpers/stack.js';
import { addTemplate, type TestTemplate } from '../helpers/templates.js';

/**
 * Issue 14, sending a campaign through the real app, worker and sandbox Gupshup: every ready row is
 * handed to the templates send service once and reaches Gupshup once, the campaign finishes; pause,
 * resume and cancel; the working-hours window; the report and the per-row export.
 */
const ALWAYS = { days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' };

describe('campaign sending', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token = '';
  let ch: DemoChannel;
  let tpl: TestTemplate;
  const base = () => ({
    name: 'Promo diciembre',
    channelId: ch.id,
    templateId: tpl.id,
    window: ALWAYS,
    timeZone: 'America/Argentina/Buenos_Aires',
    ratePerMinute: 6000,
  });
  const act = (id: number, action: string) => api<Campaign>(s, token, 'POST', `/campaigns/${id}/${action}`);

  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1, 1);
    tpl = await addTemplate(s, { channelId: ch.id, name: 'promo', displayName: 'Promo' });
  });

  it('create → start → finished: every row reaches Gupshup exactly once, with its parameters', async () => {
    const c = await createCampaign(s, token, base());
    expect(c).toMatchObject({
      status: 'draft',
      statusReason: null,
      window: ALWAYS,
      ratePerMinute: 6000,
      list: { source: null, status: 'empty', rows: 0 },
      counts: { total: 0 },
    });
    const numbers = phones(12);
    await fillList(s.deps.db, c.id, numbers);
    const started = await act(c.id, 'start');
    expect(started.status).toBe(200);
    expect(['running', 'finished']).toContain(started.body.status);
    const done = await waitStatus(s, token, c.id, 'finished');
    expect(done.counts).toMatchObject({ total: 12, ready: 0, queued: 12, failed: 0 });
    await waitFor(() => s.gupshup.sent({ appName: ch.appName }).length >= 12, 20_000, 'the 12 sends');
    const per = sendsPer(s, ch.appName);
    expect([...per.keys()].sort()).toEqual(numbers.map(digits).sort());
    expect([...per.values()].every((n) => n === 1)).toBe(true);
    const first = s.gupshup.sent({ destination: digits(numbers[0]!) })[0];
    expect(first?.rendered?.body).toBe('Hola Cliente 0, su pedido P-0 está listo.');
    // Each row's message carries its key and the campaign as its origin.
    const msgs = await s.deps.db
      .selectFrom('campaign_rows as r')
      .innerJoin('messages as m', 'm.id', 'r.message_id')
      .select(['r.id', 'm.client_key', 'm.content'])
      .where('r.campaign_id', '=', c.id)
      .execute();
    expect(msgs).toHaveLength(12);
    for (const m of msgs) {
      expect(m.client_key).toBe(`camp:${c.id}:${m.id}`);
      expect((m.content as { origin: unknown }).origin).toEqual({
        kind: 'campaign',
        campaignId: c.id,
        campaignName: 'Promo diciembre',
      });
    }
    // The funnel follows Gupshup's events.
    await waitFor(
      async () => (await campaign(s, token, c.id)).counts.delivered === 12,
      20_000,
      'every message delivered',
    );
    const report = await api<{
      funnel: Record<string, number>;
      progress: number;
      rate: Record<string, number>;
    }>(s, token, 'GET', `/campaigns/${c.id}/report`);
    expect(report.status).toBe(200);
    expect(report.body.funnel).toMatchObject({ queued: 12, sent: 12, delivered: 12, failed: 0 });
    expect(report.body.progress).toBe(1);
    expect(report.body.rate).toMatchObject({ cap: 6000, allowedPerMinute: 1200 });
    const csv = await fetch(`${s.url}/api/v1/campaigns/${c.id}/rows.csv`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = (await csv.text()).trim().split('\r\n');
    expect(lines).toHaveLength(13);
    // A number starts with '+', a formula to a spreadsheet: written as text (shared/csv.ts).
    expect(lines[1]).toContain(`1,'${numbers[0]},`);
    expect(lines[1]).toContain(',queued,');
    // Finished: no second start, and it may be deleted.
    expect((await act(c.id, 'start')).status).toBe(409);
    expect((await api(s, token, 'DELETE', `/campaigns/${c.id}`)).status).toBe(204);
  });

  it('a run that died after storing a row’s message and before marking the row does not send it again', async () => {
    const c = await createCampaign(s, token, { ...base(), name: 'Tras un corte' });
    const numbers = phones(3, 400);
    await fillList(s.deps.db, c.id, numbers);
    const rows = await s.deps.db
      .selectFrom('campaign_rows')
      .select(['id', 'phone_e164'])
      .where('campaign_id', '=', c.id)
      .orderBy('id')
      .execute();
    // What the earlier run got done for the first row: the message stored under the row's key.
    const { id: portalId } = await s.deps.db.selectFrom('portals').select('id').executeTakeFirstOrThrow();
    const earlier = await s.deps.templateSend.send.send({
      portalId,
      channelId: ch.id,
      to: rows[0]!.phone_e164!,
      templateId: tpl.id,
      params: ['Cliente 0', 'P-0'],
      clientKey: `camp:${c.id}:${rows[0]!.id}`,
      origin: { kind: 'campaign', campaignId: c.id, campaignName: 'Tras un corte' },
    });
    expect((await act(c.id, 'start')).status).toBe(200);
    await waitStatus(s, token, c.id, 'finished');
    await waitFor(
      () => numbers.every((p) => s.gupshup.sent({ destination: digits(p) }).length > 0),
      20_000,
      'the three sends',
    );
    const first = await s.deps.db
      .selectFrom('campaign_rows')
      .select(['status', 'message_id'])
      .where('id', '=', rows[0]!.id)
      .executeTakeFirstOrThrow();
    expect(first).toEqual({ status: 'queued', message_id: earlier.messageId });
    for (const p of numbers) expect(s.gupshup.sent({ destination: digits(p) })).toHaveLength(1);
  });

  it('a number that opted out after the upload, and a row the template refuses, fail with their codes', async () => {
    const c = await createCampaign(s, token, { ...base(), name: 'Bajas' });
    const numbers = phones(3, 450);
    await fillList(s.deps.db, c.id, numbers, (i) => (i === 2 ? ['solo uno'] : [`Cliente ${i}`, `P-${i}`]));
    const { id: portalId } = await s.deps.db.selectFrom('portals').select('id').executeTakeFirstOrThrow();
    await s.deps.db
      .insertInto('opt_outs')
      .values({ portal_id: portalId, phone_e164: numbers[1]!, source: 'keyword' })
      .execute();
    expect((await act(c.id, 'start')).status).toBe(200);
    const done = await waitStatus(s, token, c.id, 'finished');
    expect(done.counts).toMatchObject({ total: 3, queued: 1, failed: 2 });
    const rows = await s.deps.db
      .selectFrom('campaign_rows')
      .select(['status', 'error_code'])
      .where('campaign_id', '=', c.id)
      .orderBy('id')
      .execute();
    expect(rows).toEqual([
      { status: 'queued', error_code: null },
      { status: 'failed', error_code: 'opted_out' },
      { status: 'failed', error_code: 'param_count' },
    ]);
    expect(s.gupshup.sent({ destination: digits(numbers[1]!) })).toHaveLength(0);
    const report = await api<{ failures: { code: string; count: number; message: string }[] }>(
      s,
      token,
      'GET',
      `/campaigns/${c.id}/report?lang=pt`,
    );
    expect(report.body.failures).toEqual(
      expect.arrayContaining([
        { code: 'opted_out', count: 1, message: 'O cliente pediu para não receber campanhas.' },
        { code: 'param_count', count: 1, message: 'O modelo precisa de 2 parâmetros.' },
      ]),
    );
  });

  it('pause stops the handing within a second, resume goes on, cancel ends it with the rest cancelled', async () => {
    const c = await createCampaign(s, token, { ...base(), name: 'Lenta', ratePerMinute: 120 });
    const numbers = phones(40, 100);
    await fillList(s.deps.db, c.id, numbers);
    expect((await act(c.id, 'start')).status).toBe(200);
    await waitFor(async () => (await campaign(s, token, c.id)).counts.queued >= 2, 20_000, 'two rows out');
    const paused = await act(c.id, 'pause');
    expect(paused.body.status).toBe('paused');
    // At most the look in hand when the pause came goes after it: one second's worth (2 rows).
    const atPause = paused.body.counts.queued;
    await new Promise((r) => setTimeout(r, 1_500));
    const still = await campaign(s, token, c.id);
    expect(still.counts.queued).toBeLessThanOrEqual(atPause + 2);
    expect((await act(c.id, 'pause')).status).toBe(409);
    const resumed = await act(c.id, 'resume');
    expect(resumed.body.status).toBe('running');
    await waitFor(
      async () => (await campaign(s, token, c.id)).counts.queued >= still.counts.queued + 2,
      20_000,
      'two more rows out after the resume',
    );
    const cancelled = await act(c.id, 'cancel');
    expect(cancelled.body.status).toBe('cancelled');
    const n = cancelled.body.counts;
    expect(n.queued + n.cancelled).toBe(40);
    expect(n.cancelled).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await campaign(s, token, c.id)).counts.queued).toBe(n.queued);
    expect((await act(c.id, 'resume')).status).toBe(409);
    const per = sendsPer(s, ch.appName);
    for (const p of numbers) expect(per.get(digits(p)) ?? 0).toBeLessThanOrEqual(1);
  });

  it('outside its window a running campaign waits and says why', async () => {
    // Only the hour that is not now, on every day.
    const hour = new Date().getUTCHours();
    const from = `${String((hour + 2) % 24).padStart(2, '0')}:00`;
    const to = `${String(((hour + 2) % 24) + 1).padStart(2, '0')}:00`;
    const c = await createCampaign(s, token, {
      ...base(),
      name: 'Fuera de hora',
      timeZone: 'UTC',
      window: { days: ALWAYS.days, from, to },
    });
    await fillList(s.deps.db, c.id, phones(3, 200));
    expect((await act(c.id, 'start')).body.status).toBe('running');
    const waiting = await waitFor(
      async () => {
        const x = await campaign(s, token, c.id);
        return x.statusReason === 'outside_window' ? x : undefined;
      },
      10_000,
      'outside_window',
    );
    expect(waiting.counts.queued).toBe(0);
    expect((await act(c.id, 'cancel')).body.status).toBe('cancelled');
  });

  it('a scheduled campaign starts by itself at its start time', async () => {
    const startAt = new Date(Date.now() + 2_000).toISOString();
    const c = await createCampaign(s, token, { ...base(), name: 'En dos segundos', startAt });
    const numbers = phones(2, 350);
    await fillList(s.deps.db, c.id, numbers);
    expect((await act(c.id, 'start')).body.status).toBe('scheduled');
    const done = await waitStatus(s, token, c.id, 'finished', 30_000);
    expect(Date.parse(done.startedAt as string)).toBeGreaterThanOrEqual(Date.parse(startAt) - 50);
    expect(done.counts.queued).toBe(2);
  });

  it('a start time later than now schedules it', async () => {
    const startAt = new Date(Date.now() + 3_600_000).toISOString();
    const c = await createCampaign(s, token, { ...base(), name: 'Mañana', startAt });
    await fillList(s.deps.db, c.id, phones(2, 300));
    const r = await act(c.id, 'start');
    expect(r.body).toMatchObject({ status: 'scheduled', startAt });
    expect((await act(c.id, 'pause')).body.status).toBe('paused');
    expect((await act(c.id, 'cancel')).body.counts).toMatchObject({ cancelled: 2, queued: 0 });
  });
});
