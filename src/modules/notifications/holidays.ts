import { createRequire } from 'node:module';
import type Holidays from 'date-holidays';
import { DateTime } from 'luxon';

/**
 * date-holidays carries every country's calendar, about 10 MB resident once loaded: it is loaded on
 * the first schedule that needs holidays, not at start-up, so an app without notifications does not
 * pay for it (the bench's peak RSS target is 200 MB).
 */
const loadModule = createRequire(import.meta.url);
let holidaysClass: typeof Holidays | undefined;
function holidaysLib(): typeof Holidays {
  return (holidaysClass ??= loadModule('date-holidays') as typeof Holidays);
}

/**
 * National holidays for a portal's country, as instants. A holiday is an interval, not a date: in
 * Argentina 24 and 31 December are holidays from 12:00 only, so a morning digest still goes out.
 *
 * Which kinds count (reference/payments-and-sms.md §6.1): `public` days and the `optional` bridge
 * days ("día no laborable con fines turísticos") that offices close on; not `bank` or `observance`.
 * An admin can add dates the library does not know yet (bridge days are decreed yearly) and remove
 * dates the business works on.
 */
export interface HolidayCalendar {
  /** The holiday `instant` falls in, or null. */
  at(instant: Date): HolidaySpan | null;
  /** Ends of holidays in [from, to), so a search for the next open minute can jump past them. */
  endsBetween(from: Date, to: Date): Date[];
}

export interface HolidaySpan {
  name: string;
  start: Date;
  end: Date;
}

export interface CalendarOptions {
  /** ISO 3166-1 alpha-2, e.g. `AR`. Unknown or empty: no holidays. */
  country: string;
  /** IANA time zone the holidays are local to, e.g. `America/Argentina/Buenos_Aires`. */
  timeZone: string;
  /** Extra whole-day holidays, `YYYY-MM-DD` local dates. */
  extraDates?: readonly string[];
  /** Local dates that are not holidays for this business even if the library says so. */
  removedDates?: readonly string[];
}

const COUNTED_TYPES = new Set(['public', 'optional']);

export function holidayCalendar(o: CalendarOptions): HolidayCalendar {
  const removed = new Set(o.removedDates ?? []);
  const extra = new Set(o.extraDates ?? []);
  const lib = loadCountry(o.country, o.timeZone);
  const byYear = new Map<number, HolidaySpan[]>();

  const spansOf = (year: number): HolidaySpan[] => {
    let spans = byYear.get(year);
    if (!spans) {
      spans = [];
      const seen = new Set<string>();
      for (const h of lib?.getHolidays(year) ?? []) {
        const day = h.date.slice(0, 10);
        if (!COUNTED_TYPES.has(h.type) || removed.has(day)) continue;
        const key = `${h.start.toISOString()}/${h.end.toISOString()}`;
        if (seen.has(key)) continue;
        seen.add(key);
        spans.push({ name: h.name, start: h.start, end: h.end });
      }
      for (const day of extra) {
        if (!day.startsWith(`${year}-`) || removed.has(day)) continue;
        spans.push({ name: 'custom', ...localDayBounds(day, o.timeZone) });
      }
      spans.sort((a, b) => a.start.getTime() - b.start.getTime());
      byYear.set(year, spans);
    }
    return spans;
  };
  // A holiday's interval may start in the previous UTC year (local midnight of 1 January).
  const around = (d: Date) =>
    [d.getUTCFullYear() - 1, d.getUTCFullYear(), d.getUTCFullYear() + 1].flatMap(spansOf);

  return {
    at(instant) {
      const t = instant.getTime();
      return around(instant).find((s) => s.start.getTime() <= t && t < s.end.getTime()) ?? null;
    },
    endsBetween(from, to) {
      const a = from.getTime();
      const b = to.getTime();
      const years = new Set([...around(from), ...around(to)]);
      return [...years].map((s) => s.end).filter((e) => e.getTime() >= a && e.getTime() < b);
    },
  };
}

function loadCountry(country: string, timeZone: string): Holidays | null {
  if (!/^[A-Z]{2}$/.test(country)) return null;
  const lib = new (holidaysLib())();
  if (!(country in lib.getCountries())) return null;
  lib.init(country, { timezone: timeZone, languages: ['es', 'en', 'pt'] });
  return lib;
}

/** Start and end instants of a local calendar day (23 or 25 hours long on a DST change). */
function localDayBounds(day: string, zone: string): { start: Date; end: Date } {
  const start = DateTime.fromISO(day, { zone }).startOf('day');
  return { start: start.toJSDate(), end: start.plus({ days: 1 }).toJSDate() };
}
