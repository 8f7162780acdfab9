/**
 * Real AVAXUSDT 5-minute bars for the pattern tests, resampled at test time from the shared 1-minute
 * klines. ../shared/data/SOURCES.md: those files are read from `../shared/data/` (relative to the
 * project root) and never copied into the project, so no derived bar file is committed; tests skip
 * with AVAX_1M_ABSENT where the file is not there.
 *
 * Same resampling and the same rows as test/fixtures/patterns/make_ohlc.py (the reference script):
 * open of the first minute, max high, min low, close of the last minute, summed volume; bars stamped
 * at their close (end = open time of the first minute + 5 min); ROWS bars from 2026-07-01 00:00 UTC.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** ../shared/data/binance_um_AVAXUSDT-1m-2026-07.csv, relative to the project root. */
export const AVAX_1M = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'binance_um_AVAXUSDT-1m-2026-07.csv');
export const AVAX_1M_ABSENT = `${AVAX_1M} is absent (real data is read from ../shared/data, never copied into the project; see its SOURCES.md)`;

export const AVAX_5M_START = 1782864000000; // 2026-07-01 00:00 UTC
export const AVAX_5M_ROWS = 1500;
const FIVE = 300_000;

export interface Avax5mBar {
  end: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** Whether the shared 1-minute file is there (tests skip with AVAX_1M_ABSENT when not). */
export function avax1mPresent(file: string = AVAX_1M): boolean {
  return existsSync(file);
}

/** The 5-minute bars make_ohlc.py selects, in time order. */
export function avax5mBars(file: string = AVAX_1M): Avax5mBar[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const header = (lines[0] as string).trim().split(',');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${file}: no ${name} column`);
    return i;
  };
  const [ti, oi, hi, li, ci, vi] = ['open_time', 'open', 'high', 'low', 'close', 'volume'].map(col) as [number, number, number, number, number, number];
  const stop = AVAX_5M_START + AVAX_5M_ROWS * FIVE;
  const bars = new Map<number, Avax5mBar>();
  for (const line of lines.slice(1)) {
    if (line.trim() === '') continue;
    const c = line.split(',');
    const t = Number(c[ti]);
    if (t < AVAX_5M_START) continue;
    const b0 = t - ((t - AVAX_5M_START) % FIVE);
    if (b0 >= stop) break;
    const [open, high, low, close, volume] = [c[oi], c[hi], c[li], c[ci], c[vi]].map(Number) as [number, number, number, number, number];
    const b = bars.get(b0);
    if (b === undefined) {
      bars.set(b0, { end: b0 + FIVE, open, high, low, close, volume });
    } else {
      if (high > b.high) b.high = high;
      if (low < b.low) b.low = low;
      b.close = close;
      b.volume += volume;
    }
  }
  return [...bars.values()].sort((a, b) => a.end - b.end);
}

/** The bars as make_ohlc.py prints them: `end,open,high,low,close,volume`, for `tickflow ingest --format ohlcv-csv`. */
export function avax5mCsv(bars: readonly Avax5mBar[]): string {
  return ['end,open,high,low,close,volume', ...bars.map((b) => `${b.end},${b.open},${b.high},${b.low},${b.close},${b.volume}`)].join('\n') + '\n';
}
