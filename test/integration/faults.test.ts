import { beforeAll, describe, expect, it } from 'vitest';
import { api, connectChannel, installAndToken, waitFor, type DemoChannel } from '../../scripts/stack.js';
import { useStack } from '../helpers/stack.js';

/** Upstream faults delay work; they never drop or duplicate it. */
describe('upstream faults', () => {
  const s = useStack({ workerConfig: { backoffBaseMs: 100, backoffMaxMs: 800, maxAttempts: 6 } });
  let token: string;
  let ch: DemoChannel;
  beforeAll(async () => {
    token = await installAndToken(s);
    ch = await connectChannel(s, token, 1);
  });

  const customerTexts = (phone: string) =>
    s.portal
      .messages({ author: 'customer' })
      .filter((m) => m.externalChatId === phone)
      .map((m) => m.text);

  it('delivers everything exactly once when Bitrix24 answers QUERY_LIMIT_EXCEEDED for a while', async () => {
    const phone = '5491100002001';
    s.portal.outage({ ms: 1_500, status: 503, error: 'QUERY_LIMIT_EXCEEDED' });
    const texts = Array.from({ length: 12 }, (_, i) => `mensaje ${i + 1}`);
    for (const text of texts) await s.gupshup.customerSends({ appName: ch.appName, from: phone, text });
    await waitFor(
      () => customerTexts(phone).length >= texts.length,
      30_000,
      'all delivered after the outage',
    );
    await s.deps.worker.drain();
    expect(customerTexts(phone)).toEqual(texts); // once each, in order
    const refused = s.portal.calls().filter((c) => c.error === 'QUERY_LIMIT_EXCEEDED');
    expect(refused.length).toBeGreaterThan(0);
    const trace = await s.deps.db
      .selectFrom('trace')
      .select(['step', 'code'])
      .where('step', '=', 'retry_scheduled')
      .execute();
    expect(trace.some((t) => t.code === 'QUERY_LIMIT_EXCEEDED')).toBe(true);
  });

  it('delivers everything exactly once through 503/500 bursts', async () => {
    const phone = '5491100002002';
    s.portal.failNext({
      method: 'imconnector.send.messages',
      times: 4,
      status: 500,
      error: 'INTERNAL_SERVER_ERROR',
    });
    const texts = ['a', 'b', 'c'];
    for (const text of texts) await s.gupshup.customerSends({ appName: ch.appName, from: phone, text });
    await waitFor(() => customerTexts(phone).length >= 3, 30_000);
    await s.deps.worker.drain();
    expect(customerTexts(phone)).toEqual(texts);
  });

  it('sends once through Gupshup 5xx and 429 bursts, then acknowledges', async () => {
    const phone = '5491100002003';
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'hola' });
    await waitFor(() => customerTexts(phone).length === 1);
    s.gupshup.failNext({ times: 2, status: 503 });
    s.gupshup.failNext({ times: 1, status: 429, body: { message: 'Too Many Requests', status: 'error' } });
    const op = await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'respuesta' });
    await waitFor(
      () => s.portal.messages({ author: 'operator' }).find((m) => m.id === op.messageId && m.delivered),
      30_000,
      'ack',
    );
    expect(s.gupshup.sent({ destination: phone })).toHaveLength(1);
  });

  it('does not retry a send Gupshup refuses for good (bad API key): failed with the reason, visible', async () => {
    const phone = '5491100002004';
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'hola' });
    await waitFor(() => customerTexts(phone).length === 1);
    s.gupshup.failNext({
      times: 1,
      status: 401,
      body: { message: 'Authentication Failed', status: 'error' },
    });
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'no llegará' });
    const items = await waitFor(async () => {
      const r = await api<{
        items: Array<{
          status: string;
          error: { code: string } | null;
          history: Array<{ step: string; level: string }>;
        }>;
      }>(s, token, 'GET', '/messages?direction=out&status=failed');
      return r.body.items.length ? r.body.items : null;
    });
    expect(items[0]?.error?.code).toBe('401');
    expect(items[0]?.history.some((h) => h.step === 'failed' && h.level === 'ERROR')).toBe(true);
    expect(s.gupshup.sent({ destination: phone })).toHaveLength(0);

    // The channel shows Interrupted until a send goes through again.
    const interrupted = await api<{ status: string; statusReason: string }>(
      s,
      token,
      'GET',
      `/channels/${ch.id}`,
    );
    expect(interrupted.body).toMatchObject({ status: 'interrupted', statusReason: 'api_key_rejected' });
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'ahora sí' });
    await waitFor(() => s.gupshup.sent({ destination: phone }).length === 1, 20_000);
    const back = await waitFor(async () => {
      const r = await api<{ status: string }>(s, token, 'GET', `/channels/${ch.id}`);
      return r.body.status === 'active' ? r.body : null;
    });
    expect(back.status).toBe('active');
  });

  it('dead-letters after the retry budget and shows it, without blocking the chat’s later messages', async () => {
    const phone = '5491100002005';
    await s.gupshup.customerSends({ appName: ch.appName, from: phone, text: 'hola' });
    await waitFor(() => customerTexts(phone).length === 1);
    s.gupshup.failNext({ times: 6, status: 500 }); // exactly the retry budget
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'primero', signature: false });
    const dead = await waitFor(
      async () =>
        (
          await s.deps.db
            .selectFrom('jobs')
            .select(['id', 'status'])
            .where('topic', '=', 'outbound.send')
            .where('status', '=', 'dead')
            .execute()
        ).length > 0,
      60_000,
      'dead letter',
    );
    expect(dead).toBe(true);
    await s.portal.operatorSend({ line: 1, externalChatId: phone, text: 'segundo', signature: false });
    await waitFor(
      () =>
        s.gupshup
          .sent({ destination: phone })
          .some((m) => (m.message as { text: string }).text === 'segundo'),
      30_000,
    );
    const r = await api<{ items: Array<{ status: string; history: Array<{ step: string }> }> }>(
      s,
      token,
      'GET',
      '/messages?direction=out&status=dead',
    );
    expect(r.body.items[0]?.history.some((h) => h.step === 'dead_lettered')).toBe(true);
  }, 90_000);
});
