import { beforeAll, describe, expect, it } from 'vitest';
import {
  connectChannel,
  installAndToken,
  SAMPLE_PORTAL,
  waitFor,
  type DemoChannel,
} from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';
import { addTemplate, asUser, makeSalesRep, withToken } from '../helpers/templates.js';

interface Sent {
  messageId: number;
  status: string;
  error: { code: string | null; detail: string | null } | null;
}

/**
 * GET /api/v1/templates/sent/:messageId (the picker follows its send): the sender reads where the
 * message stands, and why it failed; admins and bearer tokens read any template message of their
 * portal; anybody else, a message that is not a template's and an id that is not one get the same
 * 404 (the query is scoped to the caller's portal).
 */
describe('where a sent template stands', () => {
  const s = useStack({ portal: SAMPLE_PORTAL });
  let token: string;
  let ch: DemoChannel;
  let sentId: number;
  let inboundId: number;
  const phone = '5491100009001';

  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
    const t = await addTemplate(s, { channelId: ch.id, name: 'aviso', displayName: 'Aviso' });
    await makeSalesRep(s, ch.id, 2);
    await makeSalesRep(s, ch.id, 3);
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'hola' });
    const m = await waitFor(() =>
      s.portal.messages({ author: 'customer' }).find((x) => x.externalChatId === phone),
    );
    await waitFor(async () => {
      const c = await s.deps.db
        .selectFrom('conversations')
        .select(['bitrix_chat_id', 'assigned_at'])
        .where('customer_phone', '=', phone)
        .executeTakeFirst();
      return c?.bitrix_chat_id === m.chatId && c.assigned_at !== null;
    });
    const sent = await asUser<{ messageId: number }>(s, 2, 'POST', `/chats/${m.chatId}/templates/send`, {
      templateId: t.id,
      params: ['Ana', 'A-1'],
    });
    expect(sent.status).toBe(202);
    sentId = sent.body.messageId;
    const inbound = await s.deps.db
      .selectFrom('messages')
      .select('id')
      .where('direction', '=', 'in')
      .executeTakeFirstOrThrow();
    inboundId = inbound.id;
  });

  it('the sender follows it to sent; an admin and a bearer token read it too', async () => {
    await waitFor(async () => {
      const r = await asUser<Sent>(s, 2, 'GET', `/templates/sent/${sentId}`);
      return r.status === 200 && ['sent', 'delivered', 'read'].includes(r.body.status);
    });
    const mine = await asUser<Sent>(s, 2, 'GET', `/templates/sent/${sentId}`);
    expect(mine.body).toMatchObject({ messageId: sentId, error: null });
    expect((await asUser<Sent>(s, 1, 'GET', `/templates/sent/${sentId}`)).status).toBe(200);
    expect((await withToken<Sent>(s, token, 'GET', `/templates/sent/${sentId}`)).status).toBe(200);
  });

  it('anybody else, a message that is not a template’s, and ids that are not ones: 404', async () => {
    expect((await asUser(s, 3, 'GET', `/templates/sent/${sentId}`)).status).toBe(404);
    expect((await asUser(s, 1, 'GET', `/templates/sent/${inboundId}`)).status).toBe(404);
    for (const bad of ['abc', '0', '-1', '1.5', '99999999999999999999', String(sentId + 1000)]) {
      expect((await asUser(s, 1, 'GET', `/templates/sent/${bad}`)).status, bad).toBe(404);
    }
    const anonymous = await fetch(`${s.url}/api/v1/templates/sent/${sentId}`);
    expect(anonymous.status).toBe(401);
  });
});
