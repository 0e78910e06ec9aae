import { describe, expect, it } from 'vitest';
import { api, connectChannel, createToken, installAndToken, waitFor } from '../../scripts/stack.js';
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
    expect(s.portal.bindings()).toHaveLength(6);
    const ch = await connectChannel(s, token, 2);
    await s.gupshup.customerSends({ appName: ch.appName, from: '5491100000301', text: 'hola' });
    await waitFor(() => s.portal.messages({ line: 2, author: 'customer' }).length === 1);
  });
});
