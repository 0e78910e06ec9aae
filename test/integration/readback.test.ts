import http from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, connectChannel, installAndToken, waitFor, type DemoChannel } from '../../scripts/stack.js';
import { loggerOptions } from '../../src/shared/logger.js';
import { useStack } from '../helpers/stack.js';

/**
 * The attacker's side of the outbound read-back (docs/security.md). Any user who opens the app's pages
 * receives the application token (reference §1.2), so OnImConnectorMessageAdd proves nothing by
 * itself: a portal user can post one to /b24/events with the real token. Before anything goes to
 * WhatsApp the app reads the message back from the portal with its own token; only what the portal
 * holds in that chat, by that author, with that text and those files, is sent.
 */
interface MessageItem {
  id: number;
  status: string;
  ids: { bitrixMessage: number | null };
  error: { code: string | null; detail: string | null } | null;
  history: Array<{ step: string; level: string; code: string | null; detail: string | null }>;
}

interface Line {
  msg?: string;
  level?: number;
  why?: string;
}

function capture(): { lines: Line[]; raw: string[]; log: pino.Logger } {
  const lines: Line[] = [];
  const raw: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString('utf8').split('\n')) {
        if (!l) continue;
        raw.push(l);
        lines.push(JSON.parse(l) as Line);
      }
      cb();
    },
  });
  return { lines, raw, log: pino(loggerOptions('info'), sink) };
}

/** A loopback web server that is not the portal, serving any path as a small PDF (the attacker's file). */
function useFileServer(): { url: string; hits: number } {
  const state = { url: '', hits: 0 };
  let server: http.Server | undefined;
  beforeAll(async () => {
    const srv = http.createServer((_req, res) => {
      state.hits++;
      res.writeHead(200, { 'content-type': 'application/pdf' });
      res.end('%PDF-1.4 evil');
    });
    server = srv;
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    state.url = `http://127.0.0.1:${(srv.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));
  return state;
}

describe('operator messages are read back from the portal before they are sent', () => {
  const { lines, raw, log } = capture();
  const s = useStack({ logLevel: 'info', overrides: { log } });
  const elsewhere = useFileServer();
  let token: string;
  let ch: DemoChannel;
  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
  });

  /** The customer writes (the 24-hour window opens); returns the Bitrix24 chat of the conversation. */
  const customerWrote = async (phone: string): Promise<number> => {
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'hola' });
    const m = await waitFor(() =>
      s.portal.messages({ author: 'customer' }).find((x) => x.externalChatId === phone),
    );
    await s.deps.worker.drain();
    return m.chatId;
  };

  /** OnImConnectorMessageAdd posted straight to the app with the real application token. */
  const forge = async (o: {
    chatId: number;
    messageId: number;
    phone: string;
    userId: number;
    text: string;
  }) => {
    const r = await s.portal.postEvent({
      event: 'ONIMCONNECTORMESSAGEADD',
      data: {
        CONNECTOR: 'whatsappb24_gupshup',
        LINE: '1',
        MESSAGES: [
          {
            im: { chat_id: String(o.chatId), message_id: String(o.messageId) },
            message: { user_id: String(o.userId), text: o.text },
            chat: { id: o.phone },
          },
        ],
      },
    });
    expect(r.map((x) => x.status)).toEqual([200]);
  };

  /** The stored message of a Bitrix24 message id, once settled (neither queued nor on its way). */
  const message = async (bitrixMessageId: number) =>
    waitFor(async () => {
      const items = (
        await api<{ items: MessageItem[] }>(s, token, 'GET', '/messages?direction=out&limit=200')
      ).body.items;
      const m = items.find((x) => x.ids.bitrixMessage === bitrixMessageId);
      return m && m.status !== 'queued' && m.status !== 'sending' ? m : undefined;
    });

  /** A message posted in the chat by a portal user with their own token (no connector event). */
  const postedInChat = async (chatId: number, userId: number, text: string): Promise<number> => {
    const t = s.portal.issueTokens({ userId });
    const res = await fetch(`${s.portal.url}/rest/im.message.add`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ auth: t.accessToken, DIALOG_ID: `chat${chatId}`, MESSAGE: text }),
    });
    return ((await res.json()) as { result: number }).result;
  };

  it('a forged message the portal does not hold is not sent: failed, traced, logged without its text', async () => {
    const phone = '5491100007001';
    const chatId = await customerWrote(phone);
    const text = 'Transfiera el pago a la cuenta 0000-FORGED';
    await forge({ chatId, messageId: 99_000_001, phone, userId: 2, text });
    await s.deps.worker.drain();

    expect(s.gupshup.sent({ destination: phone })).toHaveLength(0);
    const m = await message(99_000_001);
    expect(m.status).toBe('failed');
    expect(m.error?.code).toBe('not_confirmed_by_portal');
    const step = m.history.find((h) => h.step === 'not_confirmed_by_portal');
    expect(step).toMatchObject({ level: 'ERROR', code: 'not_confirmed_by_portal' });
    expect(step?.detail).toContain('no message 99000001');
    const warning = lines.find((l) => l.msg?.startsWith('Operator message not confirmed by Bitrix24'));
    expect(warning?.level).toBe(40);
    expect(raw.some((l) => l.includes('FORGED'))).toBe(false);
    // The agents get no note for a message they never wrote.
    expect(s.portal.messages().filter((x) => x.chatId === chatId && x.text.startsWith('⚠️'))).toHaveLength(0);
  });

  it('a forged event reusing a real message id with other text is not sent', async () => {
    const phone = '5491100007002';
    const chatId = await customerWrote(phone);
    const real = await postedInChat(chatId, 2, 'Su pedido sale mañana');
    await forge({
      chatId,
      messageId: real,
      phone,
      userId: 2,
      text: 'Su pedido se canceló, pague de nuevo aquí',
    });
    await s.deps.worker.drain();

    expect(s.gupshup.sent({ destination: phone })).toHaveLength(0);
    const m = await message(real);
    expect(m.status).toBe('failed');
    expect(m.error?.code).toBe('not_confirmed_by_portal');
    expect(m.error?.detail).toBe('the text differs from the message in Bitrix24');
  });

  it('a forged event naming another user as author, or another customer’s chat, is not sent', async () => {
    const a = '5491100007003';
    const b = '5491100007004';
    const chatA = await customerWrote(a);
    await customerWrote(b);
    const realA = await postedInChat(chatA, 2, 'Le confirmo la cita');
    // The real text and id, but claimed by another user…
    const other = await postedInChat(chatA, 2, 'Otra cosa');
    await forge({ chatId: chatA, messageId: other, phone: a, userId: 1, text: 'Otra cosa' });
    // …and chat A's real message sent on to customer B.
    await forge({ chatId: chatA, messageId: realA, phone: b, userId: 2, text: 'Le confirmo la cita' });
    await s.deps.worker.drain();

    expect(s.gupshup.sent({ destination: a })).toHaveLength(0);
    expect(s.gupshup.sent({ destination: b })).toHaveLength(0);
    expect((await message(other)).error?.detail).toContain('user 2 wrote it');
    expect((await message(realA)).error?.detail).toContain("is not this customer's open-line chat");
  });

  it('a forged event that guessed a future message id does not keep the real message from going', async () => {
    const phone = '5491100007009';
    const chatId = await customerWrote(phone);
    await s.deps.worker.drain();
    const next = (await postedInChat(chatId, 2, 'Un momento')) + 1;
    await forge({ chatId, messageId: next, phone, userId: 2, text: 'Pague aquí: enlace falso' });
    await s.deps.worker.drain();
    expect((await message(next)).error?.code).toBe('not_confirmed_by_portal');

    const op = await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'Ya está su factura' });
    expect(op.messageId).toBe(next);
    await waitFor(() => s.gupshup.sent({ destination: phone })[0]);
    await s.deps.worker.drain();
    const sent = s.gupshup.sent({ destination: phone });
    expect(sent).toHaveLength(1);
    expect(JSON.stringify(sent[0]?.message)).toContain('Ya está su factura');
    expect((await message(next)).status).not.toBe('failed');
  });

  it('a real operator message is confirmed and sent exactly once', async () => {
    const phone = '5491100007005';
    await customerWrote(phone);
    const op = await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'Hola, ¿cómo le ayudo?' });
    await waitFor(() => s.gupshup.sent({ destination: phone })[0]);
    await s.deps.worker.drain();

    expect(s.gupshup.sent({ destination: phone })).toHaveLength(1);
    const m = await message(op.messageId);
    expect(m.status).not.toBe('failed');
    expect(m.history.map((h) => h.step)).toEqual(
      expect.arrayContaining(['confirmed_by_portal', 'sent_upstream']),
    );
    const reads = s.portal
      .calls()
      .filter((c) => c.method === 'batch' && JSON.stringify(c.params).includes(`chat${op.chatId}`));
    expect(reads.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(reads[0]?.params)).toContain('im.dialog.messages.get');
  });

  it('a real message with a file is sent once; a forged file on a host other than the portal is not', async () => {
    const phone = '5491100007006';
    const chatId = await customerWrote(phone);
    const pdf = s.portal.addFile({
      name: 'presupuesto.pdf',
      contentType: 'application/pdf',
      data: Buffer.from('%PDF-1.4 real'),
    });
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'Aquí tiene', files: [pdf] });
    await waitFor(() => s.gupshup.sent({ destination: phone })[0]);
    await s.deps.worker.drain();
    expect(s.gupshup.sent({ destination: phone })).toHaveLength(1);
    expect(s.gupshup.sent({ destination: phone })[0]?.message).toMatchObject({ type: 'file' });

    // A real text message, forged with a file of the attacker's own (same name and size, another host).
    const real = await postedInChat(chatId, 2, 'Aquí tiene');
    await s.portal.postEvent({
      event: 'ONIMCONNECTORMESSAGEADD',
      data: {
        CONNECTOR: 'whatsappb24_gupshup',
        LINE: '1',
        MESSAGES: [
          {
            im: { chat_id: String(chatId), message_id: String(real) },
            message: {
              user_id: '2',
              text: 'Aquí tiene',
              files: [{ ...pdf, link: `${elsewhere.url}/presupuesto.pdf`, downloadLink: undefined }],
            },
            chat: { id: phone },
          },
        ],
      },
    });
    await waitFor(async () => (await message(real)).status === 'failed');
    await s.deps.worker.drain();
    expect(s.gupshup.sent({ destination: phone })).toHaveLength(1);
    expect(elsewhere.hits).toBeGreaterThan(0);
    expect((await message(real)).error).toMatchObject({
      code: 'not_confirmed_by_portal',
      detail: 'a file link is not on the portal',
    });
  });

  it('when the portal is down during the read-back, the message waits and is sent once it is back', async () => {
    const phone = '5491100007007';
    await customerWrote(phone);
    s.portal.outage({ ms: 1_500, status: 503, error: 'INTERNAL_SERVER_ERROR' });
    const op = await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'Vuelvo enseguida' });
    await s.deps.worker.drain();
    expect(s.gupshup.sent({ destination: phone })).toHaveLength(0);

    await waitFor(() => s.gupshup.sent({ destination: phone })[0], 20_000, 'the send after the outage');
    await new Promise((r) => setTimeout(r, 300));
    await s.deps.worker.drain();
    expect(s.gupshup.sent({ destination: phone })).toHaveLength(1);
    const m = await message(op.messageId);
    const steps = m.history.map((h) => h.step);
    expect(steps).toEqual(
      expect.arrayContaining(['portal_check_delayed', 'confirmed_by_portal', 'sent_upstream']),
    );
    expect(steps.filter((x) => x === 'portal_check_delayed')).toHaveLength(1);
  });

  it('a message deleted in the chat before it went is not sent', async () => {
    const phone = '5491100007008';
    const chatId = await customerWrote(phone);
    const real = await postedInChat(chatId, 2, 'Borrador');
    // Deleted in the portal before its event reached the app (no delivery ack yet: no delete event).
    await s.portal.operatorDelete({ messageId: real });
    await forge({ chatId, messageId: real, phone, userId: 2, text: 'Borrador' });
    await s.deps.worker.drain();

    expect(s.gupshup.sent({ destination: phone })).toHaveLength(0);
    const m = await message(real);
    expect(m.status).toBe('deleted');
    expect(m.history.map((h) => h.step)).toContain('cancelled_before_send');
  });
});
