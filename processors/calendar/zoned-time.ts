import { bundledOffset, civilFromDays, weekdayOfDays } from './zone-rules.ts';

/**
 * Wall-clock arithmetic in an IANA zone (no date library). The calendars' zones come from the
 * bundled, versioned rules in zone-rules.ts, so features do not depend on the Node build's
 * time-zone data; any other zone (e.g. `ingest --tz`) uses the platform's Intl data. Pure:
 * functions of their arguments only.
 */
export interface LocalParts {
  year: number;
  /** 1-12. */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday ... 6 = Saturday. */
  weekday: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (f === undefined) {
    // Throws RangeError for an unknown zone: callers validate user input with isValidZone first.
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', weekday: 'short',
      year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

export function isValidZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock date and time at instant `ts` (epoch ms) in `zone`. */
export function localParts(ts: number, zone: string): LocalParts {
  const offset = bundledOffset(ts, zone);
  if (offset !== null) return partsOf(ts + offset);
  const out: LocalParts = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, weekday: 0 };
  for (const p of formatter(zone).formatToParts(ts)) {
    switch (p.type) {
      case 'year': out.year = Number(p.value); break;
      case 'month': out.month = Number(p.value); break;
      case 'day': out.day = Number(p.value); break;
      case 'hour': out.hour = Number(p.value); break;
      case 'minute': out.minute = Number(p.value); break;
      case 'second': out.second = Number(p.value); break;
      case 'weekday': out.weekday = WEEKDAYS[p.value] ?? 0; break;
      default: break;
    }
  }
  return out;
}

/** Zone offset (local minus UTC, ms) in force at instant `ts`. */
export function zoneOffset(ts: number, zone: string): number {
  const bundled = bundledOffset(ts, zone);
  if (bundled !== null) return bundled;
  const whole = Math.floor(ts / 1000) * 1000;
  const p = localParts(whole, zone);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - whole;
}

/**
 * The instant at which the wall clock in `zone` shows the given date and time (ms included). In a
 * DST gap the result is shifted forward by the gap; in an overlap the earlier instant is chosen.
 */
export function zonedToUtc(year: number, month: number, day: number, hour: number, minute: number, second: number, ms: number, zone: string): number {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const first = asUtc - zoneOffset(asUtc, zone);
  const second2 = asUtc - zoneOffset(first, zone);
  return Math.min(first, second2);
}

/** Date and time of a local instant written as epoch ms (whole seconds, as Intl gives them). */
function partsOf(local: number): LocalParts {
  const days = Math.floor(local / 86_400_000);
  const msOfDay = local - days * 86_400_000;
  const { year, month, day } = civilFromDays(days);
  const seconds = Math.floor(msOfDay / 1000);
  return { year, month, day, hour: Math.floor(seconds / 3600), minute: Math.floor(seconds / 60) % 60, second: seconds % 60, weekday: weekdayOfDays(days) };
}
