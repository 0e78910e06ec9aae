import { describe, expect, it } from 'vitest';
import { api, waitFor } from '../../scripts/stack.js';
import { billingProbe } from '../helpers/billing-send.js';
import { addEvent, digestPortal } from '../helpers/notification-events.js';
import { useStack } from '../helpers/stack.js';

/**
 * Issue 13, digests and billing (BILLING_ENFORCED): each recipient's message reserves one unit on its
 * own ref; at zero balance the digest is held (the recipients' and the digest's status say so) and
 * goes out once units are credited.
 */
type Digest = { status: string; recipients: { status: string }[] };

describe('digests are billed per message', () => {
  const s = useStack({ env: { BILLING_ENFORCED: 'true' } });
  const ANA = { firstName: 'Ana', lastName: 'Gómez', phone: '+54 9 11 3012-1163' };
  const LUIS = { firstName: 'Luis', lastName: 'Díaz', phone: '+54 9 11 3012-1164' };

  it('one unit per recipient; held at zero balance, sent when units come in', async () => {
    const p = await digestPortal(s, { recipients: [ANA, LUIS], schedule: { preset: 'full_time' } });
    const probe = billingProbe(s);
    const t0 = new Date('2026-12-02T13:00:00Z');
    const event = (title: string, at: Date) =>
      addEvent(s.deps.db, { portalId: p.portalId, reportId: p.report, title, recordedAt: at });
    const latest = async () =>
      (await api<{ digests: Digest[] }>(s, p.token, 'GET', `/notification-groups/${p.group}/digests`)).body
        .digests[0];
    const digestMessages = () =>
      s.deps.db
        .selectFrom('messages')
        .select('id')
        .where('client_key', 'like', 'digest:%')
        .orderBy('id')
        .execute();

    await event('Pedido 1', new Date(t0.getTime() - 60_000));
    expect(await s.deps.digests.service.runDue(t0)).toHaveLength(1);
    await waitFor(() => s.gupshup.sent().length === 2, 20_000, 'both messages');
    for (const { id } of await digestMessages()) {
      await waitFor(async () => (await probe.charges(id)).reservations.length === 1, 10_000, 'the reserve');
      expect((await probe.charges(id)).reservations[0]?.message_ref).toBe(`out:${id}`);
    }

    await probe.spendAll(p.portalId, 'spent-before-digest');
    await event('Pedido 2', new Date(t0.getTime() + 3 * 3_600_000));
    expect(await s.deps.digests.service.runDue(new Date(t0.getTime() + 4 * 3_600_000))).toHaveLength(1);
    await waitFor(
      async () => (await latest())?.recipients.every((r) => r.status === 'held'),
      20_000,
      'both recipients held',
    );
    expect((await latest())?.status).toBe('held');
    expect(s.gupshup.sent()).toHaveLength(2);

    await s.deps.ledger.credit({
      portalId: p.portalId,
      units: 10,
      validityDays: 30,
      provider: 'operator',
      eventId: 'digest-grant',
    });
    await waitFor(() => s.gupshup.sent().length === 4, 20_000, 'the held messages');
    await waitFor(async () => (await latest())?.status === 'sent', 20_000, 'the digest sent');
  });
});
