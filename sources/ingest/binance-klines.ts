import type { CandleInput } from './candle-input.ts';
import type { CsvLine } from './csv-lines.ts';
import { cellNumber, reject, type Parsed } from './parsed.ts';
import { epochToMs } from './parse-time.ts';

/**
 * Binance's kline CSV (data.binance.vision): open_time, open, high, low, close, volume,
 * close_time, quote_volume, count, taker_buy_volume, taker_buy_quote_volume, ignore. The header
 * is optional (older files have none); times are epoch ms, or µs in spot files since 2025, told
 * apart by magnitude. close_time is the window's last instant, so end = close_time + 1 ms.
 */
export async function* binanceKlines(lines: AsyncIterable<CsvLine>, symbol: string): AsyncGenerator<Parsed<CandleInput>> {
  let first = true;
  for await (const { cells } of lines) {
    if (first) {
      first = false;
      if (!/^\d/.test(cells[0] ?? '')) continue; // header row
    }
    yield parseKline(cells, symbol);
  }
}

export function parseKline(cells: readonly string[], symbol: string): Parsed<CandleInput> {
  if (cells.length < 11) return reject('missing-column');
  const openRaw = cellNumber(cells[0]);
  const closeRaw = cellNumber(cells[6]);
  if (openRaw === null || closeRaw === null || !Number.isFinite(openRaw) || !Number.isFinite(closeRaw) || openRaw <= 0) {
    return reject('unparseable-time');
  }
  const n = (i: number): number => cellNumber(cells[i]) ?? Number.NaN;
  return {
    ok: true,
    value: {
      symbol,
      start: epochToMs(openRaw),
      end: epochToMs(closeRaw) + 1,
      open: n(1), high: n(2), low: n(3), close: n(4), volume: n(5),
      quoteVolume: cellNumber(cells[7]),
      trades: n(8),
      buyVolume: n(9),
    },
  };
}

/** Symbol and interval from an official file name such as `AVAXUSDT-1m-2026-07.csv`. */
export function binanceFileInfo(fileName: string): { symbol: string; interval: string } | null {
  const m = /([A-Z0-9]+)-(\d+[smhdwM])-\d{4}-\d{2}(?:-\d{2})?\.csv$/.exec(fileName);
  return m ? { symbol: m[1]!, interval: m[2]! } : null;
}
