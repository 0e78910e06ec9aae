import { DateTime, Info } from 'luxon';
import type { HolidayCalendar } from './holidays.js';

/**
 * When a group may receive a digest. Pure: the clock, the time zone and the holidays come in.
 *
 * A schedule is a daily window on chosen weekdays in the portal's time zone (IANA, so DST changes
 * are the library's business, not ours), and whether it also runs on holidays. A window whose end
 * is not after its start runs past midnight (22:00–06:00) and belongs to the weekday it starts on.
 */
export type Weekday = 1 | 2 | 3 | 4 | 5 | 6 | 7; // Monday = 1, as ISO and luxon count

export interface Schedule {
  days: readonly Weekday[];
  /** Minutes after local midnight, 0–1439. */
  from: number;
  /** Minutes after local midnight, 1–1440; `to <= from` means the window ends the next day. */
  to: number;
  holidays: 'skip' | 'allow';
}

export type PresetName = 'working' | 'extended' | 'full_time';

const WEEK: Weekday[] = [1, 2, 3, 4, 5];
/** The seed's presets: Working Mon–Fri 9–18, Extended Mon–Fri 8–21, Full-time every day and holidays 7–23. */
export const PRESETS: Record<PresetName, Schedule> = {
  working: { days: WEEK, from: 9 * 60, to: 18 * 60, holidays: 'skip' },
  extended: { days: WEEK, from: 8 * 60, to: 21 * 60, holidays: 'skip' },
  full_time: { days: [...WEEK, 6, 7], from: 7 * 60, to: 23 * 60, holidays: 'allow' },
};

export interface ScheduleContext {
  timeZone: string;
  holidays: HolidayCalendar;
}

/** Whether a digest may go out at `now`. */
export function isOpen(now: Date, s: Schedule, ctx: ScheduleContext): boolean {
  const t = DateTime.fromJSDate(now, { zone: ctx.timeZone });
  const minute = t.hour * 60 + t.minute;
  let windowDay: DateTime;
  if (s.from < s.to) {
    if (minute < s.from || minute >= s.to) return false;
    windowDay = t;
  } else if (minute >= s.from) {
    windowDay = t;
  } else if (minute < s.to) {
    windowDay = t.minus({ days: 1 });
  } else {
    return false;
  }
  if (!s.days.includes(windowDay.weekday as Weekday)) return false;
  return s.holidays === 'allow' || ctx.holidays.at(now) === null;
}

/** The first instant at or after `now` when the schedule is open; null if none within `horizonDays`. */
export function nextOpening(now: Date, s: Schedule, ctx: ScheduleContext, horizonDays = 21): Date | null {
  if (isOpen(now, s, ctx)) return now;
  const local = DateTime.fromJSDate(now, { zone: ctx.timeZone }).startOf('day');
  const horizon = local.plus({ days: horizonDays + 1 }).toJSDate();
  const candidates: Date[] = ctx.holidays.endsBetween(now, horizon);
  for (let k = 0; k <= horizonDays; k++) {
    // A start inside a DST gap (02:30 on a spring-forward night) is moved forward by luxon.
    const start = local.plus({ days: k }).set({ hour: Math.floor(s.from / 60), minute: s.from % 60 });
    candidates.push(start.toJSDate());
  }
  return (
    candidates
      .filter((c) => c.getTime() > now.getTime())
      .sort((a, b) => a.getTime() - b.getTime())
      .find((c) => isOpen(c, s, ctx)) ?? null
  );
}

export const DIGEST_INTERVAL = { min: 15, default: 120, max: 24 * 60 } as const;

/**
 * When the group's next digest is due, or null when there is nothing to tell. A digest needs at
 * least one event since the last one, waits `intervalMinutes` after the last one, and goes out at
 * the first open minute after that: an event at night waits for the morning. Deterministic in its
 * inputs, so every worker and every retry computes the same instant.
 */
export function nextDigestAt(o: {
  firstPendingEventAt: Date | null;
  lastDigestAt: Date | null;
  intervalMinutes: number;
  schedule: Schedule;
  ctx: ScheduleContext;
}): Date | null {
  if (!o.firstPendingEventAt) return null;
  const interval = Math.min(Math.max(o.intervalMinutes, DIGEST_INTERVAL.min), DIGEST_INTERVAL.max);
  const afterLast = o.lastDigestAt ? o.lastDigestAt.getTime() + interval * 60_000 : 0;
  const earliest = new Date(Math.max(afterLast, o.firstPendingEventAt.getTime()));
  return nextOpening(earliest, o.schedule, o.ctx);
}

// ---- input: the seed writes weekdays as "LU,MA,MI,JU,VI,SA" and hours as "09:00" -------------

const DAY_CODES: Record<string, Weekday> = {
  LU: 1,
  MA: 2,
  MI: 3,
  JU: 4,
  VI: 5,
  SA: 6,
  DO: 7, // es (the seed)
  MON: 1,
  TUE: 2,
  WED: 3,
  THU: 4,
  FRI: 5,
  SAT: 6,
  SUN: 7, // en
  SEG: 1,
  TER: 2,
  QUA: 3,
  QUI: 4,
  SEX: 5,
  SAB: 6,
  DOM: 7, // pt
};

export type ScheduleError =
  | { code: 'bad_weekday'; value: string }
  | { code: 'no_weekdays' }
  | { code: 'bad_time'; value: string }
  | { code: 'empty_window' }
  | { code: 'bad_time_zone'; value: string };

export function parseWeekdays(text: string): Weekday[] | ScheduleError {
  const tokens = text
    .split(/[\s,;]+/)
    .map((t) => t.normalize('NFD').replace(/\p{M}/gu, '').toUpperCase())
    .filter(Boolean);
  if (tokens.length === 0) return { code: 'no_weekdays' };
  const days = new Set<Weekday>();
  for (const token of tokens) {
    const day = DAY_CODES[token];
    if (!day) return { code: 'bad_weekday', value: token.slice(0, 20) };
    days.add(day);
  }
  return [...days].sort((a, b) => a - b);
}

export function formatWeekdays(days: readonly Weekday[]): string {
  const es = ['LU', 'MA', 'MI', 'JU', 'VI', 'SA', 'DO'];
  return [...days]
    .sort((a, b) => a - b)
    .map((d) => es[d - 1])
    .join(',');
}

/** `HH:MM` → minutes after midnight; `24:00` is the end of the day. */
export function parseClock(text: string): number | ScheduleError {
  const m = /^([01]?\d|2[0-4]):([0-5]\d)$/.exec(text.trim());
  const minutes = m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  if (!m || minutes > 1440) return { code: 'bad_time', value: text.slice(0, 20) };
  return minutes;
}

export function formatClock(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

/** A preset by name, or a custom schedule from what an admin typed. */
export function scheduleFromInput(
  input:
    | { preset: PresetName }
    | { preset: 'custom'; days: string; from: string; to: string; holidays: 'skip' | 'allow' },
): Schedule | ScheduleError {
  if (input.preset !== 'custom') return PRESETS[input.preset];
  const days = parseWeekdays(input.days);
  if (!Array.isArray(days)) return days;
  const from = parseClock(input.from);
  if (typeof from !== 'number') return from;
  const to = parseClock(input.to);
  if (typeof to !== 'number') return to;
  if (from === to || from === 1440) return { code: 'empty_window' };
  return { days, from, to, holidays: input.holidays };
}

export function checkTimeZone(zone: string): string | ScheduleError {
  return Info.isValidIANAZone(zone) ? zone : { code: 'bad_time_zone', value: zone.slice(0, 64) };
}
