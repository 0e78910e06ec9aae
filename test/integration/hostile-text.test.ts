import { beforeAll, describe, expect, it } from 'vitest';
import { connectChannel, installAndToken, waitFor, type DemoChannel } from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';

/**
 * Text nobody should send but somebody will: lone UTF-16 surrogates (`\ud800`, which JSON allows and
 * PostgreSQL's jsonb refuses), NUL, and invalid UTF-8 bytes in a form. Each is stored and relayed with
 * U+FFFD in place of the bad part only; none is a 500 that makes the sender retry a message that can
 * never land.
 */
describe('hostile text', () => {
  const s = useStack();
  let token: string;
  let ch: DemoChannel;
  const hook = () => `${s.url}${new URL(ch.callbackUrl).pathname}`;
  const postJson = (body: unknown) =>
    fetch(hook(), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
  });

  const inBitrix = (phone: string) =>
    waitFor(
      () => s.portal.messages({ author: 'customer' }).find((m) => m.externalChatId === phone),
      20_000,
      `the message of ${phone} in Bitrix24`,
    );
  const stored = (phone: string) =>
    s.deps.db
      .selectFrom('messages')
      .innerJoin('conversations', 'conversations.id', 'messages.conversation_id')
      .select(['messages.content', 'conversations.customer_name'])
      .where('conversations.customer_phone', '=', phone)
      .executeTakeFirstOrThrow();

  it('relays inbound texts, sender names and payload keys with lone surrogates or NUL, U+FFFD in their place', async () => {
    const sends = [
      { from: '5491100007001', name: 'Ana', text: 'a\ud800b\udc00c' },
      { from: '5491100007002', name: 'Jo\udbffsé', text: 'hola' },
      { from: '5491100007003', name: 'Eva', text: 'clave', payload: { 'k\ud800': 'v\udfff' } },
      { from: '5491100007004', name: 'Nul', text: 'x\u0000y' },
    ];
    for (const o of sends) {
      const r = await s.gupshup.customerSends({ appName: ch.appName, ...o });
      expect(r.statuses, o.from).toEqual([200]);
    }
    expect((await inBitrix('5491100007001')).text).toBe('a\ufffdb\ufffdc');
    expect((await inBitrix('5491100007002')).text).toBe('hola');
    expect((await inBitrix('5491100007003')).text).toBe('clave');
    expect((await inBitrix('5491100007004')).text).toBe('x\ufffdy');

    expect(await stored('5491100007002')).toMatchObject({
      customer_name: 'Jo\ufffdsé',
      content: { name: 'Jo\ufffdsé' },
    });
    const withKey = (await stored('5491100007003')).content as { payload: Record<string, unknown> };
    expect(withKey.payload).toMatchObject({ 'k\ufffd': 'v\ufffd', text: 'clave' });
  });

  it('keeps a typed backslash-u sequence as the text the customer wrote', async () => {
    const r = await s.gupshup.customerSends({
      appName: ch.appName,
      from: '5491100007005',
      text: 'escribí \\ud800 y \\u0000 a mano',
    });
    expect(r.statuses).toEqual([200]);
    expect((await inBitrix('5491100007005')).text).toBe('escribí \\ud800 y \\u0000 a mano');
  });

  it('applies status events whose reason or WhatsApp id carry lone surrogates', async () => {
    const phone = '5491100007010';
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'hola' });
    await inBitrix(phone);

    s.gupshup.failNextDelivery({ destination: phone, code: 1002, reason: 'No \ud800 existe', stage: 'sync' });
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'primero', signature: false });
    const failed = await waitFor(
      () =>
        s.deps.db
          .selectFrom('messages')
          .select(['error_code', 'error_detail'])
          .where('direction', '=', 'out')
          .where('status', '=', 'failed')
          .where('content', '@>', JSON.stringify({ text: 'primero' }))
          .executeTakeFirst(),
      20_000,
      'the failed message',
    );
    expect(failed.error_code).toBe('1002');
    expect(failed.error_detail).toContain('No \ufffd existe');

    // Gupshup stops at `sent` for this one: the `read` below is ours.
    s.gupshup.setStatusFlow(['enqueued', 'sent']);
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'segundo', signature: false });
    const sent = await waitFor(() =>
      s.gupshup.sent({ destination: phone }).find((m) => m.message.text === 'segundo'),
    );
    await s.gupshup.settle();
    s.gupshup.setStatusFlow(['enqueued', 'sent', 'delivered', 'read']);
    const res = await postJson({
      app: ch.appName,
      timestamp: Date.now(),
      version: 2,
      type: 'message-event',
      payload: {
        id: 'wamid.\ud800bad',
        gsId: sent.messageId,
        type: 'read',
        destination: phone,
        payload: { ts: Math.floor(Date.now() / 1000) },
      },
    });
    expect(res.status).toBe(200);
    // The running worker may hold the job already: wait for it to finish rather than drain.
    const job = await waitFor(
      async () => {
        const j = await s.deps.db
          .selectFrom('jobs')
          .select(['status', 'payload'])
          .where('dedupe_key', '=', `st:${ch.id}:${sent.messageId}:read:wamid.\ufffdbad`)
          .executeTakeFirst();
        return j && j.status !== 'pending' && j.status !== 'running' ? j : undefined;
      },
      20_000,
      'the status job',
    );
    expect(job).toMatchObject({ status: 'done', payload: { event: { id: 'wamid.\ufffdbad' } } });
    const read = await s.deps.db
      .selectFrom('messages')
      .select('status')
      .where('gupshup_message_id', '=', sent.messageId)
      .executeTakeFirstOrThrow();
    expect(read.status).toBe('read');
  });

  it('sends an operator text with invalid UTF-8 bytes in its form, U+FFFD in place of only those bytes', async () => {
    const phone = '5491100007020';
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'hola' });
    await inBitrix(phone);
    // The sandbox portal form-encodes a lone surrogate as the bytes ED A0 80 (%ED%A0%80), as PHP
    // would send a string holding them: invalid UTF-8 in the middle of an otherwise good text.
    const op = await s.portal.operatorSend({
      line: 1,
      externalChatId: phone,
      text: 'Precio: 10\ud800€ [b]hoy[/b] ñandú',
      signature: false,
    });
    expect(op.responses.map((r) => r.status)).toEqual([200]);
    const sent = await waitFor(() => s.gupshup.sent({ destination: phone })[0]);
    expect(sent.message).toEqual({ type: 'text', text: 'Precio: 10\ufffd\ufffd\ufffd€ *hoy* ñandú' });
  });
});
