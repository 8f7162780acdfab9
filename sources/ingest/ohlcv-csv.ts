import { intervalMs } from '../../schemas/index.ts';
import type { CandleInput } from './candle-input.ts';
import { findColumn, headerIndex } from './column-map.ts';
import type { DateFormat } from './date-format.ts';
import { mappedColumn, NO_MAP, requireMappedColumn, type FieldMap } from './field-map.ts';
import { DEFAULT_MAX_LINE_BYTES, emptyFile, headerTooLong, type CsvLine } from './csv-lines.ts';
import { IngestInputError } from './ingest-error.ts';
import { cellNumber, reject, type Parsed } from './parsed.ts';
import { parseTime } from './parse-time.ts';

export interface OhlcvCsvOptions {
  /** Used when the file has no symbol column. */
  symbol?: string;
  /** IANA zone for naive local times. */
  tz?: string;
  /** Whether the file's time is the candle's open (default) or its close. */
  stamp: 'open' | 'close';
  /** Interval label; inferred from the spacing of the first rows when absent. */
  interval?: string;
  /** `--map` overrides of the column names (field-map.ts). */
  map?: FieldMap;
  /** `--date-format` of the time cells. */
  dateFormat?: DateFormat;
  /** For messages. */
  file?: string;
  /** For messages: the line limit the lines were read with. */
  maxLineBytes?: number;
}

export const TIME_COLUMNS = ['timestamp', 'datetime', 'date', 'time', 'open_time', 'ts'] as const;
/** Rows looked at to infer the interval (the most common positive spacing among them). */
const INFER_ROWS = 500;

/**
 * Any OHLCV CSV with a header. Required columns (case-insensitive): a time column (first of
 * TIME_COLUMNS present; a `date` + `time` pair is joined), open, high, low, close, volume.
 * Optional: symbol|ticker, trades|count|number_of_trades, taker_buy_volume|buy_volume,
 * quote_volume|quote_asset_volume, vwap (gives quote volume = vwap x volume).
 */
export async function* ohlcvCsv(lines: AsyncIterable<CsvLine>, opts: OhlcvCsvOptions): AsyncGenerator<Parsed<CandleInput>> {
  const it = lines[Symbol.asyncIterator]();
  const head = await it.next();
  if (head.done) throw emptyFile(opts.file ?? 'ohlcv-csv');
  if (head.value.tooLong) throw headerTooLong(opts.file ?? 'ohlcv-csv', opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
  const idx = headerIndex(head.value.cells);
  const map = opts.map ?? NO_MAP;
  const where = `${opts.file ?? 'ohlcv-csv'}:${head.value.lineNo} (ohlcv-csv header)`;
  const hasDate = !map.has('time') && idx.has('date') && idx.has('time') && !idx.has('timestamp') && !idx.has('datetime');
  const tCol = requireMappedColumn(idx, map, 'time', TIME_COLUMNS, where);
  const timeCol = hasDate ? idx.get('time')! : tCol;
  const dateCol = hasDate ? idx.get('date')! : undefined;
  const req = (field: string, names: readonly string[]): number => requireMappedColumn(idx, map, field, names, where);
  const cols = {
    open: req('open', ['open', 'o']), high: req('high', ['high', 'h']),
    low: req('low', ['low', 'l']), close: req('close', ['close', 'c', 'adj_close']),
    volume: req('volume', ['volume', 'vol', 'v']),
    symbol: mappedColumn(idx, map, 'symbol', ['symbol', 'ticker'], where),
    trades: findColumn(idx, ['trades', 'count', 'number_of_trades']),
    buy: findColumn(idx, ['taker_buy_volume', 'taker_buy_base_asset_volume', 'buy_volume']),
    quote: findColumn(idx, ['quote_volume', 'quote_asset_volume']),
    vwap: findColumn(idx, ['vwap']),
  };
  if (cols.symbol === undefined && !opts.symbol) throw new IngestInputError('ohlcv-csv: the file has no symbol column; pass --symbol');

  const timeOf = (cells: readonly string[], lineNo: number): ReturnType<typeof parseTime> => {
    const raw = dateCol !== undefined ? `${cells[dateCol] ?? ''} ${cells[timeCol] ?? ''}`.trim() : cells[timeCol];
    const r = parseTime(raw, opts.tz, opts.dateFormat);
    if (!r.ok && r.reason === 'naive-time-without-tz') {
      throw new IngestInputError(`${opts.file ?? 'ohlcv-csv'}:${lineNo}: time ${JSON.stringify(raw)} has no UTC offset (naive local time); pass --tz <IANA zone>, e.g. --tz America/New_York`);
    }
    return r;
  };

  // Interval: given, or inferred from the first rows (which are buffered, then replayed).
  const buffered: CsvLine[] = [];
  let interval = opts.interval !== undefined ? intervalMs(opts.interval) : 0;
  if (interval === 0) {
    const counts = new Map<number, number>();
    let prev = Number.NaN;
    while (buffered.length < INFER_ROWS) {
      const n = await it.next();
      if (n.done) break;
      buffered.push(n.value);
      const t = timeOf(n.value.cells, n.value.lineNo);
      if (!t.ok) continue;
      const d = t.ts - prev;
      if (d > 0) counts.set(d, (counts.get(d) ?? 0) + 1);
      prev = t.ts;
    }
    let best = 0;
    for (const [d, c] of counts) if (c > (counts.get(best) ?? 0) || (c === counts.get(best) && d < best)) best = d;
    if (best === 0) {
      if (buffered.length === 0) return;
      throw new IngestInputError('ohlcv-csv: cannot infer the candle interval from fewer than two timed rows; pass --interval');
    }
    interval = best;
  }

  const parse = (cells: readonly string[], lineNo: number, tooLong = false): Parsed<CandleInput> => {
    if (tooLong) return reject('line-too-long');
    if (Math.max(cols.open, cols.high, cols.low, cols.close, cols.volume, timeCol) >= cells.length) return reject('missing-column');
    const t = timeOf(cells, lineNo);
    if (!t.ok) return reject(t.reason);
    // A close stamp like 09:59:59.999 (last instant of the window) is rounded up to 10:00.
    const end = opts.stamp === 'close' ? (t.ts % 1000 === 999 ? t.ts + 1 : t.ts) : t.ts + interval;
    const num = (i: number | undefined): number | null => (i === undefined ? null : cellNumber(cells[i]));
    const req = (i: number): number => num(i) ?? Number.NaN;
    const volume = req(cols.volume);
    const vwap = num(cols.vwap);
    const symbol = cols.symbol !== undefined ? (cells[cols.symbol] ?? '') : (opts.symbol ?? '');
    if (symbol === '') return reject('missing-column');
    return {
      ok: true,
      value: {
        symbol, start: end - interval, end,
        open: req(cols.open), high: req(cols.high), low: req(cols.low), close: req(cols.close), volume,
        buyVolume: num(cols.buy),
        quoteVolume: num(cols.quote) ?? (vwap !== null ? vwap * volume : null),
        trades: num(cols.trades) ?? 0,
      },
    };
  };
  for (const l of buffered) yield parse(l.cells, l.lineNo, l.tooLong);
  for (;;) {
    const n = await it.next();
    if (n.done) break;
    yield parse(n.value.cells, n.value.lineNo, n.value.tooLong);
  }
}
