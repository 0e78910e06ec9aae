import { describe, expect, it } from 'vitest';
import type { Bitrix24Client } from '../../src/integrations/bitrix24/bitrix24.client.js';
import { BOUND_EVENTS, Bitrix24Connector } from '../../src/integrations/bitrix24/bitrix24.connector.js';
import { ProviderError } from '../../src/shared/errors.js';

/** The app's event bindings go out as one `batch` (reference/bitrix24.md §6.4); what its answer means. */
describe('Bitrix24Connector.bindEvents', () => {
  const connector = new Bitrix24Connector({} as Bitrix24Client, 'whatsappb24_gupshup');
  const handler = 'https://app.example.com/b24/events';
  const answering = (resultError: unknown) => {
    const calls: Array<{ method: string; params: unknown }> = [];
    const call = (method: string, params: unknown) => {
      calls.push({ method, params });
      return Promise.resolve({ result: {}, result_error: resultError });
    };
    return { calls, call: call as Parameters<Bitrix24Connector['bindEvents']>[0] };
  };

  it('one batch call with one event.bind per event, the handler encoded in each command', async () => {
    const { calls, call } = answering([]);
    await connector.bindEvents(call, handler);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.method).toBe('batch');
    const cmd = (calls[0]?.params as { halt: number; cmd: Record<string, string> }).cmd;
    expect(Object.keys(cmd)).toHaveLength(BOUND_EVENTS.length);
    const first = new URLSearchParams(cmd.e0?.split('?')[1]);
    expect(first.get('event')).toBe(BOUND_EVENTS[0]);
    expect(first.get('handler')).toBe(handler);
  });

  it('bindings that already exist count as done', async () => {
    const { call } = answering({
      e0: { error: 'ERROR_HANDLER_ALREADY_EXIST', error_description: 'Handler already binded' },
    });
    await expect(connector.bindEvents(call, handler)).resolves.toBeUndefined();
  });

  it('any other refusal fails with its code; a passing one may be retried', async () => {
    const denied = answering({ e3: { error: 'ACCESS_DENIED', error_description: 'no scope' } });
    const err = await connector.bindEvents(denied.call, handler).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ providerCode: 'ACCESS_DENIED', retryable: false });
    const busy = answering({ e1: { error: 'QUERY_LIMIT_EXCEEDED' } });
    await expect(connector.bindEvents(busy.call, handler)).rejects.toMatchObject({ retryable: true });
  });

  it('an answer it cannot read is a retryable BAD_ANSWER, not a silent success', async () => {
    const { call } = answering('nonsense');
    await expect(connector.bindEvents(call, handler)).rejects.toMatchObject({
      providerCode: 'BAD_ANSWER',
      retryable: true,
    });
  });
});
