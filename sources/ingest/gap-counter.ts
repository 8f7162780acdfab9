import { isAlwaysOpen, isInSession, type SessionCalendar } from '../../processors/calendar/index.ts';

/**
 * Missing candle starts strictly between two consecutive candles of one series that fall inside
 * the calendar's sessions (for crypto: every missing interval). Counted, never filled.
 */
export function missingIntervals(cal: SessionCalendar, prevStart: number, nextStart: number, interval: number): number {
  const steps = Math.floor((nextStart - prevStart) / interval) - 1;
  if (steps <= 0) return 0;
  if (isAlwaysOpen(cal)) return steps;
  let n = 0;
  for (let t = prevStart + interval; t < nextStart; t += interval) if (isInSession(cal, t)) n++;
  return n;
}
