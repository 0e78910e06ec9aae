import { describe, expect, it } from 'vitest';
import { holidayCalendar, type CalendarOptions } from '../../src/modules/notifications/holidays.js';
import {
  PRESETS,
  checkTimeZone,
  formatWeekdays,
  isOpen,
  nextDigestAt,
  nextOpening,
  parseClock,
  parseWeekdays,
  scheduleFromInput,
  type Schedule,
  type ScheduleContext,
} from '../../src/modules/notifications/schedule.js';

const AR = 'America/Argentina/Buenos_Aires';
const ctxFor = (
  country: string,
  timeZone: string,
  extra: Partial<CalendarOptions> = {},
): ScheduleContext => ({
  timeZone,
  holidays: holidayCalendar({ country, timeZone, ...extra }),
});
const ar = ctxFor('AR', AR);
const madrid = ctxFor('ES', 'Europe/Madrid');
const custom = (
  days: Schedule['days'],
  from: string,
  to: string,
  holidays: 'skip' | 'allow' = 'skip',
): Schedule => ({
  days,
  from: parseClock(from) as number,
  to: parseClock(to) as number,
  holidays,
});
const nightFridays = custom([5], '22:00', '06:00');

// Instants are written in UTC; the comment gives the local time they stand for.
const open: [string, Schedule, ScheduleContext, string, boolean][] = [
  ['AR working, Monday 10:00', PRESETS.working, ar, '2026-06-01T13:00:00Z', true],
  ['AR working, Monday 08:59', PRESETS.working, ar, '2026-06-01T11:59:00Z', false],
  ['AR working, Monday 17:59', PRESETS.working, ar, '2026-06-01T20:59:00Z', true],
  ['AR working, Monday 18:00 (end excluded)', PRESETS.working, ar, '2026-06-01T21:00:00Z', false],
  ['AR working, Saturday 10:00', PRESETS.working, ar, '2026-06-06T13:00:00Z', false],
  ['AR working, 25 May (public holiday, Monday)', PRESETS.working, ar, '2026-05-25T13:00:00Z', false],
  ['AR extended, 25 May', PRESETS.extended, ar, '2026-05-25T13:00:00Z', false],
  ['AR extended, Monday 08:00', PRESETS.extended, ar, '2026-06-01T11:00:00Z', true],
  ['AR extended, Monday 20:59', PRESETS.extended, ar, '2026-06-01T23:59:00Z', true],
  ['AR full-time, 25 May 10:00', PRESETS.full_time, ar, '2026-05-25T13:00:00Z', true],
  ['AR full-time, Sunday 07:00', PRESETS.full_time, ar, '2026-06-07T10:00:00Z', true],
  ['AR full-time, Sunday 06:59', PRESETS.full_time, ar, '2026-06-07T09:59:00Z', false],
  ['AR full-time, Sunday 23:00', PRESETS.full_time, ar, '2026-06-08T02:00:00Z', false],
  ['AR working, 23 March (optional bridge day)', PRESETS.working, ar, '2026-03-23T13:00:00Z', false],
  ['AR working, 2 April (public and bank holiday)', PRESETS.working, ar, '2026-04-02T13:00:00Z', false],
  ['AR working, 24 December 10:00 (holiday from noon)', PRESETS.working, ar, '2026-12-24T13:00:00Z', true],
  ['AR working, 24 December 13:00', PRESETS.working, ar, '2026-12-24T16:00:00Z', false],
  [
    'AR working, 25 May removed by the admin',
    PRESETS.working,
    ctxFor('AR', AR, { removedDates: ['2026-05-25'] }),
    '2026-05-25T13:00:00Z',
    true,
  ],
  [
    'AR working, a bridge day added by the admin',
    PRESETS.working,
    ctxFor('AR', AR, { extraDates: ['2026-06-02'] }),
    '2026-06-02T13:00:00Z',
    false,
  ],
  ['Madrid working, Friday 08:30 CET', PRESETS.working, madrid, '2026-03-27T07:30:00Z', false],
  [
    'Madrid working, same UTC time on Monday after DST: 09:30 CEST',
    PRESETS.working,
    madrid,
    '2026-03-30T07:30:00Z',
    true,
  ],
  ['Madrid working, Epiphany', PRESETS.working, madrid, '2026-01-06T10:00:00Z', false],
  [
    'New York extended, Monday after DST ends: 08:00 EST',
    PRESETS.extended,
    ctxFor('US', 'America/New_York'),
    '2026-11-02T13:00:00Z',
    true,
  ],
  [
    'New York extended, 07:30 EST',
    PRESETS.extended,
    ctxFor('US', 'America/New_York'),
    '2026-11-02T12:30:00Z',
    false,
  ],
  [
    'São Paulo full-time, 07:00 (no DST)',
    PRESETS.full_time,
    ctxFor('BR', 'America/Sao_Paulo'),
    '2026-11-01T10:00:00Z',
    true,
  ],
  [
    'Warsaw working, 11 November',
    PRESETS.working,
    ctxFor('PL', 'Europe/Warsaw'),
    '2026-11-11T09:00:00Z',
    false,
  ],
  ['Unknown country: no holidays', PRESETS.working, ctxFor('XX', AR), '2026-05-25T13:00:00Z', true],
  ['Overnight Fridays 22–06, Friday 22:00', nightFridays, ar, '2026-06-06T01:00:00Z', true],
  ['Overnight Fridays 22–06, Saturday 03:00 (Friday window)', nightFridays, ar, '2026-06-06T06:00:00Z', true],
  [
    'Overnight Fridays 22–06, Friday 03:00 (Thursday window)',
    nightFridays,
    ar,
    '2026-06-05T06:00:00Z',
    false,
  ],
  ['Overnight Fridays 22–06, Saturday 06:00', nightFridays, ar, '2026-06-06T09:00:00Z', false],
  ['Whole day 00:00–24:00, Monday 23:59', custom([1], '00:00', '24:00'), ar, '2026-06-02T02:59:00Z', true],
];

describe('isOpen', () => {
  it.each(open)('%s', (_name, schedule, ctx, at, expected) => {
    expect(isOpen(new Date(at), schedule, ctx)).toBe(expected);
  });
});

const next: [string, Schedule, ScheduleContext, string, string | null][] = [
  ['open now: now', PRESETS.working, ar, '2026-06-01T13:00:00Z', '2026-06-01T13:00:00.000Z'],
  ['Friday evening → Monday 09:00', PRESETS.working, ar, '2026-06-05T22:00:00Z', '2026-06-08T12:00:00.000Z'],
  [
    'Friday before a Monday holiday → Tuesday 09:00',
    PRESETS.working,
    ar,
    '2026-05-22T22:00:00Z',
    '2026-05-26T12:00:00.000Z',
  ],
  [
    '24 December afternoon → Monday 28th',
    PRESETS.working,
    ar,
    '2026-12-24T16:00:00Z',
    '2026-12-28T12:00:00.000Z',
  ],
  [
    'Madrid Saturday → Monday 09:00 CEST',
    PRESETS.working,
    madrid,
    '2026-03-28T11:00:00Z',
    '2026-03-30T07:00:00.000Z',
  ],
  [
    'A window starting in the spring-forward gap opens when the clock jumps',
    custom([7], '02:30', '05:00'),
    madrid,
    '2026-03-29T00:00:00Z',
    '2026-03-29T01:30:00.000Z',
  ],
  [
    'Full-time on a holiday night → 07:00',
    PRESETS.full_time,
    ar,
    '2026-05-25T03:00:00Z',
    '2026-05-25T10:00:00.000Z',
  ],
  ['No weekdays: never', { ...PRESETS.working, days: [] }, ar, '2026-06-01T13:00:00Z', null],
];

describe('nextOpening', () => {
  it.each(next)('%s', (_name, schedule, ctx, at, expected) => {
    expect(nextOpening(new Date(at), schedule, ctx)?.toISOString() ?? null).toBe(expected);
  });
});

describe('nextDigestAt: at most one digest per interval, only after an event, only in hours', () => {
  const base = { intervalMinutes: 120, schedule: PRESETS.working, ctx: ar };
  const at = (iso: string) => new Date(iso);

  it('nothing happened: no digest', () => {
    expect(
      nextDigestAt({ ...base, firstPendingEventAt: null, lastDigestAt: at('2026-06-01T13:00:00Z') }),
    ).toBeNull();
  });
  it('an event 5 minutes after a digest waits for the interval', () => {
    const due = nextDigestAt({
      ...base,
      lastDigestAt: at('2026-06-01T13:00:00Z'),
      firstPendingEventAt: at('2026-06-01T13:05:00Z'),
    });
    expect(due?.toISOString()).toBe('2026-06-01T15:00:00.000Z');
  });
  it('an event long after the last digest goes at once', () => {
    const due = nextDigestAt({
      ...base,
      lastDigestAt: at('2026-06-01T12:00:00Z'),
      firstPendingEventAt: at('2026-06-01T16:10:00Z'),
    });
    expect(due?.toISOString()).toBe('2026-06-01T16:10:00.000Z');
  });
  it('an interval ending after hours waits for the next morning', () => {
    const due = nextDigestAt({
      ...base,
      lastDigestAt: at('2026-06-01T20:00:00Z'), // 17:00 local
      firstPendingEventAt: at('2026-06-01T20:30:00Z'),
    });
    expect(due?.toISOString()).toBe('2026-06-02T12:00:00.000Z');
  });
  it('an event at night waits for the window', () => {
    const due = nextDigestAt({
      ...base,
      lastDigestAt: null,
      firstPendingEventAt: at('2026-06-02T06:00:00Z'),
    });
    expect(due?.toISOString()).toBe('2026-06-02T12:00:00.000Z');
  });
  it('the interval cannot go below 15 minutes', () => {
    const due = nextDigestAt({
      ...base,
      intervalMinutes: 1,
      lastDigestAt: at('2026-06-01T13:00:00Z'),
      firstPendingEventAt: at('2026-06-01T13:01:00Z'),
    });
    expect(due?.toISOString()).toBe('2026-06-01T13:15:00.000Z');
  });
});

describe('input as the seed writes it', () => {
  it('weekday codes in es, en and pt, any case and accents', () => {
    expect(parseWeekdays('LU,MA,MI,JU,VI,SA')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(parseWeekdays('lu, mi')).toEqual([1, 3]);
    expect(parseWeekdays('SÁB,DOM')).toEqual([6, 7]);
    expect(parseWeekdays('fri mon mon')).toEqual([1, 5]);
    expect(formatWeekdays([5, 1, 3])).toBe('LU,MI,VI');
  });
  it('refuses unknown days and empty lists', () => {
    expect(parseWeekdays('LU,XX')).toEqual({ code: 'bad_weekday', value: 'XX' });
    expect(parseWeekdays(' , ')).toEqual({ code: 'no_weekdays' });
  });
  it('clock times', () => {
    expect(parseClock('09:00')).toBe(540);
    expect(parseClock('9:30')).toBe(570);
    expect(parseClock('24:00')).toBe(1440);
    expect(parseClock('24:01')).toEqual({ code: 'bad_time', value: '24:01' });
    expect(parseClock('25:00')).toEqual({ code: 'bad_time', value: '25:00' });
    expect(parseClock('9h')).toEqual({ code: 'bad_time', value: '9h' });
  });
  it('custom schedules and presets', () => {
    expect(scheduleFromInput({ preset: 'extended' })).toBe(PRESETS.extended);
    expect(
      scheduleFromInput({ preset: 'custom', days: 'LU,VI', from: '22:00', to: '06:00', holidays: 'allow' }),
    ).toEqual({
      days: [1, 5],
      from: 1320,
      to: 360,
      holidays: 'allow',
    });
    expect(
      scheduleFromInput({ preset: 'custom', days: 'LU', from: '10:00', to: '10:00', holidays: 'skip' }),
    ).toEqual({
      code: 'empty_window',
    });
    expect(
      scheduleFromInput({ preset: 'custom', days: 'LU', from: '24:00', to: '06:00', holidays: 'skip' }),
    ).toEqual({
      code: 'empty_window',
    });
  });
  it('time zones must be IANA names', () => {
    expect(checkTimeZone(AR)).toBe(AR);
    expect(checkTimeZone('Mars/Olympus')).toEqual({ code: 'bad_time_zone', value: 'Mars/Olympus' });
    expect(checkTimeZone('GMT-3')).toEqual({ code: 'bad_time_zone', value: 'GMT-3' });
  });
});
