import { describe, expect, it } from 'vitest';
import { SAMPLE_PORTAL, waitFor } from '../../scripts/stack.js';
import { digestPortal } from '../helpers/notification-events.js';
import { useStack } from '../helpers/stack.js';

/**
 * Issue 13 end to end, as "done when" says: two deals of the sandbox portal reach the report's stage
 * (their CRM events recorded by the CRM side), the tick makes one digest and the group's recipients
 * get it once; the next tick, with nothing changed, sends nothing.
 */
describe('a digest from CRM events', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  const ANA = { firstName: 'Ana', lastName: 'Gómez', phone: '+54 9 11 3012-1163' };

  it('two deals reach the stage: one digest, then nothing while nothing changes', async () => {
    const p = await digestPortal(s, {
      recipients: [ANA],
      schedule: {
        preset: 'custom',
        days: 'LU,MA,MI,JU,VI,SA,DO',
        from: '00:00',
        to: '24:00',
        holidays: 'allow',
      },
    });
    const events = async () =>
      (
        await s.deps.db
          .selectFrom('notification_events')
          .select('title')
          .where('report_id', '=', p.report)
          .execute()
      ).length;
    const a = s.portal.addDeal({ TITLE: 'SIRA 1', COMPANY_ID: 7 });
    const b = s.portal.addDeal({ TITLE: 'SIRA 2', COMPANY_ID: 7 });
    s.portal.updateDeal(a, { STAGE_ID: 'WON' });
    s.portal.updateDeal(b, { STAGE_ID: 'WON' });
    await waitFor(async () => (await events()) === 2, 20_000, 'the two CRM events');

    // A tick a minute later (the events have settled), then one an hour later with nothing new.
    const tick = (ms: number) => s.deps.digests.service.runDue(new Date(Date.now() + ms));
    expect(await tick(60_000)).toHaveLength(1);
    await waitFor(() => s.gupshup.sent().length === 1, 20_000, 'the digest');
    expect(s.gupshup.sent()[0]?.rendered?.body).toBe('Hay 2 novedades: SIRA 1, SIRA 2');
    expect(await tick(3 * 3_600_000)).toEqual([]);
    expect(s.gupshup.sent()).toHaveLength(1);
  });
});
