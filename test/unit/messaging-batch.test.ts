import { describe, expect, it } from 'vitest';
import type { Bitrix24Client } from '../../src/integrations/bitrix24/bitrix24.client.js';
import {
  Bitrix24Connector,
  type InboundForBitrix,
} from '../../src/integrations/bitrix24/bitrix24.connector.js';
import {
  elementVerdict,
  requestMayHaveArrived,
  sendOneByOne,
  triageInbound,
  type InboundState,
} from '../../src/modules/messaging/inbound/batch-rules.js';
import { ProviderError } from '../../src/shared/errors.js';

const NOW = Date.parse('2026-03-10T12:00:00Z');

/** A fake of the REST client under the connector port: answers every call with `answer`. */
function connectorAnswering(answer: unknown): { connector: Bitrix24Connector; calls: string[] } {
  const calls: string[] = [];
  const client = {
    call: (_portalId: number, method: string) => {
      calls.push(method);
      return Promise.resolve(answer);
    },
  };
  return { connector: new Bitrix24Connector(client as unknown as Bitrix24Client, 'wab24'), calls };
}

const message = (n: number): InboundForBitrix => ({
  externalMessageId: `wamid.${n}`,
  date: NOW / 1000,
  text: `hola ${n}`,
  user: { id: '549110000000' },
  chat: { id: '549110000000' },
});

describe('batch outcomes: each element’s SUCCESS decides its own job', () => {
  it('is done for the delivered, retried for the refused only, reconciled when unreadable', async () => {
    const { connector, calls } = connectorAnswering({
      SUCCESS: true,
      DATA: {
        RESULT: [
          { SUCCESS: true, session: { CHAT_ID: 77 } },
          { SUCCESS: false, ERRORS: ['Chat not found'] },
          {},
          { SUCCESS: 'Y' },
        ],
      },
    });
    const results = await connector.sendMessages(1, 3, [1, 2, 3, 4].map(message));
    const verdicts = results.map(elementVerdict);
    expect(calls).toEqual(['imconnector.send.messages']);
    expect(verdicts.map((v) => v.kind)).toEqual(['delivered', 'refused', 'unknown', 'delivered']);
    expect(verdicts[0]).toEqual({ kind: 'delivered', chatId: 77 });
    expect(verdicts[1]).toMatchObject({
      error: 'Chat not found',
      outcome: { kind: 'retry', error: 'Bitrix24 refused the message: Chat not found' },
    });
    // Without a verdict the message may have been taken: retried as a reconciliation, not resent blind.
    expect(verdicts[2]).toMatchObject({ outcome: { kind: 'retry', countAttempt: true } });
  });

  it('counts a missing element as refused, so its message is tried again', () => {
    expect(elementVerdict(undefined)).toMatchObject({ kind: 'refused', error: 'no result' });
  });

  it('falls back to one message per call only when a batch is refused as a whole for good', () => {
    const bad = new ProviderError('bitrix24', 'send', 'bad', {
      status: 400,
      providerCode: 'ERROR_ARGUMENT',
      retryable: false,
    });
    const busy = new ProviderError('bitrix24', 'send', 'busy', { status: 503, retryable: true });
    expect(sendOneByOne(bad, 5)).toBe(true);
    expect(sendOneByOne(bad, 1)).toBe(false);
    expect(sendOneByOne(busy, 5)).toBe(false);
    expect(sendOneByOne(new Error('db'), 5)).toBe(false);
  });

  it('keeps the in-flight mark only when a failed call may have reached Bitrix24', () => {
    const answered = new ProviderError('bitrix24', 'send', 'x', { status: 500, retryable: true });
    const budget = new ProviderError('bitrix24', 'send', 'x', {
      providerCode: 'LOCAL_RATE_LIMIT',
      retryable: true,
    });
    const reset = new ProviderError('bitrix24', 'send', 'socket hang up', { retryable: true });
    expect(requestMayHaveArrived(answered)).toBe(false);
    expect(requestMayHaveArrived(budget)).toBe(false);
    expect(requestMayHaveArrived(new Error('db'))).toBe(false);
    expect(requestMayHaveArrived(reset)).toBe(true);
  });
});

describe('batch triage: order per chat and crash reconciliation', () => {
  const state = (o: Partial<InboundState>): InboundState => ({
    status: 'received',
    portal_status: 'active',
    channel_status: 'active',
    channel_line: 3,
    conversation_id: 10,
    attempt_started_at: null,
    ...o,
  });
  const triage = (m: InboundState | undefined, held = new Set<number>()) =>
    triageInbound(m, held, NOW, 120_000);

  it('sends a fresh message on its channel’s line', () => {
    expect(triage(state({}))).toMatchObject({ kind: 'send', line: 3 });
    expect(triage(state({ channel_status: 'interrupted' }))).toMatchObject({ kind: 'send', line: 3 });
  });

  it('settles what needs no call', () => {
    expect(triage(undefined)).toEqual({
      kind: 'outcome',
      outcome: { kind: 'dead', error: 'message not found' },
    });
    expect(triage(state({ status: 'delivered' }))).toEqual({ kind: 'outcome', outcome: { kind: 'done' } });
    expect(triage(state({ portal_status: 'uninstalled' }))).toMatchObject({ outcome: { kind: 'cancel' } });
    expect(triage(state({ channel_status: 'inactive' }))).toMatchObject({ outcome: { kind: 'dead' } });
    expect(triage(state({ channel_line: null }))).toMatchObject({ outcome: { kind: 'dead' } });
  });

  it('holds a chat whose earlier message may still be in flight, and its later messages with it', () => {
    const held = new Set<number>();
    const first = triage(state({ attempt_started_at: new Date(NOW - 5_000) }), held);
    expect(first).toMatchObject({ outcome: { kind: 'retry', delayMs: 40_050, countAttempt: false } });
    expect(triage(state({}), held)).toMatchObject({
      outcome: {
        kind: 'retry',
        error: 'waiting for an earlier message of the same chat',
        countAttempt: false,
      },
    });
    expect(triage(state({ conversation_id: 11 }), held)).toMatchObject({ kind: 'send' });
  });

  it('sends a marked message for reconciliation once every call started then must have ended', () => {
    const held = new Set<number>();
    expect(triage(state({ attempt_started_at: new Date(NOW - 45_000) }), held)).toMatchObject({
      kind: 'send',
    });
    expect(held.size).toBe(0);
  });
});
