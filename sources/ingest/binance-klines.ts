import type { CandleInput } from './candle-input.ts';
import { DEFAULT_MAX_LINE_BYTES, emptyFile, headerTooLong, type CsvLine } from './csv-lines.ts';
import { IngestInputError } from './ingest-error.ts';
import { cellNumber, reject, type Parsed } from './parsed.ts';
import { epochToMs } from './parse-time.ts';

/**
 * Binance's kline CSV (data.binance.vision): open_time, open, high, low, close, volume,
 * close_time, quote_volume, count, taker_buy_volume, taker_buy_quote_volume, ignore. The header
 * is optional (older files have none); times are epoch ms, or µs in spot files since 2025, told
 * apart by magnitude. close_time is the window's last instant, so end = close_time + 1 ms.
 */
export async function* binanceKlines(lines: AsyncIterable<CsvLine>, symbol: string, file = 'binance-klines', maxLineBytes = DEFAULT_MAX_LINE_BYTES): AsyncGenerator<Parsed<CandleInput>> {
  let first = true;
  for await (const { cells, tooLong } of lines) {
    if (tooLong) {
      // A first line too long to read is neither a header nor a kline: not a klines file.
      if (first) throw headerTooLong(file, maxLineBytes);
      yield reject('line-too-long');
      continue;
    }
    if (first) {
      first = false;
      if (!/^\d/.test(cells[0] ?? '')) {
        if (!/open/i.test(cells[0] ?? '')) throw new IngestInputError(`${file}:1: no parseable header: expected Binance's kline header (open_time,open,high,...) or a kline row`);
        continue; // header row
      }
    }
    yield parseKline(cells, symbol);
  }
  if (first) throw emptyFile(file);
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
