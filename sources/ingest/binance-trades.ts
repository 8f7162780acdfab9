import { DEFAULT_MAX_LINE_BYTES, byteLines, decodeLine, emptyFile, fileSize, headerTooLong, splitCsvLine } from './csv-lines.ts';
import type { TableLine } from './table-lines.ts';
import { IngestInputError } from './ingest-error.ts';
import { cellNumber, cellText, reject, type Parsed } from './parsed.ts';
import { epochToMs } from './parse-time.ts';
import { MAX_TRADE_ID, boolCell, type TradeInput, type TradeRow } from './trade-input.ts';
import { TradeBatch } from './trade-batch.ts';
import { tradeLineParser } from './binance-trade-bytes.ts';

/** Column positions of Binance's two trade layouts (data.binance.vision). */
export const BINANCE_TRADE_LAYOUTS = {
  'binance-trades': { columns: ['id', 'price', 'qty', 'quote_qty', 'time', 'is_buyer_maker', 'is_best_match'], id: 0, price: 1, size: 2, time: 4, maker: 5 },
  'binance-aggtrades': { columns: ['agg_trade_id', 'price', 'quantity', 'first_trade_id', 'last_trade_id', 'transact_time', 'is_buyer_maker', 'is_best_match'], id: 0, price: 1, size: 2, time: 5, maker: 6 },
} as const;

export type BinanceTradeLayout = keyof typeof BINANCE_TRADE_LAYOUTS;

/**
 * Binance trades (`id,price,qty,quote_qty,time,is_buyer_maker[,is_best_match]`) or aggTrades
 * (`agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker
 * [,is_best_match]`), header optional. Times are epoch ms (µs in spot files since 2025, told apart
 * by magnitude). is_buyer_maker true means the seller was the aggressor (SELL).
 * The first data row fixes the column count: a file in the other layout (or another file
 * altogether) is refused as a whole, naming the line, rather than rejected row by row.
 */
export async function* binanceTrades(batches: AsyncIterable<TableLine[]>, layoutName: BinanceTradeLayout, symbol: string, file: string, maxLineBytes = DEFAULT_MAX_LINE_BYTES): AsyncGenerator<TradeRow[]> {
  let checked = false;
  for await (const batch of batches) {
    const out: TradeRow[] = [];
    for (const { lineNo, cells, tooLong } of batch) {
      if (!checked) {
        checked = true;
        if (tooLong) throw headerTooLong(file, maxLineBytes);
        if (checkFirstLine(cells, layoutName, file, lineNo) === 'header') continue;
      }
      out.push({ lineNo, parsed: tooLong ? reject('line-too-long') : parseBinanceTrade(cells, layoutName, symbol) });
    }
    yield out;
  }
  if (!checked) throw emptyFile(file);
}

/**
 * The same rows as binanceTrades over a CSV file's lines (openTable), read straight from the
 * file's bytes into one reused TradeBatch per chunk: a line in the plain form is parsed from its
 * bytes (binance-trade-bytes.ts), any other line (the first, and anything unusual) the general
 * way, so the rows, their reasons and the errors are the same. `progress` is in bytes, as
 * openTable's for a CSV.
 */
export function binanceTradeBatches(path: string, layoutName: BinanceTradeLayout, symbol: string, maxLineBytes = DEFAULT_MAX_LINE_BYTES): { batches: AsyncIterable<TradeBatch>; progress: () => { done: number; total: number } } {
  const total = fileSize(path);
  let done = 0;
  async function* batches(): AsyncGenerator<TradeBatch> {
    const fast = tradeLineParser(layoutName);
    const out = new TradeBatch();
    let checked = false;
    /** The first line that is not blank: a header (skipped) or a row of the layout's width, else the file is refused. */
    const first = (cells: string[] | null, lineNo: number): boolean => {
      checked = true;
      if (cells === null) throw headerTooLong(path, maxLineBytes);
      return checkFirstLine(cells, layoutName, path, lineNo) === 'header';
    };
    const visitor = {
      line(buf: Buffer, start: number, end: number, lineNo: number): void {
        if (checked && fast(buf, start, end, lineNo, symbol, out)) return;
        const line = decodeLine(buf, start, end, lineNo);
        if (line === null) return;
        const cells = splitCsvLine(line);
        if (!checked && first(cells, lineNo)) return;
        out.pushRow({ lineNo, parsed: parseBinanceTrade(cells, layoutName, symbol) });
      },
      tooLong(lineNo: number): void {
        if (!checked) first(null, lineNo);
        out.pushRejected(lineNo, 'line-too-long');
      },
    };
    for await (const bytes of byteLines(path, visitor, undefined, maxLineBytes)) {
      done = bytes;
      if (out.length > 0) {
        yield out;
        out.clear();
      }
    }
    if (!checked) throw emptyFile(path);
  }
  return { batches: batches(), progress: () => ({ done, total }) };
}

/** The first line is a header of the layout or a row with its column count; anything else is refused. */
export function checkFirstLine(cells: readonly unknown[], layoutName: BinanceTradeLayout, file: string, lineNo: number): 'header' | 'row' {
  const layout = BINANCE_TRADE_LAYOUTS[layoutName];
  const min = layout.columns.length - 1;
  if (!/^\d/.test(cellText(cells[0]).trim())) {
    const names = cells.map((c) => cellText(c).trim().toLowerCase());
    if (layout.columns.slice(0, min).some((n, i) => names[i] !== n)) {
      throw new IngestInputError(`${file}:${lineNo}: ${layoutName} expects the header ${layout.columns.join(',')} (the last optional); found ${names.join(',')}`);
    }
    return 'header';
  }
  if (cells.length !== min && cells.length !== min + 1) {
    throw new IngestInputError(`${file}:${lineNo}: ${layoutName} rows have ${min} or ${min + 1} columns (${layout.columns.join(',')}); this one has ${cells.length}${layoutName === 'binance-trades' && cells.length === 8 ? ' (an aggTrades file? use --format binance-aggtrades)' : ''}`);
  }
  return 'row';
}

export function parseBinanceTrade(cells: readonly unknown[], layoutName: BinanceTradeLayout, symbol: string): Parsed<TradeInput> {
  const layout = BINANCE_TRADE_LAYOUTS[layoutName];
  if (cells.length < layout.columns.length - 1 || cells.length > layout.columns.length) return reject('wrong-column-count');
  const t = cellNumber(cells[layout.time]);
  if (t === null || !Number.isFinite(t) || t <= 0) return reject('unparseable-time');
  const id = cellNumber(cells[layout.id]);
  if (id === null || !Number.isSafeInteger(id) || id < 0 || id > MAX_TRADE_ID) return reject('bad-id');
  const maker = boolCell(cells[layout.maker]);
  if (maker === undefined) return reject('bad-side');
  return {
    ok: true,
    value: {
      symbol, ts: epochToMs(t), id,
      price: cellNumber(cells[layout.price]) ?? Number.NaN,
      size: cellNumber(cells[layout.size]) ?? Number.NaN,
      side: maker === null ? null : maker ? 'SELL' : 'BUY',
    },
  };
}

/** Symbol from an official file name such as `BTCUSDT-trades-2026-07-01.csv` or `BTCUSDT-aggTrades-2026-07.csv`. */
export function binanceTradesFileInfo(fileName: string): { symbol: string } | null {
  const m = /([A-Z0-9]+)-(?:trades|aggTrades)-\d{4}-\d{2}(?:-\d{2})?\.csv$/.exec(fileName);
  return m ? { symbol: m[1]! } : null;
}
