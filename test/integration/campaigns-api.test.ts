import { beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  connectChannel,
  installAndToken,
  SAMPLE_PORTAL,
  type DemoChannel,
} from '../../scripts/stack.js';
import { createCampaign, fillList, phones, type Campaign } from '../helpers/campaigns.js';
import { anotherPortal, useStack } from '../helpers/stack.js';
import { addTemplate, asUser, type TestTemplate } from '../helpers/templates.js';

const BRUNO = 2; // no role
const ELENA = 5; // quality control of channel 1
const FABIO = 6; // boss of channel 1

type Refusal = { error: { code: string; message: string; issues?: { field: string; code: string }[] } };

/**
 * Issue 14, the campaigns API from the attacker's and the careless caller's side: who may (admins
 * and the channel's bosses), bad input (400), what does not exist or is another portal's (404), a
 * wrong state (409 with the reason) — never a 5xx, nothing written.
 */
describe('campaigns API: roles, bad input, states', () => {
  const s = useStack({ portal: SAMPLE_PORTAL, worker: false });
  let token = '';
  let ch: DemoChannel;
  let other: DemoChannel;
  let tpl: TestTemplate;
  let otherTpl: TestTemplate;
  let pending: TestTemplate;
  const base = () => ({ name: 'Promo', channelId: ch.id, templateId: tpl.id });
  const count = async () =>
    Number(
      (
        await s.deps.db
          .selectFrom('campaigns')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1, 1);
    other = await connectChannel(s, token, 2, 2);
    tpl = await addTemplate(s, { channelId: ch.id, name: 'promo' });
    otherTpl = await addTemplate(s, { channelId: other.id, name: 'promo2', lines: [2] });
    pending = await addTemplate(s, { channelId: ch.id, name: 'pendiente', status: 'pending' });
    const { id: portalId } = await s.deps.db.selectFrom('portals').select('id').executeTakeFirstOrThrow();
    await s.deps.db
      .insertInto('channel_roles')
      .values([
        { portal_id: portalId, channel_id: ch.id, user_id: FABIO, boss: true },
        { portal_id: portalId, channel_id: ch.id, user_id: ELENA, quality_control: true },
      ])
      .execute();
  });

  it('a user who is no channel’s boss gets 403 on every route, before the input is read', async () => {
    const mine = await createCampaign(s, token, base());
    for (const user of [BRUNO, ELENA]) {
      expect((await asUser(s, user, 'GET', '/campaigns')).status).toBe(403);
      expect((await asUser(s, user, 'POST', '/campaigns', { nonsense: true })).status).toBe(403);
      expect((await asUser(s, user, 'GET', `/campaigns/${mine.id}`)).status).toBe(403);
      expect((await asUser(s, user, 'POST', `/campaigns/${mine.id}/start`)).status).toBe(403);
      expect((await asUser(s, user, 'GET', `/campaigns/${mine.id}/report`)).status).toBe(403);
      expect((await asUser(s, user, 'GET', `/campaigns/${mine.id}/rows.csv`)).status).toBe(403);
      expect((await asUser(s, user, 'DELETE', `/campaigns/${mine.id}`)).status).toBe(403);
    }
    expect(await count()).toBe(1);
  });

  it('a channel’s boss runs that channel’s campaigns only', async () => {
    const own = await asUser<Campaign>(s, FABIO, 'POST', '/campaigns', { ...base(), name: 'De Fabio' });
    expect(own.status).toBe(201);
    const foreign = await asUser(s, FABIO, 'POST', '/campaigns', {
      ...base(),
      channelId: other.id,
      templateId: otherTpl.id,
    });
    expect(foreign.status).toBe(403);
    const theirs = await createCampaign(s, token, {
      ...base(),
      channelId: other.id,
      templateId: otherTpl.id,
    });
    expect((await asUser(s, FABIO, 'GET', `/campaigns/${theirs.id}`)).status).toBe(403);
    const list = await asUser<{ items: Campaign[]; total: number }>(s, FABIO, 'GET', '/campaigns');
    expect(list.status).toBe(200);
    expect(list.body.items.every((c) => c.channelId === ch.id)).toBe(true);
    expect((await asUser(s, FABIO, 'GET', `/campaigns/${own.body.id}`)).status).toBe(200);
  });

  it('bad input is a 400 naming the field, and nothing is stored', async () => {
    const before = await count();
    const bad: Array<Record<string, unknown>> = [
      {},
      { ...base(), name: '' },
      { ...base(), name: 'x'.repeat(201) },
      { ...base(), name: 'a\u0000b' },
      { ...base(), name: '\u202e\u0007' },
      { ...base(), channelId: 'not-a-uuid' },
      { ...base(), window: { days: [0], from: '09:00', to: '18:00' } },
      { ...base(), window: { days: [1, 1], from: '09:00', to: '18:00' } },
      { ...base(), window: { days: [1], from: '18:00', to: '09:00' } },
      { ...base(), window: { days: [1], from: '9:00', to: '25:00' } },
      { ...base(), timeZone: 'Mars/Olympus' },
      { ...base(), ratePerMinute: 0 },
      { ...base(), ratePerMinute: 1e9 },
      { ...base(), startAt: 'tomorrow' },
      { ...base(), replyUserIds: [-1] },
      { ...base(), extra: 1 },
      { ...base(), templateId: otherTpl.id },
      { ...base(), templateId: pending.id },
    ];
    for (const body of bad) {
      const r = await api<Refusal>(s, token, 'POST', '/campaigns', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe('validation_error');
    }
    const r = await api<Refusal>(s, token, 'POST', '/campaigns', { ...base(), templateId: pending.id });
    expect(r.body.error.issues?.[0]).toMatchObject({ field: 'templateId', code: 'template_not_approved' });
    const unknownChannel = await api(s, token, 'POST', '/campaigns', {
      ...base(),
      channelId: '00000000-0000-4000-8000-000000000000',
    });
    expect(unknownChannel.status).toBe(404);
    expect(await count()).toBe(before);
  });

  it('what is not there, or another portal’s, is a 404; odd ids never a 5xx', async () => {
    const mine = await createCampaign(s, token, base());
    const stranger = await anotherPortal(s, 'camp');
    for (const path of [`/campaigns/${mine.id}`, `/campaigns/${mine.id}/report`]) {
      expect((await api(s, stranger.token, 'GET', path)).status).toBe(404);
    }
    expect((await api(s, stranger.token, 'POST', `/campaigns/${mine.id}/start`)).status).toBe(404);
    for (const id of ['999999', 'abc', '0', '-1', '1e3', '99999999999999999999', '%F0%9F%98%80']) {
      const r = await api(s, token, 'GET', `/campaigns/${id}`);
      expect([400, 404], id).toContain(r.status);
    }
    expect((await api(s, token, 'GET', '/campaigns?status=bogus')).status).toBe(400);
    expect((await api(s, token, 'GET', '/campaigns?page=0')).status).toBe(400);
  });

  it('states: 409 with the reason for every change the state does not allow', async () => {
    const c = await createCampaign(s, token, base());
    const start = await api<Refusal>(s, token, 'POST', `/campaigns/${c.id}/start`);
    expect(start.status).toBe(409);
    expect(start.body.error.issues?.[0]?.code).toBe('list_not_ready');
    for (const action of ['pause', 'resume']) {
      const r = await api<Refusal>(s, token, 'POST', `/campaigns/${c.id}/${action}`);
      expect(r.status).toBe(409);
      expect(r.body.error.issues?.[0]?.code).toBe('illegal_transition');
    }
    await fillList(s.deps.db, c.id, []);
    const empty = await api<Refusal>(s, token, 'POST', `/campaigns/${c.id}/start`);
    expect(empty.body.error.issues?.[0]?.code).toBe('list_empty');
    await fillList(s.deps.db, c.id, phones(2, 900));
    await s.deps.db.updateTable('templates').set({ status: 'paused' }).where('id', '=', tpl.id).execute();
    const paused = await api<Refusal>(s, token, 'POST', `/campaigns/${c.id}/start`);
    expect(paused.body.error.issues?.[0]?.code).toBe('template_paused');
    await s.deps.db.updateTable('templates').set({ status: 'approved' }).where('id', '=', tpl.id).execute();
    await s.deps.db.updateTable('channels').set({ status: 'inactive' }).where('id', '=', ch.id).execute();
    const off = await api<Refusal>(s, token, 'POST', `/campaigns/${c.id}/start`);
    expect(off.body.error.issues?.[0]?.code).toBe('channel_off');
    await s.deps.db.updateTable('channels').set({ status: 'active' }).where('id', '=', ch.id).execute();
    const ok = await api<Campaign>(s, token, 'POST', `/campaigns/${c.id}/start`);
    expect(ok.body.status).toBe('running');
    const patch = await api<Refusal>(s, token, 'PATCH', `/campaigns/${c.id}`, { name: 'Otro' });
    expect(patch.status).toBe(409);
    expect(patch.body.error.issues?.[0]?.code).toBe('not_draft');
    expect((await api(s, token, 'DELETE', `/campaigns/${c.id}`)).status).toBe(409);
    expect((await api(s, token, 'POST', `/campaigns/${c.id}/cancel`)).status).toBe(200);
    expect((await api(s, token, 'POST', `/campaigns/${c.id}/cancel`)).status).toBe(409);
    expect((await api(s, token, 'DELETE', `/campaigns/${c.id}`)).status).toBe(204);
  });

  it('a draft can be changed, and the change is checked like a creation', async () => {
    const c = await createCampaign(s, token, base());
    const r = await api<Campaign>(s, token, 'PATCH', `/campaigns/${c.id}`, {
      name: 'Nueva',
      window: { days: [6, 7], from: '10:00', to: '14:30' },
      timeZone: 'America/Sao_Paulo',
      ratePerMinute: 30,
      replyUserIds: [3, 3, 6],
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      name: 'Nueva',
      window: { days: [6, 7], from: '10:00', to: '14:30' },
      timeZone: 'America/Sao_Paulo',
      ratePerMinute: 30,
      replyUserIds: [3, 6],
    });
    expect((await api(s, token, 'PATCH', `/campaigns/${c.id}`, { templateId: otherTpl.id })).status).toBe(
      400,
    );
    expect((await api(s, token, 'PATCH', `/campaigns/${c.id}`, { ratePerMinute: -5 })).status).toBe(400);
  });
});
