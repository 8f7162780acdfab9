/**
 * Bundled, versioned time-zone rules for the zones of the session calendars (UTC, Asia/Kolkata,
 * America/New_York), so features computed from calendars (minutes since open, day of week) are a
 * function of tickflow's code alone, not of the time-zone data of the Node build that runs it.
 * The rules' version is a param of those features, so it is part of the feature-set hash: a
 * change of any rule here must bump ZONE_RULES_VERSION. test/unit/calendar/zone-rules.test.ts
 * checks every rule against the platform's IANA data, transitions included.
 *
 * Sources: IANA tz database `asia` (India: +05:30 since 1945-10-15) and `northamerica` (US rules
 * from the Energy Policy Act of 2005 (2007-), the Uniform Time Act as amended 1986 (1987-2006) and
 * 1976-1986; transitions at 02:00 local time).
 */
export const ZONE_RULES_VERSION = 'zones-1';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** The date of a day count since 1970-01-01 (H. Hinnant's civil_from_days). */
export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

/** 0 = Sunday .. 6 = Saturday of a day count since 1970-01-01 (a Thursday). */
export function weekdayOfDays(days: number): number {
  return (((days + 4) % 7) + 7) % 7;
}

/** Day count of the n-th (1-based) Sunday of a month, or of the last one with n = -1. */
function sunday(year: number, month: number, n: number): number {
  if (n > 0) {
    const first = daysFromCivil(year, month, 1);
    return first + ((7 - weekdayOfDays(first)) % 7) + (n - 1) * 7;
  }
  const last = (month === 12 ? daysFromCivil(year + 1, 1, 1) : daysFromCivil(year, month + 1, 1)) - 1;
  return last - weekdayOfDays(last);
}

/** US Eastern: UTC-5, UTC-4 in daylight time; transitions at 02:00 local (07:00 / 06:00 UTC). */
function usEastern(ts: number): number | null {
  const year = civilFromDays(Math.floor((ts - 5 * HOUR_MS) / DAY_MS)).year;
  let start: number;
  let end: number;
  if (year >= 2007) {
    start = sunday(year, 3, 2);
    end = sunday(year, 11, 1);
  } else if (year >= 1987) {
    start = sunday(year, 4, 1);
    end = sunday(year, 10, -1);
  } else if (year >= 1976) {
    start = sunday(year, 4, -1);
    end = sunday(year, 10, -1);
  } else {
    return null; // older rules are not bundled
  }
  const dstStart = start * DAY_MS + 7 * HOUR_MS; // 02:00 EST
  const dstEnd = end * DAY_MS + 6 * HOUR_MS; // 02:00 EDT
  return ts >= dstStart && ts < dstEnd ? -4 * HOUR_MS : -5 * HOUR_MS;
}

const IST_SINCE = daysFromCivil(1945, 10, 14) * DAY_MS + 18.5 * HOUR_MS; // 1945-10-15 00:00 IST

const RULES: Readonly<Record<string, (ts: number) => number | null>> = {
  UTC: () => 0,
  'Asia/Kolkata': (ts) => (ts >= IST_SINCE ? 330 * 60_000 : null),
  'America/New_York': usEastern,
};

/**
 * Offset (local minus UTC, ms) at instant `ts` from the bundled rules, or null where the zone or
 * that instant is not covered by them (the caller then uses the platform's data).
 */
export function bundledOffset(ts: number, zone: string): number | null {
  const rule = Object.hasOwn(RULES, zone) ? RULES[zone] : undefined;
  return rule === undefined ? null : rule(ts);
}
