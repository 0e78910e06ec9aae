import { describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack.js';
import { installAndConnect, postCustomerText, useSpawnedApp } from '../helpers/spawned.js';

/**
 * The app process (as `npm start` runs it) is killed with SIGKILL in the middle of 200 inbound
 * messages and started again. Every message it acknowledged is delivered to Bitrix24 exactly once;
 * the ones it never answered are retried by Gupshup and delivered too.
 */
describe('SIGKILL in the middle of a burst', () => {
  const x = useSpawnedApp();

  it('delivers every acknowledged message exactly once after a restart', async () => {
    const { url, portal, db } = x;
    const { channel: ch, activateStatus } = await installAndConnect(url, portal, {
      name: 'K',
      appName: 'KillShop',
      sourceNumber: '5491100006000',
      apiKey: 'kill-key-abcdefgh',
    });
    expect(activateStatus).toBe(200);

    const post = (i: number) =>
      postCustomerText(ch.callbackUrl, { appName: 'KillShop', tag: 'kill', phoneBase: 6100 }, i);

    const acked = new Set<number>();
    let killed = false;
    for (let i = 0; i < 200; i += 10) {
      const batch = Array.from({ length: 10 }, (_, k) => i + k);
      if (i === 100) {
        // Kill while these requests are in flight.
        const inFlight = batch.map((n) => post(n).then((s) => s === 200 && acked.add(n)));
        await new Promise((r) => setTimeout(r, 3));
        const exited = x.kill();
        killed = true;
        await Promise.all(inFlight);
        await exited;
        await x.start();
        continue;
      }
      const statuses = await Promise.all(batch.map(post));
      statuses.forEach((s, k) => s === 200 && acked.add(i + k));
    }
    expect(killed).toBe(true);
    // Gupshup retries what was never answered with a 2xx.
    for (let i = 0; i < 200; i++) if (!acked.has(i)) expect(await post(i)).toBe(200);

    await waitFor(() => portal.messages({ author: 'customer' }).length >= 200, 60_000, '200 deliveries');
    // Once no inbound job is open (a retry is still `pending`), nothing more can reach the portal.
    await waitFor(
      async () => {
        const open = await db
          .selectFrom('jobs')
          .select('id')
          .where('topic', 'like', 'inbound.%')
          .where('status', 'in', ['pending', 'running'])
          .execute();
        return open.length === 0;
      },
      30_000,
      'every inbound job to finish',
    );
    const texts = portal.messages({ author: 'customer' }).map((m) => m.text);
    expect(texts).toHaveLength(200);
    expect(new Set(texts).size).toBe(200);
  }, 120_000);
});
