import { describe, expect, it } from 'vitest';
import type { StatusEvent } from '../../src/integrations/gupshup/gupshup.webhook.js';
import {
  adoptionWindow,
  foldStatuses,
  mayAdopt,
  statusChange,
} from '../../src/modules/messaging/statuses/status-rules.js';

const advances = (current: string, incoming: string) => statusChange(current, incoming).advances;

describe('status ranks: a message’s status only moves forward', () => {
  it('follows enqueued < sent < delivered < read', () => {
    expect(advances('submitted', 'enqueued')).toBe(true);
    expect(advances('enqueued', 'sent')).toBe(true);
    expect(advances('sent', 'delivered')).toBe(true);
    expect(advances('delivered', 'read')).toBe(true);
    expect(advances('sent', 'read')).toBe(true);
  });

  it('never lets a late or repeated event take it back: a late sent never overrides read', () => {
    expect(advances('read', 'sent')).toBe(false);
    expect(advances('read', 'delivered')).toBe(false);
    expect(advances('delivered', 'enqueued')).toBe(false);
    expect(advances('delivered', 'delivered')).toBe(false);
  });

  it('lets failed win until the message was delivered', () => {
    expect(statusChange('submitted', 'failed')).toEqual({ advances: true, isFailure: true });
    expect(statusChange('sent', 'failed')).toEqual({ advances: true, isFailure: true });
    expect(statusChange('delivered', 'failed')).toEqual({ advances: false, isFailure: true });
    expect(statusChange('read', 'failed')).toEqual({ advances: false, isFailure: true });
  });

  it('moves a failed message no further, and ignores statuses it does not know', () => {
    expect(advances('failed', 'failed')).toBe(false);
    expect(advances('failed', 'delivered')).toBe(false);
    expect(advances('failed', 'read')).toBe(false);
    expect(advances('sent', 'mystery')).toBe(false);
  });
});

describe('adopting an event for a send whose answer was lost', () => {
  const event = (o: Partial<StatusEvent>): StatusEvent => ({
    kind: 'status',
    app: undefined,
    status: 'enqueued',
    gupshupId: 'gs-1',
    hasGsId: false,
    id: 'gs-1',
    destination: '5491100000000',
    code: undefined,
    reason: undefined,
    whatsappMessageId: undefined,
    timestampMs: Date.parse('2026-03-10T12:00:00Z'),
    ...o,
  });

  it('only considers the events Gupshup sends for its own id right after accepting a send', () => {
    expect(mayAdopt(event({ status: 'enqueued' }))).toBe(true);
    expect(mayAdopt(event({ status: 'failed' }))).toBe(true);
    expect(mayAdopt(event({ status: 'sent' }))).toBe(false);
    expect(mayAdopt(event({ status: 'delivered' }))).toBe(false);
    expect(mayAdopt(event({ status: 'enqueued', hasGsId: true }))).toBe(false);
  });

  it('looks for an attempt begun before the event (5 s of skew) and not long before', () => {
    const s = event({});
    const { from, to } = adoptionWindow(s);
    expect(to.getTime() - s.timestampMs).toBe(5_000);
    expect(s.timestampMs - from.getTime()).toBe(105_000);
  });
});

describe('several events of one message folded in order (status.apply batches)', () => {
  const orders = [
    ['enqueued', 'sent', 'delivered', 'read'],
    ['read', 'delivered', 'sent', 'enqueued'],
    ['sent', 'read', 'sent', 'delivered'],
    ['delivered', 'enqueued', 'delivered'],
  ];

  it('ends where the highest status puts it, in any order, as one-by-one statusChange does', () => {
    for (const events of orders) {
      let one = 'submitted';
      for (const e of events) if (statusChange(one, e).advances) one = e;
      expect(foldStatuses('submitted', events).status).toBe(one);
    }
    expect(foldStatuses('submitted', ['read', 'sent']).status).toBe('read');
    expect(foldStatuses('failed', ['read']).status).toBe('failed');
  });

  it('tells each event the status it found, and stamps delivered / read only when they moved it', () => {
    expect(foldStatuses('submitted', ['read', 'delivered', 'sent'])).toEqual({
      steps: [
        { found: 'submitted', advances: true },
        { found: 'read', advances: false },
        { found: 'read', advances: false },
      ],
      status: 'read',
      delivered: false,
      read: true,
    });
    expect(foldStatuses('sent', ['delivered', 'delivered', 'read'])).toEqual({
      steps: [
        { found: 'sent', advances: true },
        { found: 'delivered', advances: false },
        { found: 'delivered', advances: true },
      ],
      status: 'read',
      delivered: true,
      read: true,
    });
  });
});
