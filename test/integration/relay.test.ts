import { beforeAll, describe, expect, it } from 'vitest';
import { api, connectChannel, installAndToken, waitFor, type DemoChannel } from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';

interface MessageItem {
  id: number;
  direction: string;
  status: string;
  ids: { whatsapp: string | null; gupshup: string | null; bitrixMessage: number | null };
  error: { code: string | null } | null;
  history: Array<{ step: string; level: string; code: string | null; detail: string | null }>;
}

/** C4/C5 text relay against the sandboxes, with Gupshup duplicating and reordering its callbacks. */
describe('text relay', () => {
  const s = useStack({
    gupshup: { reorderEvents: true, duplicateEvents: 0.5, eventDelayMs: [5, 60], seed: 7 },
  });
  let token: string;
  let ch: DemoChannel;
  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
  });

  /** The customer writes first (which opens WhatsApp's 24-hour window) and it reaches Bitrix24. */
  const customerWrote = async (phone: string) => {
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'hola' });
    await waitFor(() => s.portal.messages({ author: 'customer' }).some((m) => m.externalChatId === phone));
  };

  const messages = async (q = '') =>
    (await api<{ items: MessageItem[] }>(s, token, 'GET', `/messages${q}`)).body.items;

  it('delivers an inbound text once when Gupshup posts it three times', async () => {
    const r = await s.gupshup.customerSends({
      appName: ch.appName,
      from: '5491100001001',
      name: 'Lucía Pérez',
      text: 'Hola, ¿tienen stock?',
      times: 3,
    });
    expect(r.statuses).toEqual([200, 200, 200]);
    await waitFor(() =>
      s.portal.messages({ author: 'customer' }).find((m) => m.externalChatId === '5491100001001'),
    );
    await s.deps.worker.drain();
    const inBitrix = s.portal
      .messages({ author: 'customer' })
      .filter((m) => m.externalChatId === '5491100001001');
    expect(inBitrix).toHaveLength(1);
    expect(inBitrix[0]).toMatchObject({
      text: 'Hola, ¿tienen stock?',
      externalUserId: '5491100001001',
      connectorMid: [r.id],
    });
    const sends = s.portal
      .calls()
      .filter((c) => c.method === 'imconnector.send.messages' && JSON.stringify(c.params).includes(r.id));
    expect(sends).toHaveLength(1);

    const [m] = await messages('?direction=in');
    expect(m?.status).toBe('delivered');
    // The duplicates may be traced before or after the delivery; each step is there as often as it happened.
    expect(m?.history.map((h) => h.step).sort()).toEqual([
      'delivered_to_bitrix',
      'duplicate_ignored',
      'duplicate_ignored',
      'queued',
      'received',
    ]);
  });

  it('keeps one Bitrix24 chat per customer number, passing name and phone', async () => {
    await s.gupshup.customerSends({
      appName: ch.appName,
      from: '5491100001002',
      name: 'Ana 😀 María Gómez-Ruiz 2',
      text: 'uno',
    });
    await s.gupshup.customerSends({
      appName: ch.appName,
      from: '5491100001002',
      name: 'Ana 😀 María Gómez-Ruiz 2',
      text: 'dos',
    });
    const both = await waitFor(() => {
      const l = s.portal.messages({ author: 'customer' }).filter((m) => m.externalChatId === '5491100001002');
      return l.length === 2 ? l : null;
    });
    expect(both.map((m) => m.text)).toEqual(['uno', 'dos']);
    expect(new Set(both.map((m) => m.chatId)).size).toBe(1);
    const call = s.portal
      .calls()
      .find(
        (c) => c.method === 'imconnector.send.messages' && JSON.stringify(c.params).includes('5491100001002'),
      );
    const user = (call?.params as { MESSAGES: Array<{ user: Record<string, string> }> }).MESSAGES[0]?.user;
    expect(user).toMatchObject({
      id: '5491100001002',
      phone: '+5491100001002',
      name: 'Ana María Gómez-Ruiz',
    });
  });

  it('sends an operator text to WhatsApp with formatting converted, and acknowledges it in Bitrix24', async () => {
    const phone = '5491100001003';
    await customerWrote(phone);
    const op = await s.portal.operatorSend({
      line: 1,
      externalChatId: phone,
      text: 'Claro, [b]tenemos stock[/b] y [i]envío gratis[/i]',
      userId: 1,
    });
    expect(op.responses.map((r) => r.status)).toEqual([200]);
    const sent = await waitFor(() => s.gupshup.sent({ destination: phone })[0]);
    expect(sent).toMatchObject({ appName: ch.appName, source: ch.sourceNumber });
    expect(sent.message).toEqual({
      type: 'text',
      text: '*Ana Admin:*\nClaro, *tenemos stock* y _envío gratis_',
    });
    const acked = await waitFor(() =>
      s.portal.messages({ author: 'operator' }).find((m) => m.id === op.messageId && m.delivered),
    );
    expect(acked.connectorMid).toEqual([sent.messageId]);
  });

  it('ends in the right final status when Gupshup events arrive out of order and twice', async () => {
    const phones = ['5491100001011', '5491100001012', '5491100001013', '5491100001014'];
    for (const p of phones) await s.gupshup.customerSends({ appName: ch.appName, from: p, text: 'hola' });
    await waitFor(() =>
      phones.every((p) => s.portal.messages({ author: 'customer' }).some((m) => m.externalChatId === p)),
    );
    for (const p of phones) {
      await s.portal.operatorSend({ line: 1, externalChatId: p, text: `respuesta para ${p}` });
    }
    await waitFor(() => phones.every((p) => s.gupshup.sent({ destination: p }).length === 1));
    await s.gupshup.settle();
    await s.deps.worker.drain();
    const out = await waitFor(
      async () => {
        // Newest first: the four messages this test sent.
        const mine = (await messages('?direction=out')).slice(0, phones.length);
        return mine.every((m) => m.status === 'read') ? mine : null;
      },
      20_000,
      'every message read',
    );
    for (const m of out) {
      expect(m.status).toBe('read');
      expect(m.ids.gupshup).toBeTruthy();
      expect(m.ids.whatsapp).toBeTruthy();
    }
    const callbacks = s.gupshup.callbacks({ type: 'message-event' });
    expect(callbacks.length).toBeGreaterThan(phones.length * 4); // duplicates really happened
  });

  it('marks a message failed with Gupshup’s code when a failed event arrives', async () => {
    const phone = '5491100001020';
    await customerWrote(phone);
    s.gupshup.failNextDelivery({
      destination: phone,
      code: 1002,
      reason: 'Number Does Not Exist On WhatsApp',
      stage: 'sync',
    });
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'hola?' });
    const failed = await waitFor(async () =>
      (await messages('?status=failed')).find((m) => m.error?.code === '1002'),
    );
    expect(
      failed.history.some((h) => h.step === 'status_failed' && h.level === 'ERROR' && h.code === '1002'),
    ).toBe(true);
  });

  it('tells the agent in the chat, in the portal’s language, why a message failed', async () => {
    const phone = '5491100001021';
    await customerWrote(phone);
    s.gupshup.failNextDelivery({
      destination: phone,
      code: 1002,
      reason: 'Number Does Not Exist On WhatsApp',
      stage: 'sync',
    });
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: '¿sigue ahí?' });
    const note = await waitFor(() =>
      s.portal
        .messages({ author: 'operator' })
        .find((m) => m.externalChatId === phone && m.text.startsWith('⚠️ WhatsApp:')),
    );
    expect(note.text).toContain('no está en WhatsApp (código 1002)');
    // The note is for the agent: it never goes to WhatsApp, even if Bitrix24 hands it to the connector.
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: note.text, signature: false });
    await s.deps.worker.drain();
    expect(s.gupshup.sent({ destination: phone })).toHaveLength(1);
  });

  it('does not send free text when the 24-hour window is closed, and says so in the chat', async () => {
    const phone = '5491100001022';
    await customerWrote(phone);
    await s.deps.db
      .updateTable('conversations')
      .set({ last_inbound_at: new Date(Date.now() - 25 * 3600 * 1000) })
      .where('customer_phone', '=', phone)
      .execute();
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: '¿Sigue interesada?' });
    const note = await waitFor(() =>
      s.portal
        .messages({ author: 'operator' })
        .find((m) => m.externalChatId === phone && m.text.startsWith('⚠️ WhatsApp:')),
    );
    expect(note.text).toContain('24 horas');
    expect(note.text).toContain('plantilla');
    expect(s.gupshup.sent({ destination: phone })).toHaveLength(0);
    const failed = (await messages('?status=failed')).find((m) => m.error?.code === 'window_closed');
    expect(failed?.history.map((h) => h.step)).toEqual(
      expect.arrayContaining(['window_closed', 'agent_notified']),
    );
  });

  it('interrupts the channel when the Gupshup wallet is empty, and recovers when sending works again', async () => {
    const phone = '5491100001023';
    await customerWrote(phone);
    s.gupshup.setWalletEmpty(ch.appName, true);
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'sin saldo' });
    const note = await waitFor(() =>
      s.portal
        .messages({ author: 'operator' })
        .find((m) => m.externalChatId === phone && m.text.startsWith('⚠️ WhatsApp:')),
    );
    expect(note.text).toContain('saldo');
    const interrupted = await waitFor(async () => {
      const r = await api<{ status: string; statusReason: string }>(s, token, 'GET', `/channels/${ch.id}`);
      return r.body.status === 'interrupted' ? r.body : null;
    });
    expect(interrupted.statusReason).toBe('wallet_empty');
    s.gupshup.setWalletEmpty(ch.appName, false);
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'con saldo' });
    await waitFor(
      async () =>
        (await api<{ status: string }>(s, token, 'GET', `/channels/${ch.id}`)).body.status === 'active',
    );
  });

  it('keeps the order of an operator’s messages in one chat', async () => {
    const phone = '5491100001030';
    await customerWrote(phone);
    s.gupshup.failNext({ times: 2, status: 503 });
    for (let i = 1; i <= 5; i++) {
      await s.portal.operatorSend({ line: 1, externalChatId: phone, text: `paso ${i}`, signature: false });
    }
    const sent = await waitFor(
      () => {
        const l = s.gupshup.sent({ destination: phone });
        return l.length === 5 ? l : null;
      },
      30_000,
      'five sends',
    );
    expect(sent.map((m) => (m.message as { text: string }).text)).toEqual([
      'paso 1',
      'paso 2',
      'paso 3',
      'paso 4',
      'paso 5',
    ]);
  });

  it('never writes message text or full phone numbers into the trace', async () => {
    const rows = await s.deps.db.selectFrom('trace').select(['step', 'detail', 'code']).execute();
    const all = JSON.stringify(rows);
    expect(all).not.toContain('tienen stock');
    expect(all).not.toContain('5491100001001');
    expect(all).not.toContain('respuesta para');
  });
});
