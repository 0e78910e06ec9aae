import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  connectChannel,
  createToken,
  installAndToken,
  waitFor,
  type DemoChannel,
} from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';

/** C2: install from the iframe and from ONAPPINSTALL, forged events, token refresh, uninstall. */
describe('portal lifecycle', () => {
  const s = useStack();

  it('installs end to end from the install page: connector registered, events bound, tokens encrypted', async () => {
    const token = await installAndToken(s, 'ui');
    expect(token).toMatch(/^wab24_/);
    expect(s.portal.isInstalled()).toBe(true);

    const [connector] = s.portal.connectors();
    expect(connector).toMatchObject({
      ID: 'whatsappb24_gupshup',
      PLACEMENT_HANDLER: `${s.url}/b24/connector`,
    });
    expect((connector?.ICON as { DATA_IMAGE?: string }).DATA_IMAGE).toMatch(/^data:image\/svg\+xml/);
    const bound = s.portal
      .bindings()
      .map((b) => `${b.event}→${b.handler}`)
      .sort();
    expect(bound).toEqual(
      [
        'ONAPPUNINSTALL',
        'ONCRMDEALADD',
        'ONCRMDEALUPDATE',
        'ONCRMLEADADD',
        'ONIMCONNECTORLINEDELETE',
        'ONIMCONNECTORMESSAGEADD',
        'ONIMCONNECTORMESSAGEDELETE',
        'ONIMCONNECTORMESSAGEUPDATE',
        'ONIMCONNECTORSTATUSDELETE',
      ].map((e) => `${e}→${s.url}/b24/events`),
    );

    const row = await s.deps.db
      .selectFrom('portals')
      .selectAll()
      .where('member_id', '=', s.portal.memberId)
      .executeTakeFirstOrThrow();
    expect(row.status).toBe('installed');
    expect(row.access_token_enc).toMatch(/^v1\./);
    expect(row.refresh_token_enc).toMatch(/^v1\./);
    // The application token is kept only as a keyed digest, never as itself.
    expect(row.application_token_mac).not.toContain(s.portal.applicationToken);
    expect(JSON.stringify(row)).not.toContain(s.portal.applicationToken);
  });

  it('refuses events whose application token is wrong or missing, and processes nothing', async () => {
    const token = await createToken(s);
    await connectChannel(s, token, 1);
    const before = await s.deps.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    const data = {
      CONNECTOR: 'whatsappb24_gupshup',
      LINE: '1',
      MESSAGES: [
        {
          im: { chat_id: '9', message_id: '777' },
          message: { user_id: '1', text: 'forged' },
          chat: { id: '5491100009999' },
        },
      ],
    };

    const forged = await s.portal.postEvent({
      event: 'ONIMCONNECTORMESSAGEADD',
      data,
      auth: { application_token: 'not-the-token' },
    });
    expect(forged.map((r) => r.status)).toEqual([403]);
    const missing = await s.portal.postEvent({
      event: 'ONIMCONNECTORMESSAGEADD',
      data,
      auth: { application_token: undefined },
    });
    expect(missing.map((r) => r.status)).toEqual([403]);
    const otherPortal = await s.portal.postEvent({
      event: 'ONIMCONNECTORMESSAGEADD',
      data,
      auth: { member_id: 'deadbeef' },
    });
    expect(otherPortal.map((r) => r.status)).toEqual([401]);
    const forgedUninstall = await s.portal.postEvent({
      event: 'ONAPPUNINSTALL',
      data: { CLEAN: '1' },
      auth: { application_token: 'guess' },
    });
    expect(forgedUninstall.map((r) => r.status)).toEqual([403]);

    const after = await s.deps.db
      .selectFrom('messages')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
    expect(s.gupshup.sent({ destination: '5491100009999' })).toHaveLength(0);
    const p = await s.deps.db
      .selectFrom('portals')
      .select('status')
      .where('member_id', '=', s.portal.memberId)
      .executeTakeFirstOrThrow();
    expect(p.status).toBe('installed');
  });

  it('refreshes an expired access token once, saving the rotated refresh token', async () => {
    const before = await s.deps.db
      .selectFrom('portals')
      .select(['access_token_enc', 'refresh_token_enc'])
      .where('member_id', '=', s.portal.memberId)
      .executeTakeFirstOrThrow();
    const oldRefresh = s.deps.box.decrypt(before.refresh_token_enc ?? '');
    const refreshesBefore = s.portal.tokenRefreshes();
    s.portal.expireAccessTokens();

    // Five customers write at once: every delivery meets expired_token, one refresh serves them all.
    const phones = ['5491100000101', '5491100000102', '5491100000103', '5491100000104', '5491100000105'];
    const ch = await s.deps.db
      .selectFrom('channels')
      .select('gupshup_app_name')
      .where('status', '=', 'active')
      .executeTakeFirstOrThrow();
    await Promise.all(
      phones.map((from, i) =>
        s.gupshup.customerSends({ appName: ch.gupshup_app_name, from, text: `after expiry ${i}` }),
      ),
    );
    await waitFor(
      () =>
        phones.every((p) => s.portal.messages({ author: 'customer' }).some((m) => m.externalChatId === p)),
      20_000,
      'deliveries after refresh',
    );

    expect(s.portal.tokenRefreshes() - refreshesBefore).toBe(1);
    const after = await s.deps.db
      .selectFrom('portals')
      .select(['access_token_enc', 'refresh_token_enc'])
      .where('member_id', '=', s.portal.memberId)
      .executeTakeFirstOrThrow();
    const newRefresh = s.deps.box.decrypt(after.refresh_token_enc ?? '');
    expect(newRefresh).not.toBe(oldRefresh);
    expect(after.access_token_enc).not.toBe(before.access_token_enc);

    // The old refresh token is dead at the OAuth server: Bitrix24 rotated it.
    const dead = await fetch(
      `${s.portal.oauthUrl}/oauth/token/?grant_type=refresh_token&client_id=local.wab24demo.000001&client_secret=sandbox-client-secret-0123456789&refresh_token=${oldRefresh}`,
    );
    expect(dead.status).toBeGreaterThanOrEqual(400);
    expect(((await dead.json()) as { error: string }).error).toBe('invalid_grant');
  });

  it('uninstall deletes the secrets and stops the work', async () => {
    const token = await createToken(s);
    const ch = (
      await api<{ items: Array<{ id: string; gupshupAppName: string }> }>(s, token, 'GET', '/channels')
    ).body.items[0];
    expect(ch).toBeDefined();
    // Bitrix24 is down: the next customer message waits in the queue when the uninstall arrives.
    s.portal.outage({ ms: 60_000 });
    await s.gupshup.customerSends({
      appName: ch?.gupshupAppName ?? '',
      from: '5491100000201',
      text: 'queued',
    });
    const res = await s.portal.uninstallApp({ clean: true });
    expect(res.map((r) => r.status)).toEqual([200]);

    const p = await s.deps.db
      .selectFrom('portals')
      .selectAll()
      .where('member_id', '=', s.portal.memberId)
      .executeTakeFirstOrThrow();
    expect(p).toMatchObject({
      status: 'uninstalled',
      access_token_enc: null,
      refresh_token_enc: null,
      application_token_mac: null,
    });
    const channels = await s.deps.db.selectFrom('channels').select(['api_key_enc', 'status']).execute();
    expect(channels.every((c) => c.api_key_enc === null && c.status !== 'active')).toBe(true);
    const open = await s.deps.db
      .selectFrom('jobs')
      .select('id')
      .where('status', 'in', ['pending', 'running'])
      .execute();
    expect(open).toHaveLength(0);
    // Old bearer tokens stop working.
    expect((await api(s, token, 'GET', '/channels')).status).toBe(401);
    s.portal.outage({ ms: 0 });
  });
});

describe('install by callback (ONAPPINSTALL)', () => {
  const s = useStack();

  it('stores the tokens, answers, and registers the connector from a job', async () => {
    const token = await installAndToken(s, 'callback');
    expect(token).toMatch(/^wab24_/);
    expect(s.portal.connectors()).toHaveLength(1);
    expect(s.portal.bindings()).toHaveLength(9);
    const ch = await connectChannel(s, token, 2);
    await s.gupshup.customerSends({ appName: ch.appName, from: '5491100000301', text: 'hola' });
    await waitFor(() => s.portal.messages({ line: 2, author: 'customer' }).length === 1);
  });
});

/**
 * Issue 10: what an operator does to repair and retire channels, and what Bitrix24 tells the app when
 * a line is deleted or our connector switched off on it, through both sandboxes over HTTP.
 */
describe('channel repair and removal', () => {
  const s = useStack({
    workerConfig: { backoffBaseMs: 50, backoffMaxMs: 200, maxAttempts: 3 },
    portal: {
      lines: [1, 2, 3, 4, 5].map((ID) => ({ ID, LINE_NAME: `Línea ${ID}` })),
    },
  });
  let token = '';
  const channels: DemoChannel[] = [];
  beforeAll(async () => {
    token = await installAndToken(s);
    for (const line of [1, 2, 3, 4, 5]) channels.push(await connectChannel(s, token, line, line));
  });
  const channel = (line: number) => channels[line - 1] as DemoChannel;

  const traceOf = (channelId: string) =>
    s.deps.db
      .selectFrom('trace')
      .select(['step', 'level', 'code', 'detail'])
      .where('channel_id', '=', channelId)
      .orderBy('id')
      .execute();

  /** The customer writes on the channel and it reaches the open line. */
  const customerWrites = async (ch: DemoChannel, phone: string, text = 'hola') => {
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, text });
    await waitFor(() =>
      s.portal.messages({ author: 'customer' }).some((m) => m.externalChatId === phone && m.text === text),
    );
  };

  type Listed = { items: Array<{ id: number; status: string; history: Array<{ step: string }> }> };

  it('a dead-lettered operator message, replayed once Gupshup answers again, reaches the customer once', async () => {
    const ch = channel(1);
    const phone = '5491100010001';
    await customerWrites(ch, phone);
    s.gupshup.failNext({ times: 3, status: 500 }); // the whole retry budget
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'su pedido', signature: false });
    const dead = await waitFor(async () => {
      const r = await api<Listed>(s, token, 'GET', `/messages?channelId=${ch.id}&direction=out&status=dead`);
      return r.body.items[0];
    });
    expect(s.gupshup.sent({ destination: phone })).toHaveLength(0);
    // Gupshup answers again (the three failures are spent): the operator replays the message.
    const replay = await api(s, token, 'POST', `/messages/${dead.id}/replay`, {});
    expect([replay.status, replay.body]).toEqual([202, { id: dead.id, status: 'queued' }]);
    await waitFor(() => s.gupshup.sent({ destination: phone }).length === 1, 20_000, 'replayed send');
    // Gupshup's events make it delivered and Bitrix24 gets the delivery ticks.
    await waitFor(
      () => s.portal.messages({ author: 'operator' }).find((m) => m.text === 'su pedido')?.delivered,
    );
    await s.deps.worker.drain();
    await s.gupshup.settle();
    expect(s.gupshup.sent({ destination: phone })).toHaveLength(1);
    expect((s.gupshup.sent({ destination: phone })[0]?.message as { text: string }).text).toBe('su pedido');
    const after = (
      await api<Listed>(s, token, 'GET', `/messages?channelId=${ch.id}&direction=out`)
    ).body.items.find((m) => m.id === dead.id);
    expect(['sent', 'delivered', 'read']).toContain(after?.status);
    const steps = after?.history.map((h) => h.step) ?? [];
    // Dead, replayed, then sent to Gupshup once and acknowledged in Bitrix24.
    expect(steps.slice(steps.indexOf('dead_lettered'))).toEqual(
      expect.arrayContaining(['dead_lettered', 'replayed', 'sent_upstream', 'acknowledged_in_bitrix']),
    );
    expect(steps.indexOf('dead_lettered')).toBeGreaterThan(-1);
    expect(steps.indexOf('replayed')).toBeGreaterThan(steps.indexOf('dead_lettered'));
    expect(steps.filter((x) => x === 'sent_upstream')).toHaveLength(1);
    // Replaying again is refused: it is no longer dead.
    const again = await api<{ error: { code: string } }>(s, token, 'POST', `/messages/${dead.id}/replay`, {});
    expect(again.status).toBe(409);
  });

  it('a dead-lettered customer message, replayed once Bitrix24 answers again, reaches the open line once', async () => {
    const ch = channel(1);
    const phone = '5491100010002';
    s.portal.failNext({
      method: 'imconnector.send.messages',
      times: 3,
      status: 500,
      error: 'INTERNAL_SERVER_ERROR',
    });
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'necesito ayuda' });
    const dead = await waitFor(async () => {
      const r = await api<Listed>(s, token, 'GET', `/messages?channelId=${ch.id}&direction=in&status=dead`);
      return r.body.items[0];
    });
    const inLine = () => s.portal.messages({ author: 'customer' }).filter((m) => m.externalChatId === phone);
    expect(inLine()).toHaveLength(0);
    expect((await api(s, token, 'POST', `/messages/${dead.id}/replay`, {})).status).toBe(202);
    await waitFor(() => inLine().length === 1, 20_000, 'replayed delivery');
    await s.deps.worker.drain();
    expect(inLine().map((m) => m.text)).toEqual(['necesito ayuda']);
  });

  it('deleting a channel cancels its queued work, switches the connector off on its line and is traced', async () => {
    const ch = channel(2);
    const phone = '5491100010003';
    await customerWrites(ch, phone);
    expect(s.portal.lineStatus(2, 'whatsappb24_gupshup').active).toBe(true);
    // Work waiting in the queue when the admin deletes the channel: a reply and a customer message.
    await s.deps.worker.stop(0);
    try {
      await s.portal.operatorSend({ line: 2, externalChatId: phone, text: 'ya va', signature: false });
      await s.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'gracias' });
      const del = await api(s, token, 'DELETE', `/channels/${ch.id}`);
      expect(del.status).toBe(204);
    } finally {
      s.deps.worker.start();
    }
    await s.deps.worker.drain();
    const jobs = await s.deps.db
      .selectFrom('jobs')
      .select(['topic', 'status', 'last_error'])
      .where(sql<boolean>`payload->>'channelId' = ${ch.id}`)
      .where('status', '<>', 'done')
      .execute();
    expect(jobs.length).toBeGreaterThanOrEqual(2);
    expect(jobs.every((j) => j.status === 'cancelled' && j.last_error === 'channel deleted')).toBe(true);
    expect(s.gupshup.sent({ destination: phone })).toHaveLength(0);
    expect(s.portal.messages({ author: 'customer' }).filter((m) => m.text === 'gracias')).toHaveLength(0);
    // Bitrix24 was told: the connector is off on line 2.
    expect(s.portal.lineStatus(2, 'whatsappb24_gupshup').active).toBe(false);
    const off = s.portal
      .calls()
      .filter((c) => c.method === 'imconnector.activate' && JSON.stringify(c.params).includes('"LINE":2'));
    expect(off.at(-1)?.params).toMatchObject({ LINE: 2, ACTIVE: 0 });
    const t = await traceOf(ch.id);
    expect(t.at(-1)).toMatchObject({ step: 'channel_deleted', level: 'WARN' });
    // The channel is gone from the API and its webhook URL refuses Gupshup.
    const list = await api<{ items: Array<{ id: string }> }>(s, token, 'GET', '/channels');
    expect(list.body.items.map((c) => c.id)).not.toContain(ch.id);
    const late = await s.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'hola?' });
    expect(late.statuses).toEqual([404]);
  });

  it('OnImConnectorLineDelete: the channel on the deleted line goes inactive with reason line_deleted; others stay', async () => {
    const ch = channel(3);
    const res = await s.portal.deleteLine({ line: 3 });
    expect(res.map((r) => r.status)).toEqual([200]);
    const got = await api<{ status: string; statusReason: string | null; lineId: number | null }>(
      s,
      token,
      'GET',
      `/channels/${ch.id}`,
    );
    expect(got.body).toMatchObject({ status: 'inactive', statusReason: 'line_deleted', lineId: null });
    expect((await traceOf(ch.id)).at(-1)).toMatchObject({
      step: 'channel_deactivated',
      level: 'WARN',
      code: 'line_deleted',
      detail: 'line 3',
    });
    const other = await api<{ status: string }>(s, token, 'GET', `/channels/${channel(5).id}`);
    expect(other.body.status).toBe('active');
  });

  it('OnImConnectorStatusDelete: our connector switched off on a line makes its channel inactive with the reason; another connector is ignored', async () => {
    const ch = channel(4);
    const get = () =>
      api<{ status: string; statusReason: string | null; lineId: number | null }>(
        s,
        token,
        'GET',
        `/channels/${ch.id}`,
      );
    // Someone else's connector on the same line: not ours, nothing changes.
    expect(
      (await s.portal.disableConnector({ line: 4, connector: 'other_connector' })).map((r) => r.status),
    ).toEqual([200]);
    expect((await get()).body).toMatchObject({ status: 'active', lineId: 4 });
    await s.portal.disableConnector({ line: 4, connector: 'whatsappb24_gupshup' });
    expect((await get()).body).toMatchObject({
      status: 'inactive',
      statusReason: 'connector_disabled_in_bitrix24',
      lineId: null,
    });
    expect((await traceOf(ch.id)).at(-1)).toMatchObject({
      step: 'channel_deactivated',
      level: 'WARN',
      code: 'connector_disabled_in_bitrix24',
      detail: 'line 4',
    });
    // Activated again on its line, it relays again.
    const again = await api(s, token, 'POST', `/channels/${ch.id}/activate`, { lineId: 4 });
    expect(again.status).toBe(200);
    await customerWrites(ch, '5491100010004', 'de vuelta');
  });
});
