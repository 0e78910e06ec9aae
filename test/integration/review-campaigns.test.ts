import { beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  connectChannel,
  installAndToken,
  SAMPLE_PORTAL,
  type DemoChannel,
} from '../../scripts/stack.js';
import { createCampaign, fillList, type Campaign } from '../helpers/campaigns.js';
import { storedList, uploadList } from '../helpers/campaign-lists.js';
import { parseCsv } from '../helpers/csv.js';
import { anotherPortal, useStack } from '../helpers/stack.js';
import { addTemplate, asUser, type TestTemplate } from '../helpers/templates.js';

const BRUNO = 2; // no role
const ELENA = 5; // quality control of channel 1
const FABIO = 6; // boss of channel 1

/** Leading characters a spreadsheet reads as a formula (OWASP CSV injection). */
const FORMULA = /^[=+\-@\t\r]/;

/**
 * Attacker's side of the campaigns API (review of issue 14): another portal on the list, preview,
 * rejected rows, rows export and opt-outs; a quality controller, an agent and another channel's boss
 * on the state changes; formulas in the exports for names and parameters.
 */
describe('review: campaigns across portals, roles and spreadsheets', () => {
  const s = useStack({ portal: SAMPLE_PORTAL, worker: false });
  let token = '';
  let ch: DemoChannel;
  let other: DemoChannel;
  let tpl: TestTemplate;
  let otherTpl: TestTemplate;
  let stranger: { portalId: number; token: string };

  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1, 1);
    other = await connectChannel(s, token, 2, 2);
    tpl = await addTemplate(s, { channelId: ch.id, name: 'promo' });
    otherTpl = await addTemplate(s, { channelId: other.id, name: 'promo2', lines: [2] });
    const { id: portalId } = await s.deps.db.selectFrom('portals').select('id').executeTakeFirstOrThrow();
    await s.deps.db
      .insertInto('channel_roles')
      .values([
        { portal_id: portalId, channel_id: ch.id, user_id: FABIO, boss: true },
        { portal_id: portalId, channel_id: ch.id, user_id: ELENA, quality_control: true },
      ])
      .execute();
    stranger = await anotherPortal(s, 'revc');
  });

  const base = () => ({ name: 'Promo', channelId: ch.id, templateId: tpl.id });
  const csvOf = async (path: string, bearer: string) => {
    const r = await fetch(`${s.url}/api/v1${path}`, { headers: { authorization: `Bearer ${bearer}` } });
    return { status: r.status, text: await r.text() };
  };

  it('another portal cannot upload, fill from the CRM, preview or download this portal’s list', async () => {
    const c = await createCampaign(s, token, base());
    const mine = await uploadList(s, { token }, c.id, 'phone,name,param1,param2\n+5491155551001,Ana,A,B\n');
    expect(mine.status).toBe(200);
    const before = await storedList(s, c.id);
    const upload = await uploadList(
      s,
      { token: stranger.token },
      c.id,
      'phone,name,param1,param2\n+5491155559999,Intruso,X,Y\n',
    );
    expect(upload.status).toBe(404);
    const crm = await api(s, stranger.token, 'POST', `/campaigns/${c.id}/list/crm`, { entity: 'contact' });
    expect(crm.status).toBe(404);
    expect((await api(s, stranger.token, 'GET', `/campaigns/${c.id}/preview`)).status).toBe(404);
    expect((await csvOf(`/campaigns/${c.id}/rejected.csv`, stranger.token)).status).toBe(404);
    expect((await csvOf(`/campaigns/${c.id}/rows.csv`, stranger.token)).status).toBe(404);
    for (const action of ['start', 'pause', 'resume', 'cancel']) {
      expect((await api(s, stranger.token, 'POST', `/campaigns/${c.id}/${action}`)).status, action).toBe(404);
    }
    expect((await api(s, stranger.token, 'PATCH', `/campaigns/${c.id}`, { name: 'x' })).status).toBe(404);
    expect((await api(s, stranger.token, 'DELETE', `/campaigns/${c.id}`)).status).toBe(404);
    const list = await api<{ items: Campaign[]; total: number }>(s, stranger.token, 'GET', '/campaigns');
    expect(list.body).toEqual({ items: [], total: 0 });
    expect(await storedList(s, c.id)).toEqual(before);
  });

  it('another portal cannot build a campaign on this portal’s channel or template', async () => {
    const onMine = await api(s, stranger.token, 'POST', '/campaigns', base());
    expect(onMine.status).toBe(404);
    const n = await s.deps.db
      .selectFrom('campaigns')
      .select('id')
      .where('portal_id', '=', stranger.portalId)
      .execute();
    expect(n).toEqual([]);
  });

  it('opt-outs stay in their portal: not listed, not removable, no channel of another portal', async () => {
    expect((await api(s, token, 'POST', '/opt-outs', { phone: '+5491155552001' })).status).toBe(201);
    const theirs = await api<{ items: unknown[]; total: number }>(s, stranger.token, 'GET', '/opt-outs');
    expect(theirs.body).toEqual({ items: [], total: 0 });
    expect((await api(s, stranger.token, 'DELETE', '/opt-outs/5491155552001')).status).toBe(404);
    const withMyChannel = await api(s, stranger.token, 'POST', '/opt-outs', {
      phone: '+5491155552002',
      channelId: ch.id,
    });
    expect(withMyChannel.status).toBe(404);
    const mine = await api<{ items: Array<{ phone: string }> }>(s, token, 'GET', '/opt-outs?search=2001');
    expect(mine.body.items.map((i) => i.phone)).toEqual(['+5491155552001']);
  });

  it('a quality controller, an agent and another channel’s boss change no campaign’s state', async () => {
    const c = await createCampaign(s, token, { ...base(), channelId: other.id, templateId: otherTpl.id });
    await fillList(s.deps.db, c.id, ['+5491155553001']);
    await s.deps.db.updateTable('campaigns').set({ status: 'paused' }).where('id', '=', c.id).execute();
    const mineOnCh = await createCampaign(s, token, base());
    for (const user of [BRUNO, ELENA, FABIO]) {
      for (const action of ['start', 'pause', 'resume', 'cancel']) {
        const r = await asUser(s, user, 'POST', `/campaigns/${c.id}/${action}`);
        expect(r.status, `${user} ${action}`).toBe(403);
      }
      expect((await asUser(s, user, 'DELETE', `/campaigns/${c.id}`)).status).toBe(403);
      expect((await asUser(s, user, 'GET', `/campaigns/${c.id}/preview`)).status).toBe(403);
      expect((await asUser(s, user, 'GET', `/campaigns/${c.id}/rejected.csv`)).status).toBe(403);
    }
    // Fabio may run channel 1's campaign, but not move it to channel 2.
    const moved = await asUser(s, FABIO, 'PATCH', `/campaigns/${mineOnCh.id}`, {
      channelId: other.id,
      templateId: otherTpl.id,
    });
    expect(moved.status).toBe(403);
    expect((await asUser(s, ELENA, 'POST', `/campaigns/${mineOnCh.id}/cancel`)).status).toBe(403);
    const after = await s.deps.db
      .selectFrom('campaigns')
      .select(['id', 'status', 'channel_id'])
      .where('id', 'in', [c.id, mineOnCh.id])
      .orderBy('id')
      .execute();
    expect(after).toEqual([
      { id: c.id, status: 'paused', channel_id: other.id },
      { id: mineOnCh.id, status: 'draft', channel_id: ch.id },
    ]);
  });

  it('rows.csv: only the campaign’s rows, every name formula-safe', async () => {
    const c = await createCampaign(s, token, base());
    const theirs = await createCampaign(s, token, base());
    const names = ["=cmd|' /C calc'!A0", '+SUM(1)', '-2+3', '@SUM(1)', '\t=1', '\r=1', 'Ana'];
    await fillList(
      s.deps.db,
      c.id,
      names.map((_, i) => `+54911555540${String(i).padStart(2, '0')}`),
    );
    await fillList(s.deps.db, theirs.id, ['+5491155554999']);
    for (const [i, name] of names.entries()) {
      await s.deps.db
        .updateTable('campaign_rows')
        .set({ name, raw_phone: i === 0 ? '=HYPERLINK("http://x")' : `+54911555540${i}` })
        .where('campaign_id', '=', c.id)
        .where('line_no', '=', i + 1)
        .execute();
    }
    const r = await csvOf(`/campaigns/${c.id}/rows.csv`, token);
    expect(r.status).toBe(200);
    const rows = parseCsv(r.text.replace(/^\uFEFF/, ''));
    expect(rows).toHaveLength(names.length + 1);
    expect(rows.some((x) => x.includes('+5491155554999') || x.includes("'+5491155554999"))).toBe(false);
    for (const row of rows.slice(1)) for (const cell of row) expect(cell, cell).not.toMatch(FORMULA);
    expect(rows[1]?.[3]).toBe(`'${names[0]}`);
    expect(rows[1]?.[2]).toBe(`'=HYPERLINK("http://x")`);
  });

  it('rejected.csv: names and parameters that look like formulas are written as text', async () => {
    const c = await createCampaign(s, token, base());
    const csv = [
      'phone,name,param1,param2',
      '12,=1+1,@x,y', // phone_invalid
      '+5491155555001,-Luis,+p,=q', // then a duplicate
      '+5491155555001,"\t=tab",=p1,-p2',
      '',
    ].join('\n');
    expect((await uploadList(s, { token }, c.id, csv)).status).toBe(200);
    const r = await csvOf(`/campaigns/${c.id}/rejected.csv`, token);
    expect(r.status).toBe(200);
    const rows = parseCsv(r.text.replace(/^\uFEFF/, ''));
    expect(rows.slice(1)).toHaveLength(2);
    for (const row of rows.slice(1)) for (const cell of row) expect(cell, cell).not.toMatch(FORMULA);
  });
});
