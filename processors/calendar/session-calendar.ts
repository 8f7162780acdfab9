import { localParts, zonedToUtc } from './zoned-time.ts';

/**
 * A market's regular session: [open, close) local time in `zone` on `days`. Exchange holidays
 * are not modelled (a holiday looks like a trading day with no data).
 */
export interface SessionCalendar {
  name: string;
  zone: string;
  /** Minutes after local midnight. 24/7 markets use 0 and 1440. */
  openMinute: number;
  closeMinute: number;
  /** Weekdays with a session, 0 = Sunday. */
  days: readonly number[];
}

const WEEKDAYS = [1, 2, 3, 4, 5] as const;

export const CALENDARS = {
  crypto: { name: 'crypto', zone: 'UTC', openMinute: 0, closeMinute: 1440, days: [0, 1, 2, 3, 4, 5, 6] },
  nse: { name: 'nse', zone: 'Asia/Kolkata', openMinute: 9 * 60 + 15, closeMinute: 15 * 60 + 30, days: WEEKDAYS },
  'us-equity': { name: 'us-equity', zone: 'America/New_York', openMinute: 9 * 60 + 30, closeMinute: 16 * 60, days: WEEKDAYS },
} as const satisfies Record<string, SessionCalendar>;

export type CalendarName = keyof typeof CALENDARS;

export function isCalendarName(name: string): name is CalendarName {
  return Object.hasOwn(CALENDARS, name);
}

export function isAlwaysOpen(cal: SessionCalendar): boolean {
  return cal.days.length === 7 && cal.openMinute === 0 && cal.closeMinute >= 1440;
}

/** True when `ts` (epoch ms) falls in [open, close) of a session day. */
export function isInSession(cal: SessionCalendar, ts: number): boolean {
  if (isAlwaysOpen(cal)) return true;
  const p = localParts(ts, cal.zone);
  if (!cal.days.includes(p.weekday)) return false;
  const minute = p.hour * 60 + p.minute;
  return minute >= cal.openMinute && minute < cal.closeMinute;
}

/** Open instant of the session on the local date of `ts`, or null when that date has no session. */
export function sessionOpen(cal: SessionCalendar, ts: number): number | null {
  const p = localParts(ts, cal.zone);
  if (!cal.days.includes(p.weekday)) return null;
  return localTimeOn(cal, p.year, p.month, p.day, cal.openMinute);
}

/** Close instant of the session on a local date (used for expiry instants). */
export function sessionCloseOn(cal: SessionCalendar, year: number, month: number, day: number): number {
  return localTimeOn(cal, year, month, day, Math.min(cal.closeMinute, 1440));
}

function localTimeOn(cal: SessionCalendar, year: number, month: number, day: number, minuteOfDay: number): number {
  return zonedToUtc(year, month, day, Math.floor(minuteOfDay / 60), minuteOfDay % 60, 0, 0, cal.zone);
}
