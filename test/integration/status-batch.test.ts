import { beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { connectChannel, installAndToken, waitFor, type DemoChannel } from '../../scripts/stack.js';
import { enqueueJob } from '../../src/jobs/jobs.repository.js';
import { useStack } from '../helpers/stack.js';
import { postGupshupCallback } from '../helpers/gupshup-callback.js';

/**
 * Gupshup's message-events of a campaign arrive late, twice and out of order; the worker applies a
 * channel's `status.apply` jobs as a batch. The worker is driven by hand (`drain`) so every event is
 * stored before the batch runs. Each message must end where applying its events one by one would
 * leave it (statuses never go backwards), with the same trace rows.
 */
describe('status.apply in batches', () => {
  const s = useStack({ worker: false, workerConfig: { backoffBaseMs: 50, backoffMaxMs: 200 } });
  let ch: DemoChannel;
  beforeAll(async () => {
    const token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
    await s.deps.worker.drain();
  });

  const post = async (payload: Record<string, unknown>) => {
    const url = `${s.url}${new URL(ch.callbackUrl).pathname}`;
    expect(await postGupshupCallback(url, ch.appName, 'message-event', payload)).toBe(200);
  };

  interface Sent {
    phone: string;
    gsId: string;
    wamid: string;
    id: number;
  }

  /** An operator message sent to Gupshup, with no events yet (the sandbox sends none). */
  const sendOne = async (phone: string): Promise<Sent> => {
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'hola' });
    await s.deps.worker.drain();
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'respuesta', signature: false });
    await s.deps.worker.drain();
    const [sent] = s.gupshup.sent({ destination: phone });
    if (!sent) throw new Error(`nothing sent to ${phone}`);
    const m = await s.deps.db
      .selectFrom('messages')
      .select(['id', 'status'])
      .where('gupshup_message_id', '=', sent.messageId)
      .executeTakeFirstOrThrow();
    return { phone, gsId: sent.messageId, wamid: sent.whatsappMessageId, id: m.id };
  };

  const event = (m: Sent, type: string, extra: Record<string, unknown> = {}) =>
    type === 'enqueued'
      ? {
          id: m.gsId,
          type,
          destination: m.phone,
          payload: { whatsappMessageId: m.wamid, type: 'session' },
        }
      : {
          id: m.wamid,
          gsId: m.gsId,
          type,
          destination: m.phone,
          payload: { ts: Math.floor(Date.now() / 1000), ...extra },
        };

  const statusTrace = (messageId: number) =>
    s.deps.db
      .selectFrom('trace')
      .select(['step', 'level', 'code', 'detail'])
      .where('message_id', '=', messageId)
      .where('step', 'like', 'status\\_%')
      .orderBy('id')
      .execute();

  const row = (id: number) =>
    s.deps.db
      .selectFrom('messages')
      .select(['status', 'wa_message_id', 'delivered_at', 'read_at', 'error_code', 'failed_at'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  const statusJobs = () =>
    s.deps.db
      .selectFrom('jobs')
      .select(['id', 'status', 'payload', 'finished_at', 'last_error', 'portal_id'])
      .where('topic', '=', 'status.apply')
      .orderBy('id')
      .execute();

  it('gives each message the status and trace applying its events one by one gives', async () => {
    s.gupshup.setStatusFlow([]);
    const a = await sendOne('5491100009001');
    const b = await sendOne('5491100009002');
    const c = await sendOne('5491100009003');
    const d = await sendOne('5491100009004');
    const f = await sendOne('5491100009005');
    await s.gupshup.settle();
    const before = (await statusJobs()).length;

    // Arrival order (= job order). Gupshup posts each one twice; the webhook keeps one job of each.
    const arrivals: Array<[Sent, string, Record<string, unknown>?]> = [
      [a, 'read'],
      [b, 'delivered'],
      [f, 'sent'],
      [a, 'delivered'],
      [c, 'enqueued'],
      [a, 'sent'],
      [d, 'sent'],
      [f, 'failed', { code: 1002, reason: 'Number Does Not Exist On WhatsApp' }],
      [c, 'sent'],
      [d, 'read'],
      [b, 'sent'],
      [a, 'enqueued'],
      [c, 'delivered'],
      [d, 'delivered'],
      [b, 'enqueued'],
    ];
    for (const [m, type, extra] of arrivals) {
      await post(event(m, type, extra));
      await post(event(m, type, extra));
    }
    // An event for a send this app does not know (yet).
    await post({
      id: 'wamid.unknown-1',
      gsId: 'gs-unknown-1',
      type: 'delivered',
      destination: '5491100009099',
      payload: { ts: Math.floor(Date.now() / 1000) },
    });
    let jobs = (await statusJobs()).slice(before);
    expect(jobs).toHaveLength(arrivals.length + 1);
    // A repeat the webhook could not recognise (its first job already gone): a's `sent` once more.
    const aSent = jobs[5];
    expect((aSent?.payload as { event: { status: string; gupshupId: string } }).event).toMatchObject({
      status: 'sent',
      gupshupId: a.gsId,
    });
    await enqueueJob(s.deps.db, {
      topic: 'status.apply',
      portalId: aSent?.portal_id ?? null,
      payload: aSent?.payload as Record<string, unknown>,
      dedupeKey: 'test:repeat-of-a-sent',
    });

    await s.deps.worker.drain();

    // Statuses only move forward, whatever the arrival order: a late `sent` never overrides `read`.
    expect(await row(a.id)).toMatchObject({ status: 'read', wa_message_id: a.wamid, error_code: null });
    expect(await row(b.id)).toMatchObject({ status: 'delivered', wa_message_id: b.wamid, read_at: null });
    expect(await row(c.id)).toMatchObject({ status: 'delivered', wa_message_id: c.wamid, read_at: null });
    expect(await row(d.id)).toMatchObject({ status: 'read', wa_message_id: d.wamid });
    for (const m of [a, b, c, d]) expect((await row(m.id)).delivered_at).not.toBeNull();
    for (const m of [a, d]) expect((await row(m.id)).read_at).not.toBeNull();

    const kept = (st: string) => `arrived after ${st}; kept ${st}`;
    const info = (step: string, detail: string | null = null) => ({
      step,
      level: 'INFO',
      code: null,
      detail,
    });
    expect(await statusTrace(a.id)).toEqual([
      info('status_read'),
      info('status_delivered', kept('read')),
      info('status_sent', kept('read')),
      info('status_enqueued', kept('read')),
      info('status_sent', kept('read')),
    ]);
    expect(await statusTrace(b.id)).toEqual([
      info('status_delivered'),
      info('status_sent', kept('delivered')),
      info('status_enqueued', kept('delivered')),
    ]);
    expect(await statusTrace(c.id)).toEqual([
      info('status_enqueued'),
      info('status_sent'),
      info('status_delivered'),
    ]);
    expect(await statusTrace(d.id)).toEqual([
      info('status_sent'),
      info('status_read'),
      info('status_delivered', kept('read')),
    ]);

    // The failed one took the single path: its failure, the agent's note, its unit given back.
    expect(await row(f.id)).toMatchObject({ status: 'failed', wa_message_id: f.wamid, error_code: '1002' });
    expect((await row(f.id)).failed_at).not.toBeNull();
    expect(await statusTrace(f.id)).toEqual([
      info('status_sent'),
      {
        step: 'status_failed',
        level: 'ERROR',
        code: '1002',
        detail: 'Number Does Not Exist On WhatsApp',
      },
    ]);
    const note = await s.deps.db
      .selectFrom('jobs')
      .select('topic')
      .where('dedupe_key', '=', `note:${f.id}:1002`)
      .executeTakeFirst();
    expect(note?.topic).toBe('chat.notify');

    // The unknown one waits for its message (retried in 2 s); every other job is done.
    jobs = (await statusJobs()).slice(before);
    const open = jobs.filter((j) => j.status !== 'done');
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ status: 'pending' });
    expect(open[0]?.last_error).toContain('no message with Gupshup id yet');
    expect((open[0]?.payload as { event: { gupshupId: string } }).event.gupshupId).toBe('gs-unknown-1');

    // The plain events were completed together, in the one transaction that applied them.
    const plain = jobs.filter((j) => {
      const id = (j.payload as { event: { gupshupId: string } }).event.gupshupId;
      return [a, b, c, d].some((m) => m.gsId === id);
    });
    expect(plain).toHaveLength(14);
    expect(new Set(plain.map((j) => String(j.finished_at))).size).toBe(1);
  });
  it('decides on the status as of the row lock: an event applied meanwhile by another worker is not overwritten', async () => {
    const m = await sendOne('5491100007801');
    await post(event(m, 'delivered'));
    // Another worker holds the message while it applies the later 'read' event.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const other = s.deps.db.transaction().execute(async (trx) => {
      await trx.selectFrom('messages').select('id').where('id', '=', m.id).forUpdate().execute();
      locked();
      await released;
      await trx.updateTable('messages').set({ status: 'read' }).where('id', '=', m.id).execute();
    });
    await isLocked;
    const drained = s.deps.worker.drain();
    await waitFor(
      async () =>
        (
          await sql<{ n: number }>`SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock'`.execute(s.deps.db)
        ).rows[0]!.n > 0,
      20_000,
      'the status batch to wait for the message lock',
    );
    release();
    await other;
    await drained;
    const after = await s.deps.db
      .selectFrom('messages')
      .select('status')
      .where('id', '=', m.id)
      .executeTakeFirstOrThrow();
    expect(after.status).toBe('read');
    expect((await statusTrace(m.id)).map((t) => [t.step, t.detail])).toEqual([
      ['status_delivered', 'arrived after read; kept read'],
    ]);
  });
});
