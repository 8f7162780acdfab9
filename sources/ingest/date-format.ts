import { IngestInputError } from './ingest-error.ts';

/**
 * A `--date-format` pattern: the tokens DD, MM (or MMM, a month name like Aug) and YYYY, each once,
 * joined by one separator `-`, `/` or `.` (DD-MM-YYYY, MM/DD/YYYY, DD.MM.YYYY, YYYY/MM/DD,
 * DD-MMM-YYYY). A cell is that date, optionally followed by ` HH:MM[:SS[.fff]]` (or `T`), and
 * optionally an offset (`Z`, `+05:30`): with an offset it is absolute, without one a naive local
 * time read in `--tz`.
 */
export const DATE_FORMAT_PATTERN = /^(DD|MMM|MM|YYYY)([-/.])(DD|MMM|MM|YYYY)\2(DD|MMM|MM|YYYY)$/;

export interface DateFormat {
  readonly pattern: string;
  readonly re: RegExp;
  /** Regex group of the year, month and day. */
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly monthNames: boolean;
}

/** A date-time without a zone. */
export interface NaiveParts {
  year: number; month: number; day: number; hour: number; minute: number; second: number; ms: number;
}

const MONTHS: Record<string, number> = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };

export function compileDateFormat(pattern: string): DateFormat {
  const m = DATE_FORMAT_PATTERN.exec(pattern);
  const tokens = m ? [m[1]!, m[3]!, m[4]!] : [];
  const kinds = tokens.map((t) => (t === 'MMM' ? 'MM' : t));
  if (!m || new Set(kinds).size !== 3) {
    throw new IngestInputError(`--date-format ${JSON.stringify(pattern)}: expected DD, MM (or MMM) and YYYY once each, joined by - / or . (e.g. DD-MM-YYYY, MM/DD/YYYY, DD-MMM-YYYY)`);
  }
  const sep = m[2] === '.' ? '\\.' : m[2]!;
  const part = (t: string): string => (t === 'YYYY' ? '(\\d{4})' : t === 'MMM' ? '([A-Za-z]{3})' : '(\\d{1,2})');
  const re = new RegExp(`^${tokens.map(part).join(sep)}(?:[ T](\\d{1,2}):(\\d{2})(?::(\\d{2})(?:\\.(\\d{1,9}))?)?)?\\s*(Z|[+-]\\d{2}:?\\d{2})?$`, 'i');
  return { pattern, re, year: tokens.indexOf('YYYY') + 1, month: kinds.indexOf('MM') + 1, day: tokens.indexOf('DD') + 1, monthNames: tokens.includes('MMM') };
}

/** The date-time of a cell in `fmt` and its offset in ms (null: naive), or null when it does not match. */
export function matchDateFormat(text: string, fmt: DateFormat): { parts: NaiveParts; offsetMs: number | null } | null {
  const m = fmt.re.exec(text);
  if (!m) return null;
  const monthText = m[fmt.month]!;
  const month = fmt.monthNames ? MONTHS[monthText.toLowerCase()] : Number(monthText);
  if (month === undefined) return null;
  const frac = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  const parts: NaiveParts = { year: +m[fmt.year]!, month, day: +m[fmt.day]!, hour: +(m[4] ?? 0), minute: +(m[5] ?? 0), second: +(m[6] ?? 0), ms: frac };
  if (parts.month < 1 || parts.month > 12 || parts.day < 1 || parts.day > 31 || parts.hour > 24 || parts.minute > 59 || parts.second > 60) return null;
  const off = m[8];
  if (off === undefined) return { parts, offsetMs: null };
  if (off.toUpperCase() === 'Z') return { parts, offsetMs: 0 };
  const o = /^([+-])(\d{2}):?(\d{2})$/.exec(off)!;
  return { parts, offsetMs: (o[1] === '-' ? -1 : 1) * (Number(o[2]) * 60 + Number(o[3])) * 60_000 };
}
