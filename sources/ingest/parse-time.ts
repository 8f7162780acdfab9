import { zonedToUtc } from '../../processors/calendar/index.ts';
import { matchDateFormat, type DateFormat, type NaiveParts } from './date-format.ts';

/**
 * Turns a time cell into epoch ms, or a reason it cannot:
 * - digits of 8, 12 or 14 characters that read as a calendar date (YYYYMMDD, YYYYMMDDHHMM,
 *   YYYYMMDDHHMMSS, years 1970-2100) are a naive local time;
 * - other numbers are epoch time, unit by magnitude: < 1e11 seconds, < 1e14 milliseconds,
 *   < 1e17 microseconds, else nanoseconds (1e11 s is the year 5138; 1e11 ms is 1973);
 * - ISO 8601 with `Z` or an offset is absolute;
 * - `YYYY-MM-DD[ T]HH:MM[:SS[.fff]]`, `YYYY-MM-DD`, `DD-Mon-YYYY[ HH:MM[:SS]]` without an offset
 *   are naive local times, which need a zone;
 * - with a `--date-format` (date-format.ts), a cell in that layout is read first by it (day-first
 *   dates such as 18-08-2026 are ambiguous otherwise and are not guessed).
 */
export type TimeResult = { ok: true; ts: number } | { ok: false; reason: 'unparseable-time' | 'naive-time-without-tz' };

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const ISO_ABS = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;
const ISO_NAIVE = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?$/;
const DMY = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})(?: (\d{2}):(\d{2})(?::(\d{2}))?)?$/;
const COMPACT = /^(\d{4})(\d{2})(\d{2})(?:(\d{2})(\d{2})(\d{2})?)?$/;

/** Epoch number -> ms by magnitude (see the rule above). */
export function epochToMs(n: number): number {
  const a = Math.abs(n);
  if (a < 1e11) return Math.round(n * 1000);
  if (a < 1e14) return Math.round(n);
  if (a < 1e17) return Math.floor(n / 1000);
  return Math.floor(n / 1e6);
}

export type { NaiveParts };

function valid(p: NaiveParts): boolean {
  return p.year >= 1970 && p.year <= 2100 && p.month >= 1 && p.month <= 12 && p.day >= 1 && p.day <= 31 &&
    p.hour <= 24 && p.minute <= 59 && p.second <= 60;
}

/** A naive (zone-less) date-time, or null when the text is not one of the naive layouts. */
export function parseNaive(text: string): NaiveParts | null {
  let m = COMPACT.exec(text);
  if (m && (text.length === 8 || text.length === 12 || text.length === 14)) {
    const p = { year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: +(m[4] ?? 0), minute: +(m[5] ?? 0), second: +(m[6] ?? 0), ms: 0 };
    return valid(p) ? p : null;
  }
  m = ISO_NAIVE.exec(text);
  if (m) {
    const frac = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
    const p = { year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: +(m[4] ?? 0), minute: +(m[5] ?? 0), second: +(m[6] ?? 0), ms: frac };
    return valid(p) ? p : null;
  }
  m = DMY.exec(text);
  if (m) {
    const month = MONTHS[m[2]!.toLowerCase()];
    if (month === undefined) return null;
    const p = { year: +m[3]!, month, day: +m[1]!, hour: +(m[4] ?? 0), minute: +(m[5] ?? 0), second: +(m[6] ?? 0), ms: 0 };
    return valid(p) ? p : null;
  }
  return null;
}

export function parseTime(cell: unknown, tz: string | undefined, format?: DateFormat): TimeResult {
  if (typeof cell === 'number' || typeof cell === 'bigint') return fromEpoch(Number(cell));
  if (cell instanceof Date) return Number.isFinite(cell.getTime()) ? { ok: true, ts: cell.getTime() } : { ok: false, reason: 'unparseable-time' };
  if (typeof cell !== 'string') return { ok: false, reason: 'unparseable-time' };
  const text = cell.trim();
  if (text === '') return { ok: false, reason: 'unparseable-time' };
  if (format !== undefined) {
    const f = matchDateFormat(text, format);
    if (f !== null) {
      const p = f.parts;
      if (f.offsetMs !== null) return { ok: true, ts: Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second, p.ms) - f.offsetMs };
      if (tz === undefined) return { ok: false, reason: 'naive-time-without-tz' };
      return { ok: true, ts: zonedToUtc(p.year, p.month, p.day, p.hour, p.minute, p.second, p.ms, tz) };
    }
  }
  const naive = parseNaive(text);
  if (naive) {
    if (tz === undefined) return { ok: false, reason: 'naive-time-without-tz' };
    return { ok: true, ts: zonedToUtc(naive.year, naive.month, naive.day, naive.hour, naive.minute, naive.second, naive.ms, tz) };
  }
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text)) return fromEpoch(Number(text));
  if (ISO_ABS.test(text)) {
    const ts = Date.parse(text.replace(' ', 'T'));
    if (Number.isFinite(ts)) return { ok: true, ts };
  }
  return { ok: false, reason: 'unparseable-time' };
}

function fromEpoch(n: number): TimeResult {
  return Number.isFinite(n) && n > 0 ? { ok: true, ts: epochToMs(n) } : { ok: false, reason: 'unparseable-time' };
}
