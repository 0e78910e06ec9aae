import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { api, connectChannel, installAndToken, waitFor, type DemoChannel } from '../../scripts/stack.js';
import { createCampaign, digits, fillList, phones, waitStatus, type Campaign } from '../helpers/campaigns.js';
import { useStack } from '../helpers/stack.js';
import { addTemplate, type TestTemplate } from '../helpers/templates.js';

const ALWAYS = { days: [1, 2, 3, 4, 5, 6, 7], from: '00:00', to: '24:00' };

/**
 * Review of issue 14: a dispatcher job whose every attempt throws (here the database refuses the
 * campaign's messages, as a long outage or a constraint would) is dead-lettered. The campaign must not
 * stay 'running' with no job to move it and nothing said: it is paused with the reason, traced, and
 * a resume once the fault is gone sends every row once.
 */
describe('review: a campaign whose dispatcher gives up', () => {
  // The owner: the test adds a trigger to fail the inserts (the app's own role may not).
  const s = useStack({
    databaseRole: 'owner',
    workerConfig: { maxAttempts: 2, backoffBaseMs: 20, backoffMaxMs: 50 },
  });
  let token = '';
  let ch: DemoChannel;
  let tpl: TestTemplate;
  const act = (id: number, action: string) => api<Campaign>(s, token, 'POST', `/campaigns/${id}/${action}`);

  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1, 1);
    tpl = await addTemplate(s, { channelId: ch.id, name: 'aviso' });
  });

  it('is paused with dispatch_failed, traced; resumed, every row goes once', async () => {
    await sql
      .raw(
        `CREATE FUNCTION review_no_campaign_messages() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'review: campaign messages refused'; END $$`,
      )
      .execute(s.deps.db);
    await sql
      .raw(
        `CREATE TRIGGER review_no_campaign_messages BEFORE INSERT ON messages FOR EACH ROW
        WHEN (NEW.client_key LIKE 'camp:%') EXECUTE FUNCTION review_no_campaign_messages()`,
      )
      .execute(s.deps.db);
    const c = await createCampaign(s, token, {
      name: 'Sin envío',
      channelId: ch.id,
      templateId: tpl.id,
      window: ALWAYS,
      ratePerMinute: 6000,
    });
    const numbers = phones(5, 900);
    await fillList(s.deps.db, c.id, numbers);
    expect((await act(c.id, 'start')).status).toBe(200);
    await waitFor(
      async () =>
        (await s.deps.db
          .selectFrom('jobs')
          .select('id')
          .where('topic', '=', 'campaigns.dispatch')
          .where('status', '=', 'dead')
          .executeTakeFirst()) !== undefined,
      30_000,
      'the dispatcher dead-lettered',
    );
    const stopped = await waitStatus(s, token, c.id, 'paused', 10_000);
    expect(stopped.statusReason).toBe('dispatch_failed');
    expect(stopped.counts.ready).toBe(5);
    const traced = await s.deps.db
      .selectFrom('trace')
      .select('detail')
      .where('step', '=', 'campaign_paused')
      .where('code', '=', 'dispatch_failed')
      .execute();
    expect(traced).toHaveLength(1);

    await sql.raw('DROP TRIGGER review_no_campaign_messages ON messages').execute(s.deps.db);
    expect((await act(c.id, 'resume')).status).toBe(200);
    await waitStatus(s, token, c.id, 'finished', 30_000);
    await waitFor(
      () => numbers.every((p) => s.gupshup.sent({ destination: digits(p) }).length === 1),
      30_000,
      'every number once',
    );
    for (const p of numbers) expect(s.gupshup.sent({ destination: digits(p) })).toHaveLength(1);
  });
});
