import { describe, expect, it } from 'vitest';
import { windowAt } from '../../src/modules/campaigns/dispatch-window.js';
import {
  adjust,
  HALVE_EVERY_MS,
  MIN_FACTOR,
  pace,
  RECOVER_MS,
  type PaceState,
} from '../../src/modules/campaigns/throttle.js';

/**
 * Issue 14: the campaign throttle over a minute of simulated time. The channel's sends are modelled
 * as the outbound jobs run them: one queue, drained at the channel's Gupshup budget (the shared
 * `gs:<channelId>` bucket); chats arrive on their own; the dispatcher looks again when the throttle
 * says and queues what it is allowed.
 */
type Item = { kind: 'campaign' | 'chat'; at: number };

function simulate(o: {
  ratePerMinute: number;
  channelPerSec: number;
  chatsPerSec?: number;
  seconds?: number;
  factor?: number;
}) {
  const end = (o.seconds ?? 60) * 1000;
  const queue: Item[] = [];
  const sent = { campaign: 0, chat: 0 };
  let chatWaitMax = 0;
  let handedWhileChatsWaited = 0;
  let bucket = 0;
  let nextRun = 0;
  let nextChat = 0;
  let state: PaceState = { credit: 0, at: null };
  for (let t = 0; t < end; t += 5) {
    if (o.chatsPerSec && t >= nextChat) {
      queue.push({ kind: 'chat', at: t });
      nextChat = t + 1000 / o.chatsPerSec;
    }
    // The outbound sends: the channel's bucket, one second deep, first come first served.
    bucket = Math.min(Math.max(1, o.channelPerSec), bucket + (o.channelPerSec * 5) / 1000);
    while (bucket >= 1 && queue.length) {
      const item = queue.shift()!;
      bucket -= 1;
      sent[item.kind] += 1;
      if (item.kind === 'chat') chatWaitMax = Math.max(chatWaitMax, t - item.at);
    }
    if (t >= nextRun) {
      const chats = queue.filter((i) => i.kind === 'chat').length;
      const d = pace({
        now: t,
        ratePerMinute: o.ratePerMinute,
        channelPerSec: o.channelPerSec,
        factor: o.factor ?? 1,
        state,
        queuedAhead: queue.length - chats,
        chatsWaiting: chats,
        tierLeft: Infinity,
      });
      if (chats > 0) handedWhileChatsWaited += d.take;
      for (let k = 0; k < d.take; k++) queue.push({ kind: 'campaign', at: t });
      state = d.state;
      nextRun = t + d.waitMs;
    }
  }
  return { sent, chatWaitMax, handedWhileChatsWaited, queued: queue.length };
}

const within5 = (actual: number, expected: number) => {
  expect(actual).toBeGreaterThanOrEqual(expected * 0.95);
  expect(actual).toBeLessThanOrEqual(expected * 1.05);
};

describe('campaign throttle', () => {
  it('goes at the campaign’s cap when it is below the channel’s budget', () => {
    const r = simulate({ ratePerMinute: 600, channelPerSec: 20 });
    within5(r.sent.campaign, 600);
  });

  it('goes at the channel’s budget when the cap is above it, with about a second queued at most', () => {
    const r = simulate({ ratePerMinute: 6000, channelPerSec: 20 });
    within5(r.sent.campaign, 20 * 60);
    expect(r.queued).toBeLessThanOrEqual(20);
  });

  it('a slow cap (1 a minute) still sends its one a minute', () => {
    const r = simulate({ ratePerMinute: 1, channelPerSec: 20, seconds: 600 });
    expect(r.sent.campaign).toBeGreaterThanOrEqual(10);
    expect(r.sent.campaign).toBeLessThanOrEqual(11);
  });

  it('halved by AIMD, it goes at half', () => {
    const r = simulate({ ratePerMinute: 6000, channelPerSec: 20, factor: 0.5 });
    within5(r.sent.campaign, 10 * 60);
  });

  it('chats first: nothing is handed while chats wait, and a chat never waits behind more than a second', () => {
    const r = simulate({ ratePerMinute: 6000, channelPerSec: 20, chatsPerSec: 5 });
    expect(r.handedWhileChatsWaited).toBe(0);
    expect(r.sent.chat).toBeGreaterThanOrEqual(299);
    expect(r.chatWaitMax).toBeLessThanOrEqual(1_100);
    // The campaign takes what the chats leave of the channel.
    within5(r.sent.campaign + r.sent.chat, 20 * 60);
  });

  it('stops at the tier and waits', () => {
    const d = pace({
      now: 1000,
      ratePerMinute: 600,
      channelPerSec: 20,
      factor: 1,
      state: { credit: 5, at: 0 },
      queuedAhead: 0,
      chatsWaiting: 0,
      tierLeft: 2,
    });
    expect(d.take).toBe(2);
    const none = pace({ ...{ now: 2000, ratePerMinute: 600, channelPerSec: 20, factor: 1 }, state: d.state, queuedAhead: 0, chatsWaiting: 0, tierLeft: 0 }); // prettier-ignore
    expect(none).toMatchObject({ take: 0, reason: 'tier_limit' });
  });
});

describe('AIMD on Gupshup 429', () => {
  it('halves at each 429, not below the floor, and recovers by steps without one', () => {
    let a = { factor: 1, changedAt: null as number | null };
    a = adjust(a, 0, true);
    expect(a.factor).toBe(0.5);
    // The same 429 read again at the next look does not halve twice.
    expect(adjust(a, 100, true).factor).toBe(0.5);
    a = adjust(a, HALVE_EVERY_MS, true);
    expect(a.factor).toBe(0.25);
    expect(adjust(a, HALVE_EVERY_MS + 100, false).factor).toBe(0.25);
    a = adjust(a, HALVE_EVERY_MS + RECOVER_MS, false);
    expect(a.factor).toBeCloseTo(0.35);
    for (let i = 1; i <= 20; i++) a = adjust(a, HALVE_EVERY_MS * (10 + i), true);
    expect(a.factor).toBe(MIN_FACTOR);
    for (let i = 1; i <= 20; i++) a = adjust(a, HALVE_EVERY_MS * 40 + i * RECOVER_MS, false);
    expect(a.factor).toBe(1);
  });
});

describe('working-hours window', () => {
  // Mon–Fri 09:00–18:00 in Buenos Aires (UTC−3).
  const w = { days: [1, 2, 3, 4, 5], from: 540, to: 1080, timeZone: 'America/Argentina/Buenos_Aires' };
  it('open inside, closed outside until the next opening', () => {
    expect(windowAt(w, Date.parse('2026-12-02T13:00:00Z'))).toEqual({ open: true }); // Wed 10:00
    expect(windowAt(w, Date.parse('2026-12-02T21:00:00Z'))).toEqual({
      open: false,
      opensAt: Date.parse('2026-12-03T12:00:00Z'),
    }); // Wed 18:00 → Thu 09:00
    expect(windowAt(w, Date.parse('2026-12-05T13:00:00Z'))).toEqual({
      open: false,
      opensAt: Date.parse('2026-12-07T12:00:00Z'),
    }); // Sat → Mon 09:00
  });
  it('opens at the wall-clock hour on the days the clocks change (New York, DST)', () => {
    const ny = { days: [1, 2, 3, 4, 5, 6, 7], from: 540, to: 1080, timeZone: 'America/New_York' };
    // Sun 8 Mar 2026, 01:00 EST; clocks go forward at 02:00: opens 09:00 EDT (13:00Z), not 10:00.
    expect(windowAt(ny, Date.parse('2026-03-08T06:00:00Z'))).toEqual({
      open: false,
      opensAt: Date.parse('2026-03-08T13:00:00Z'),
    });
    // Sun 1 Nov 2026, 01:00 EDT; clocks go back at 02:00: opens 09:00 EST (14:00Z), not 08:00.
    expect(windowAt(ny, Date.parse('2026-11-01T05:00:00Z'))).toEqual({
      open: false,
      opensAt: Date.parse('2026-11-01T14:00:00Z'),
    });
  });
});
