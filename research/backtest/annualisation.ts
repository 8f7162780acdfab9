import type { Bar } from '../../schemas/index.ts';
import { CALENDARS, isInSession, type CalendarName } from '../../processors/calendar/index.ts';

/** Trading days a year: every day for 24/7 markets, the usual 252 for exchanges (holidays are not modelled). */
const TRADING_DAYS: Readonly<Record<CalendarName, number>> = { crypto: 365, nse: 252, 'us-equity': 252 };

/** Session minutes a trading day: crypto 1440, us-equity 390 (09:30-16:00), nse 375 (09:15-15:30). */
export function sessionMinutes(calendar: CalendarName): number {
  const c = CALENDARS[calendar];
  return c.closeMinute - c.openMinute;
}

/** Bars of `intervalMs` in a year of `calendar`'s sessions, e.g. us-equity 5m: 252 x 78 = 19,656. */
export function barsPerYear(calendar: CalendarName, intervalMs: number): number {
  return (TRADING_DAYS[calendar] * sessionMinutes(calendar) * 60_000) / intervalMs;
}

const DAY_MS = 86_400_000;

/**
 * The calendar a symbol's bars follow: an exchange calendar when at least 99 % of its bars start
 * inside that exchange's sessions and the bars span at least a day (a shorter series cannot tell a
 * 24/7 market from one session); crypto (24/7) otherwise. Pure: a function of the bars alone.
 */
export function detectCalendar(bars: readonly Bar[]): CalendarName {
  const first = bars[0];
  const last = bars[bars.length - 1];
  if (!first || !last || last.start - first.start < DAY_MS) return 'crypto';
  for (const name of ['us-equity', 'nse'] as const) {
    let inside = 0;
    for (const b of bars) if (isInSession(CALENDARS[name], b.start)) inside++;
    if (inside >= 0.99 * bars.length) return name;
  }
  return 'crypto';
}

/**
 * Bars per year of a portfolio whose equity moves at the union of its symbols' bar closes: the
 * 24/7 figure when any symbol trades around the clock, else the sum over the distinct exchange
 * calendars (NSE and US sessions do not overlap in UTC, so their bar closes add up).
 */
export function portfolioBarsPerYear(calendars: readonly CalendarName[], intervalMs: number): number {
  const distinct = [...new Set(calendars)].sort();
  if (distinct.length === 0 || distinct.includes('crypto')) return barsPerYear('crypto', intervalMs);
  let sum = 0;
  for (const c of distinct) sum += barsPerYear(c, intervalMs);
  return sum;
}
