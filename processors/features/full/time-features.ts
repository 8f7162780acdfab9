import type { OptionChainSnapshot } from '../../../schemas/option-chain-snapshot.ts';
import { CALENDARS, isCalendarName, localParts, sessionCloseOn, sessionOpen, type CalendarName } from '../../calendar/index.ts';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export function assertCalendar(name: string): asserts name is CalendarName {
  if (!isCalendarName(name)) {
    throw new RangeError(`time features: unknown session calendar "${name}" (known: ${Object.keys(CALENDARS).join(', ')})`);
  }
}

/**
 * Minutes since the current session opened, evaluated at t (the bar close, when the vector is
 * known), from the session calendar (processors/calendar). crypto: the session is the UTC day, so
 * minutes since 00:00 UTC (0..1439). Others: null on a day without a session or outside
 * [open, close] of that local day (t = close is the close-stamped last bar of the session).
 */
export function minutesSinceOpen(calendar: CalendarName, t: number): number | null {
  if (calendar === 'crypto') return Math.floor((((t % DAY_MS) + DAY_MS) % DAY_MS) / MINUTE_MS);
  const cal = CALENDARS[calendar];
  const open = sessionOpen(cal, t);
  if (open === null || t < open) return null;
  const p = localParts(t, cal.zone);
  if (t > sessionCloseOn(cal, p.year, p.month, p.day)) return null;
  return Math.floor((t - open) / MINUTE_MS);
}

/** Day of week of t in the calendar's zone (UTC for crypto), 0 = Sunday .. 6 = Saturday. */
export function dayOfWeek(calendar: CalendarName, t: number): number {
  // 1970-01-01 was a Thursday (4); the UTC case needs no time-zone data.
  if (calendar === 'crypto') return (((Math.floor(t / DAY_MS) + 4) % 7) + 7) % 7;
  return localParts(t, CALENDARS[calendar].zone).weekday;
}

/**
 * Hours from t to the nearest expiry listed in the chain that is still after t (a stale snapshot
 * may list one that has expired since); null without a chain or such an expiry.
 */
export function hoursToExpiry(chain: OptionChainSnapshot | null, t: number): number | null {
  if (chain === null) return null;
  let best: number | null = null;
  for (const c of chain.contracts) if (c.expiry > t && (best === null || c.expiry < best)) best = c.expiry;
  return best === null ? null : (best - t) / HOUR_MS;
}
