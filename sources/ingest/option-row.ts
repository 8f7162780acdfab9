import { sessionCloseOn, zonedToUtc, type SessionCalendar } from '../../processors/calendar/index.ts';
import type { DateFormat } from './date-format.ts';
import type { FieldMap } from './field-map.ts';
import { IngestInputError } from './ingest-error.ts';
import { cellNumber, reject, type Parsed } from './parsed.ts';
import { implausiblePrice, implausibleSize } from './plausibility.ts';
import { matchDateFormat } from './date-format.ts';
import { epochToMs, parseNaive, parseTime } from './parse-time.ts';

/** One contract at one snapshot, as read from a long or wide chain file. IV in the file's unit. */
export interface OptionRow {
  ts: number;
  underlying: string;
  spot: number | null;
  expiry: number;
  strike: number;
  right: 'C' | 'P';
  bid: number | null;
  ask: number | null;
  last: number | null;
  ivRaw: number | null;
  delta: number | null;
  gamma: number | null;
  openInterest: number;
  volume: number;
  /** Values of the row that were dropped (the row kept without them), by reason: `iv-not-a-number` etc. */
  dropped?: string[];
}

export interface ChainContext {
  calendar: SessionCalendar;
  tz?: string;
  /** Underlying when the file has no symbol column (or to override it). */
  symbol?: string;
  /** `--map` column overrides (field-map.ts). */
  map?: FieldMap;
  /** `--date-format` of time and expiry cells. */
  dateFormat?: DateFormat;
  /** `--premium-in underlying`: last/bid/ask are in units of the underlying; times spot gives the quote currency. */
  premiumIn?: 'quote' | 'underlying';
}

const RIGHTS: Record<string, 'C' | 'P'> = { c: 'C', ce: 'C', call: 'C', p: 'P', pe: 'P', put: 'P' };

export function parseRight(cell: unknown): 'C' | 'P' | null {
  return typeof cell === 'string' ? (RIGHTS[cell.trim().toLowerCase()] ?? null) : null;
}

/**
 * Expiry instant: a date alone (18-Aug-2026, 2026-08-18, 20260818) means the market's close on
 * that date in the calendar's zone (NSE: 15:30 Asia/Kolkata); a date-time without offset is read
 * in that zone; ISO with an offset and epoch numbers are absolute.
 */
export function parseExpiry(cell: unknown, cal: SessionCalendar, format?: DateFormat): number | null {
  // Chains repeat a handful of expiry strings on every row: memoize the zone math per text.
  const key = typeof cell === 'string' ? `${cal.name}|${format?.pattern ?? ''}|${cell}` : null;
  if (key !== null && expiryCache.has(key)) return expiryCache.get(key) ?? null;
  const v = parseExpiryUncached(cell, cal, format);
  if (key !== null) {
    if (expiryCache.size > 10_000) expiryCache.clear();
    expiryCache.set(key, v);
  }
  return v;
}

const expiryCache = new Map<string, number | null>();

function parseExpiryUncached(cell: unknown, cal: SessionCalendar, format?: DateFormat): number | null {
  if (typeof cell === 'number' || typeof cell === 'bigint') return Number(cell) > 0 ? epochToMs(Number(cell)) : null;
  if (typeof cell !== 'string') return null;
  const text = cell.trim();
  const f = format !== undefined ? matchDateFormat(text, format) : null;
  if (f !== null && f.offsetMs === null && !/\d{1,2}:\d{2}/.test(text)) return sessionCloseOn(cal, f.parts.year, f.parts.month, f.parts.day);
  if (f !== null) {
    const r = parseTime(text, cal.zone, format);
    return r.ok ? r.ts : null;
  }
  const naive = parseNaive(text);
  if (naive) {
    const dateOnly = !/\d{1,2}:\d{2}/.test(text) && !(text.length > 8 && /^\d+$/.test(text));
    return dateOnly ? sessionCloseOn(cal, naive.year, naive.month, naive.day) : zonedToUtc(naive.year, naive.month, naive.day, naive.hour, naive.minute, naive.second, 0, cal.zone);
  }
  const r = parseTime(text, cal.zone);
  return r.ok ? r.ts : null;
}

let lastTime: { cell: unknown; tz: string | undefined; format: DateFormat | undefined; ts: number } | null = null;

export function snapshotTime(cell: unknown, ctx: ChainContext): Parsed<number> {
  // Rows of one snapshot share its time cell: reuse the last conversion.
  if (lastTime !== null && lastTime.cell === cell && lastTime.tz === ctx.tz && lastTime.format === ctx.dateFormat) return { ok: true, value: lastTime.ts };
  const r = parseTime(cell, ctx.tz, ctx.dateFormat);
  if (r.ok) lastTime = { cell, tz: ctx.tz, format: ctx.dateFormat, ts: r.ts };
  if (r.ok) return { ok: true, value: r.ts };
  if (r.reason === 'naive-time-without-tz') {
    throw new IngestInputError(`snapshot time ${JSON.stringify(cell)} has no UTC offset (naive local time); pass --tz <IANA zone>, e.g. --tz Asia/Kolkata`);
  }
  return reject(r.reason);
}

/** A price cell: null when absent or 0 (no trade / no quote); a reason when negative, not finite or implausibly large. */
export function priceCell(cell: unknown): Parsed<number | null> {
  const n = cellNumber(cell);
  if (n === null || n === 0) return { ok: true, value: null };
  if (!Number.isFinite(n)) return reject('non-finite');
  if (n < 0) return reject('non-positive-price');
  if (implausiblePrice(n)) return reject('implausible-price');
  return { ok: true, value: n };
}

/** A count cell (OI, volume): 0 when absent. */
export function countCell(cell: unknown): Parsed<number> {
  const n = cellNumber(cell);
  if (n === null) return { ok: true, value: 0 };
  if (!Number.isFinite(n)) return reject('non-finite');
  if (n < 0) return reject('negative-count');
  if (implausibleSize(n)) return reject('implausible-size');
  return { ok: true, value: n };
}

/** An optional analytic cell (IV, greeks): null when absent or not finite. IV 0 means unknown. */
export function optionalCell(cell: unknown): number | null {
  const n = cellNumber(cell);
  return n !== null && Number.isFinite(n) ? n : null;
}

/**
 * An optional analytic cell that is counted when dropped: null when absent; when present but not a
 * finite number (`abc`, NaN, Infinity) or outside [min, max], null and `${name}-not-a-number` or
 * `${name}-implausible` pushed to `dropped`.
 */
export function droppableCell(cell: unknown, name: string, min: number, max: number, dropped: string[]): number | null {
  const n = cellNumber(cell);
  if (n === null) return null;
  if (!Number.isFinite(n)) {
    dropped.push(`${name}-not-a-number`);
    return null;
  }
  if (n < min || n > max) {
    dropped.push(`${name}-implausible`);
    return null;
  }
  return n;
}
