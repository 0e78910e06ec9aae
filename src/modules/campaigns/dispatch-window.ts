import { DateTime, IANAZone } from 'luxon';

/**
 * The campaign's working-hours window (migration 0022): ISO weekdays (1 = Monday … 7 = Sunday) and
 * the minutes of the day [from, to) in the campaign's time zone. Pure, given the instant.
 */
export interface SendWindow {
  days: number[];
  from: number;
  to: number;
  timeZone: string;
}

export function validZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/** Open now, or closed until `opensAt` (ms; the next opening within the coming week). */
export function windowAt(w: SendWindow, now: number): { open: true } | { open: false; opensAt: number } {
  const zone = validZone(w.timeZone) ? w.timeZone : 'UTC';
  const t = DateTime.fromMillis(now, { zone });
  const minute = t.hour * 60 + t.minute;
  if (w.days.includes(t.weekday) && minute >= w.from && minute < w.to) return { open: true };
  for (let d = 0; d <= 7; d++) {
    const day = t.startOf('day').plus({ days: d });
    if (!w.days.includes(day.weekday)) continue;
    // The wall-clock hour, not minutes after midnight: a day the clocks change has 23 or 25 hours.
    const opens = day.set({ hour: Math.floor(w.from / 60), minute: w.from % 60 });
    if (opens.toMillis() > now) return { open: false, opensAt: opens.toMillis() };
  }
  return { open: false, opensAt: now + 86_400_000 };
}

/** 'HH:MM' ↔ minutes of the day (24:00 is the end of the day). */
export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h ?? 0) * 60 + (m ?? 0);
}

export function hhmmOf(minutes: number): string {
  const h = Math.floor(minutes / 60);
  return `${String(h).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}
