import { describe, expect, it } from 'vitest';
import { sendJob } from '../../src/modules/notifications/digest-jobs.js';
import { DigestsRepository } from '../../src/modules/notifications/digests.repository.js';
import type { DigestSender } from '../../src/modules/notifications/ports.js';
import { waitFor } from '../../scripts/stack.js';
import { addEvent, digestPortal } from '../helpers/notification-events.js';
import { useStack } from '../helpers/stack.js';

/**
 * Issue 13, a recipient's send between its two steps: the templates send service stored the message
 * (with its `outbound.send` job), and the run died before the send recorded it. The next run finds
 * the message by the send's key instead of storing a second one; a run that died before storing
 * stores it. Each recipient gets one message either way. (notifications-digest-kill.test.ts kills the
 * whole process.)
 */
describe('a digest send retried after dying half-way', () => {
  const s = useStack({ worker: false });
  const ANA = { firstName: 'Ana', lastName: 'Gómez', phone: '+54 9 11 3012-1163' };
  const LUIS = { firstName: 'Luis', lastName: 'Díaz', phone: '+54 9 11 3012-1164' };

  it('stored, not recorded: the retry records the same message; died before storing: the retry stores it', async () => {
    const p = await digestPortal(s, { recipients: [ANA, LUIS], schedule: { preset: 'full_time' } });
    const now = new Date('2026-12-02T13:00:00Z');
    await addEvent(s.deps.db, {
      portalId: p.portalId,
      reportId: p.report,
      title: 'Pedido 1',
      recordedAt: new Date(now.getTime() - 60_000),
    });
    expect(await s.deps.digests.service.runDue(now)).toHaveLength(1);
    const jobs = await s.deps.db
      .selectFrom('jobs')
      .selectAll()
      .where('topic', '=', 'notifications.send')
      .orderBy('id')
      .execute();
    expect(jobs).toHaveLength(2);
    const real = s.deps.templateSend.send;
    const storedThenDied: DigestSender = {
      send: async (i) => {
        await real.send(i);
        throw new Error('the process died here');
      },
    };
    const diedBefore: DigestSender = {
      send: () => Promise.reject(new Error('the process died before the send')),
    };
    const repo = new DigestsRepository(s.deps.db);
    const [first, second] = jobs;
    await expect(sendJob({ repo, sender: storedThenDied }).run(first!, s.deps.log)).rejects.toThrow(
      'died here',
    );
    await expect(sendJob({ repo, sender: diedBefore }).run(second!, s.deps.log)).rejects.toThrow(
      'died before',
    );
    const keys = () =>
      s.deps.db.selectFrom('messages').select('client_key').where('client_key', 'like', 'digest:%').execute();
    expect(await keys()).toHaveLength(1);

    // The worker runs both jobs again (as after a restart), and every job they leave.
    await s.deps.worker.drain();
    await waitFor(() => s.gupshup.sent().length >= 2);
    expect(await keys()).toHaveLength(2);
    expect(
      s.gupshup
        .sent()
        .map((m) => m.destination)
        .sort(),
    ).toEqual(['5491130121163', '5491130121164']);
    const sends = await s.deps.db
      .selectFrom('notification_digest_sends')
      .select(['status', 'message_id', 'client_key'])
      .orderBy('id')
      .execute();
    expect(sends.map((x) => x.status)).toEqual(['queued', 'queued']);
    const messages = await s.deps.db
      .selectFrom('messages')
      .select(['id', 'client_key'])
      .where('client_key', 'like', 'digest:%')
      .execute();
    for (const x of sends) {
      expect(messages.find((m) => m.client_key === x.client_key)?.id).toBe(x.message_id);
    }
    const digest = await s.deps.db
      .selectFrom('notification_digests')
      .select('status')
      .executeTakeFirstOrThrow();
    expect(digest.status).toBe('sent');
  });
});
