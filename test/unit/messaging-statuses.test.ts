import { describe, expect, it } from 'vitest';
import type { StatusEvent } from '../../src/integrations/gupshup/gupshup.webhook.js';
import { adoptionWindow, mayAdopt, statusChange } from '../../src/modules/messaging/statuses/status-rules.js';

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
