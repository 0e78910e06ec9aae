import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../scripts/stack.js';
import {
  InboundRepository,
  type DeliveredInbound,
} from '../../src/modules/messaging/inbound/inbound.repository.js';
import { createDatabase, type Database } from '../../src/shared/db/database.js';
import { createTestDatabase, seedPortalAndChannel } from '../helpers/db.js';

/**
 * Recording a batch of customer messages Bitrix24 took (`imconnector.send.messages`) against a real
 * PostgreSQL: a few statements for the whole batch, with the per-conversation effects of the first
 * chat (its `chat.assign`, the records of templates sent before it) once per conversation.
 */
describe('recording a delivered batch', () => {
  let db: Database;
  let drop: () => Promise<void>;
  let url: string;
  let portalId: number;
  let channelId: string;
  let inbound: InboundRepository;
  let phones = 0;

  beforeAll(async () => {
    const t = await createTestDatabase();
    drop = t.drop;
    url = t.url;
    db = createDatabase(t.url, { max: 4 }).db;
    inbound = new InboundRepository(db);
    ({ portalId, channelId } = await seedPortalAndChannel(db));
  });
  afterAll(async () => {
    await db?.destroy();
    await drop?.();
  });

  const conversation = async (chatId: number | null) =>
    (
      await db
        .insertInto('conversations')
        .values({
          portal_id: portalId,
          channel_id: channelId,
          customer_phone: `54911000090${String(++phones).padStart(2, '0')}`,
          bitrix_chat_id: chatId,
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;

  /** A customer's message on its way to Bitrix24 (its delivery attempt started). */
  const inMessage = async (conversationId: number) =>
    (
      await db
        .insertInto('messages')
        .values({
          portal_id: portalId,
          channel_id: channelId,
          conversation_id: conversationId,
          direction: 'in',
          type: 'text',
          status: 'received',
          content: JSON.stringify({ text: 'hola' }),
          wa_message_id: `wa-${conversationId}-${Math.random()}`,
          attempt_started_at: new Date(),
        })
        .returning('id')
        .executeTakeFirstOrThrow()
    ).id;

  /** A template sent to the number, not yet recorded in a chat (by `client`'s transaction if given). */
  const sentTemplate = async (conversationId: number, client?: pg.Client) => {
    const values = [portalId, channelId, conversationId, JSON.stringify({ text: 'Aviso' })];
    const insert = `INSERT INTO messages (portal_id, channel_id, conversation_id, direction, type, status, content)
      VALUES ($1, $2, $3, 'out', 'template', 'sent', $4) RETURNING id`;
    if (client) return Number((await client.query<{ id: string }>(insert, values)).rows[0]?.id);
    const res = await db
      .insertInto('messages')
      .values({
        portal_id: portalId,
        channel_id: channelId,
        conversation_id: conversationId,
        direction: 'out',
        type: 'template',
        status: 'sent',
        content: JSON.stringify({ text: 'Aviso' }),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return res.id;
  };

  const item = (id: number, conversationId: number, chatId: number | null): DeliveredInbound => ({
    id,
    portalId,
    channelId,
    conversationId,
    chatId,
  });

  /** The `chat.assign` jobs of these conversations, whatever their dedupe key. */
  const assigns = async (conversationIds: number[]) =>
    (
      await db
        .selectFrom('jobs')
        .select(['id', 'portal_id', 'payload', 'dedupe_key', 'status'])
        .where('topic', '=', 'chat.assign')
        .orderBy('id')
        .execute()
    ).filter((j) => conversationIds.includes((j.payload as { conversationId: number }).conversationId));

  const messages = (ids: number[]) =>
    db
      .selectFrom('messages')
      .select(['id', 'status', 'attempt_started_at', 'delivered_at', 'bitrix_chat_id'])
      .where('id', 'in', ids)
      .orderBy('id')
      .execute();

  const chatOf = async (id: number) =>
    await db
      .selectFrom('conversations')
      .select(['bitrix_chat_id', 'customer_name'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  const templateRecords = (messageIds: number[]) =>
    db
      .selectFrom('jobs')
      .select(['dedupe_key', 'payload'])
      .where('topic', '=', 'template.record')
      .where(
        'dedupe_key',
        'in',
        messageIds.map((id) => `tplrec:${id}:chat`),
      )
      .orderBy('id')
      .execute();

  it('queues one chat.assign per new chat, none for a chat that existed, and marks every message delivered', async () => {
    const fresh = await conversation(null);
    const known = await conversation(500);
    const chatless = await conversation(null);
    const [a1, a2, k1, c1] = [
      await inMessage(fresh),
      await inMessage(fresh),
      await inMessage(known),
      await inMessage(chatless),
    ];
    const waitingForFresh = await sentTemplate(fresh);
    const sentToKnown = await sentTemplate(known);
    const batch = [
      item(a1, fresh, 701),
      item(k1, known, 500),
      item(a2, fresh, 701),
      item(c1, chatless, null),
    ];

    await inbound.recordDelivered(batch, null);

    const queued = await assigns([fresh, known, chatless]);
    expect(queued).toEqual([
      {
        id: expect.any(Number) as unknown,
        portal_id: portalId,
        payload: { conversationId: fresh, channelId, chatId: 701 },
        dedupe_key: `assign:${fresh}`,
        status: 'pending',
      },
    ]);
    expect(await chatOf(fresh)).toMatchObject({ bitrix_chat_id: 701 });
    expect(await chatOf(known)).toMatchObject({ bitrix_chat_id: 500 });
    expect(await chatOf(chatless)).toMatchObject({ bitrix_chat_id: null });
    const rows = await messages([a1, a2, k1, c1]);
    expect(rows.map((m) => [m.id, m.status, m.attempt_started_at, m.bitrix_chat_id])).toEqual([
      [a1, 'delivered', null, 701],
      [a2, 'delivered', null, 701],
      [k1, 'delivered', null, 500],
      [c1, 'delivered', null, null],
    ]);
    for (const m of rows) expect(m.delivered_at).toBeInstanceOf(Date);
    // The template sent before the new chat is recorded in it; the known chat's had its own way.
    expect(await templateRecords([waitingForFresh, sentToKnown])).toEqual([
      {
        dedupe_key: `tplrec:${waitingForFresh}:chat`,
        payload: { messageId: waitingForFresh, channelId },
      },
    ]);
    const traced = await db
      .selectFrom('trace')
      .select(['message_id', 'detail'])
      .where('step', '=', 'delivered_to_bitrix')
      .where('message_id', 'in', [a1, a2, k1, c1])
      .orderBy('id')
      .execute();
    expect(traced).toEqual([
      { message_id: a1, detail: 'chat 701' },
      { message_id: k1, detail: 'chat 500' },
      { message_id: a2, detail: 'chat 701' },
      { message_id: c1, detail: null },
    ]);

    // The assignment ran; the same batch recorded again (a retried job) queues nothing more.
    await db
      .updateTable('jobs')
      .set({ status: 'done' })
      .where('dedupe_key', '=', `assign:${fresh}`)
      .execute();
    await inbound.recordDelivered(batch, null);
    expect(await assigns([fresh, known, chatless])).toEqual([{ ...queued[0], status: 'done' }]);
    expect(await templateRecords([waitingForFresh, sentToKnown])).toHaveLength(1);
    expect((await messages([a1, a2, k1, c1])).map((m) => m.bitrix_chat_id)).toEqual([701, 701, 500, null]);
  });

  it('waits for a conversation another transaction holds, then works on it as that one left it', async () => {
    const upserted = await conversation(null);
    const chattedMeanwhile = await conversation(null);
    const m1 = await inMessage(upserted);
    const m2 = await inMessage(chattedMeanwhile);
    // Another writer holds both conversations: the ingest's upsert names the customer and a template
    // goes to him; a delivery gives the other its chat.
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    try {
      await other.query('BEGIN');
      await other.query(`UPDATE conversations SET customer_name = 'Ana' WHERE id = $1`, [upserted]);
      await other.query(`UPDATE conversations SET bitrix_chat_id = 900 WHERE id = $1`, [chattedMeanwhile]);
      const template = await sentTemplate(upserted, other);
      const recording = inbound.recordDelivered(
        [item(m1, upserted, 801), item(m2, chattedMeanwhile, 802)],
        null,
      );
      await waitFor(
        async () =>
          (
            await other.query(
              `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          ).rowCount,
        20_000,
        'the delivery to wait for the conversation lock',
      );
      await other.query('COMMIT');
      await recording;

      expect(await chatOf(upserted)).toEqual({ bitrix_chat_id: 801, customer_name: 'Ana' });
      expect(await chatOf(chattedMeanwhile)).toEqual({ bitrix_chat_id: 802, customer_name: null });
      expect((await assigns([upserted, chattedMeanwhile])).map((j) => j.payload)).toEqual([
        { conversationId: upserted, channelId, chatId: 801 },
      ]);
      // The template committed while the delivery waited: its record is queued all the same.
      expect((await templateRecords([template])).map((j) => j.dedupe_key)).toEqual([
        `tplrec:${template}:chat`,
      ]);
    } finally {
      await other.end();
    }
  });
});
