import { describe, expect, it } from 'vitest';
import { waitFor, type Stack } from '../../scripts/stack.js';
import { digits, phones } from '../helpers/campaigns.js';
import { installAndConnect, useSpawnedApp } from '../helpers/spawned.js';
import { addTemplate } from '../helpers/templates.js';

/**
 * Issue 14: the app process (as `npm start` runs it) is killed with SIGKILL in the middle of a
 * campaign (Gupshup paced to 2 messages a second, so the kill lands between the first and the last
 * row) and started again. The campaign goes on where it was: every row reaches Gupshup exactly once,
 * counted per number at the sandbox, and the campaign finishes.
 */
describe('SIGKILL in the middle of a campaign', () => {
  const x = useSpawnedApp({
    env: { GUPSHUP_SEND_PER_SEC: '2' },
    // The `enqueued` event of a send cut short by the kill must reach the restarted app (§3.1).
    gupshup: { callbackRetry: { attempts: 40, delayMs: 500 } },
  });

  it('every row exactly once across the kill and the restart', async () => {
    const { url, gupshup, portal, db } = x;
    const shop = { appName: 'CampShop', sourceNumber: '5491100008000', apiKey: 'camp-key-abcdefgh' };
    const { appId } = gupshup.addApp(shop);
    const { token, channel } = await installAndConnect(url, portal, { name: 'C', ...shop });
    await db.updateTable('channels').set({ gupshup_app_id: appId }).execute();
    gupshup.setCallbackUrl(shop.appName, channel.callbackUrl);
    const template = await addTemplate({ deps: { db }, gupshup } as unknown as Stack, {
      channelId: channel.id,
      name: 'promo',
    });
    const call = async <T>(method: string, path: string, body?: unknown) => {
      const r = await fetch(`${url}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      expect(r.status, `${method} ${path}`).toBeLessThan(300);
      return (await r.json()) as T;
    };
    const c = await call<{ id: number }>('POST', '/campaigns', {
      name: 'Corte',
      channelId: channel.id,
      templateId: template.id,
      window: { days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' },
      ratePerMinute: 6000,
    });
    const numbers = phones(12, 50);
    await db
      .insertInto('campaign_rows')
      .values(
        numbers.map((phone, i) => ({
          campaign_id: c.id,
          line_no: i + 1,
          phone_e164: phone,
          params: JSON.stringify([`C${i}`, `K-${i}`]),
          status: 'ready' as const,
        })),
      )
      .execute();
    await db.updateTable('campaigns').set({ list_status: 'ready', rows_total: 12 }).execute();
    await call('POST', `/campaigns/${c.id}/start`);

    const sent = () => gupshup.sent({ appName: shop.appName });
    await waitFor(() => sent().length >= 2, 30_000, 'the first rows');
    await x.kill();
    expect(sent().length).toBeLessThan(numbers.length);
    await x.start();

    await waitFor(() => sent().length >= numbers.length, 150_000, 'every row’s message');
    await waitFor(
      async () => {
        const open = await db
          .selectFrom('jobs')
          .select('id')
          .where('topic', 'in', ['campaigns.dispatch', 'outbound.send'])
          .where('status', 'in', ['pending', 'running'])
          .execute();
        return open.length === 0;
      },
      150_000,
      'every dispatch and send job to finish',
    );
    const per = new Map<string, number>();
    for (const m of sent()) per.set(m.destination, (per.get(m.destination) ?? 0) + 1);
    expect([...per.keys()].sort()).toEqual(numbers.map(digits).sort());
    expect([...per.values()].every((n) => n === 1)).toBe(true);
    const campaign = await db
      .selectFrom('campaigns')
      .select('status')
      .where('id', '=', c.id)
      .executeTakeFirstOrThrow();
    expect(campaign.status).toBe('finished');
    const rows = await db
      .selectFrom('campaign_rows')
      .select(['status', 'message_id'])
      .where('campaign_id', '=', c.id)
      .execute();
    expect(rows.every((r) => r.status === 'queued')).toBe(true);
    expect(new Set(rows.map((r) => r.message_id)).size).toBe(numbers.length);
  }, 240_000);
});
