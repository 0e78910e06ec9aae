import { describe, expect, it } from 'vitest';
import type { MessageBilling, ReserveResult } from '../../src/modules/billing/ports.js';
import type { LoadedMessage } from '../../src/modules/messaging/messages.repository.js';
import { refFor, SendCharge } from '../../src/modules/messaging/outbound/charge.js';
import type { ChargeRepository } from '../../src/modules/messaging/outbound/charge.repository.js';
import type { JobRow } from '../../src/shared/db/schema.js';

/** The send path's billing rules (outbound/charge.ts) against fake ports: no database, no Gupshup. */
const HOUR = 3_600_000;

function harness(o: { available: number; credited?: boolean; heldAgoMs?: number; enforced?: boolean }) {
  const calls: string[] = [];
  let available = o.available;
  let credited = o.credited ?? true;
  const reservations = new Map<string, ReserveResult['state']>();
  const billing: MessageBilling = {
    reserve: async (_p, ref) => {
      calls.push(`reserve ${ref}`);
      const state = reservations.get(ref);
      if (state) return { outcome: 'exists', reservationId: 1, state, available };
      if (available < 1) return { outcome: 'insufficient', reservationId: null, state: null, available };
      available--;
      reservations.set(ref, 'reserved');
      return { outcome: 'reserved', reservationId: 1, state: 'reserved', available };
    },
    settle: async () => ({ outcome: 'settled', reservationId: 1, state: 'settled' }),
    release: async () => ({ outcome: 'released', reservationId: 1, state: 'released' }),
    settleMessage: async () => null,
    releaseMessage: async (_p, ref) => {
      calls.push(`release ${ref}`);
      return null;
    },
    startTrial: async (_p, units) => {
      calls.push('trial');
      if (credited) return false;
      credited = true;
      available += units;
      return true;
    },
  };
  const heldAt = new Date(Date.now() - (o.heldAgoMs ?? 0));
  const repo = {
    db: {},
    transaction: async (fn: (tx: unknown) => Promise<unknown>) => fn({}),
    charged: async (_tx: unknown, _id: number, ref: string) => void calls.push(`charged ${ref}`),
    hold: async () => ({ heldAt, first: o.heldAgoMs === undefined }),
    scheduleSweep: async () => undefined,
  } as unknown as ChargeRepository;
  const charge = new SendCharge({
    billing,
    repo,
    messages: {
      trace: async (...e) => void calls.push(...e.map((x) => `trace ${x.step}`)),
      queueNoteFor: async (_id, code) => void calls.push(`note ${code}`),
    },
    channels: { interrupt: async (_c, reason) => void calls.push(`interrupt ${reason}`) },
    enforced: o.enforced ?? true,
    holdMs: 72 * HOUR,
    settleAfterMs: HOUR,
    trial: { units: 50, validityDays: 14 },
  });
  return { charge, calls, reservations };
}

const message = (over: Partial<LoadedMessage> = {}) =>
  ({ id: 7, portal_id: 1, channel_id: 'ch-1', billing_ref: null, held_at: null, ...over }) as LoadedMessage;
const job = (over: Partial<JobRow> = {}) => ({ id: 70, attempts: 1, dedupe_key: 'out:7', ...over }) as JobRow;

describe('the message ref of a send', () => {
  it("is the send job's dedupe key: the same across retries, new for a replay", () => {
    expect(refFor(7, { dedupe_key: 'out:7' })).toBe('out:7');
    expect(refFor(7, { dedupe_key: 'out:7:replay:1700000000000' })).toBe('out:7:replay:1700000000000');
    expect(refFor(7, { dedupe_key: null })).toBe('out:7');
    // A job of another message never lends its key.
    expect(refFor(7, { dedupe_key: 'out:8' })).toBe('out:7');
  });
});

describe('charging a send', () => {
  it('reserves one unit before the send and records it on the message; a retry finds it', async () => {
    const h = harness({ available: 3 });
    expect(await h.charge.before(message(), job())).toBeUndefined();
    expect(await h.charge.before(message({ billing_ref: 'out:7' }), job({ attempts: 2 }))).toBeUndefined();
    expect(h.calls).toEqual(['reserve out:7', 'charged out:7', 'reserve out:7', 'charged out:7']);
  });

  it('charges nothing when billing is off', async () => {
    const h = harness({ available: 0, enforced: false });
    expect(await h.charge.before(message(), job())).toBeUndefined();
    expect(h.calls).toEqual([]);
  });

  it('gives a portal never credited its trial at the first send, then sends', async () => {
    const h = harness({ available: 0, credited: false });
    expect(await h.charge.before(message(), job())).toBeUndefined();
    expect(h.calls).toEqual(['reserve out:7', 'trial', 'reserve out:7', 'charged out:7']);
  });

  it('holds at zero balance: the trace, the note and the channel once, then waits without spending attempts', async () => {
    const h = harness({ available: 0 });
    const out = await h.charge.before(message(), job());
    expect(out).toEqual({
      kind: 'retry',
      error: 'held: no_message_units',
      delayMs: 300_000,
      countAttempt: false,
    });
    expect(h.calls).toEqual([
      'reserve out:7',
      'trial',
      'reserve out:7',
      'trace held_no_units',
      'note no_message_units',
      'interrupt no_message_units',
    ]);
    const again = harness({ available: 0, heldAgoMs: HOUR });
    await again.charge.before(message(), job());
    expect(again.calls).toEqual(['reserve out:7', 'trial', 'reserve out:7']);
  });

  it('sends when another send started the trial between its reserve and its own trial (a digest’s recipients)', async () => {
    const h = harness({ available: 0, credited: false });
    const first = h.charge.before(message(), job());
    // The other message's reserve found nothing, then the first one's trial came in.
    const other = h.charge.before(message({ id: 8 }), job({ id: 80, dedupe_key: 'out:8' }));
    expect(await first).toBeUndefined();
    expect(await other).toBeUndefined();
    expect(h.calls.filter((c) => c.startsWith('charged'))).toEqual(['charged out:7', 'charged out:8']);
  });

  it('dead-letters a message held longer than the hold', async () => {
    const h = harness({ available: 0, heldAgoMs: 72 * HOUR + 1 });
    expect(await h.charge.before(message(), job())).toEqual({
      kind: 'dead',
      error: 'hold_expired: held 72 h with no message units',
    });
  });

  it('a reservation this job had given back is replaced by a new one; a replay releases the old one', async () => {
    const h = harness({ available: 3 });
    h.reservations.set('out:7', 'released');
    expect(await h.charge.before(message(), job({ id: 70, attempts: 3 }))).toBeUndefined();
    expect(h.calls).toEqual(['reserve out:7', 'reserve out:7:70.3', 'charged out:7:70.3']);
    const r = harness({ available: 3 });
    await r.charge.before(message({ billing_ref: 'out:7' }), job({ dedupe_key: 'out:7:replay:1' }));
    expect(r.calls).toEqual(['reserve out:7:replay:1', 'release out:7', 'charged out:7:replay:1']);
  });
});
