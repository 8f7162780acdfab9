import { headerIndex } from './column-map.ts';
import { DEFAULT_MAX_LINE_BYTES, emptyFile, headerTooLong } from './csv-lines.ts';
import { mappedColumn, requireMappedColumn, type FieldMap } from './field-map.ts';
import type { DateFormat } from './date-format.ts';
import { IngestInputError } from './ingest-error.ts';
import { cellNumber, cellText, reject, type Parsed } from './parsed.ts';
import { parseTime } from './parse-time.ts';
import type { TableLine } from './table-lines.ts';
import { MAX_TRADE_ID, sideCell, type TradeInput, type TradeRow } from './trade-input.ts';

/** Column names recognised without `--map` (lower-case; the first present wins). */
export const TRADE_COLUMNS = {
  time: ['timestamp', 'time', 'ts', 'datetime', 'date', 'transact_time', 'trade_time', 'timestamp_ms', 'created_at'],
  price: ['price', 'px', 'trade_price', 'p'],
  size: ['size', 'qty', 'quantity', 'amount', 'volume', 'vol', 'base_qty', 'q'],
  side: ['side', 'taker_side', 'aggressor', 'aggressor_side', 'direction', 'is_buyer_maker', 'isbuyermaker', 'buyer_maker', 'm'],
  id: ['id', 'trade_id', 'tradeid', 'agg_trade_id', 'tid', 'a'],
  symbol: ['symbol', 'ticker', 'instrument', 'instrument_name', 'pair', 'market'],
} as const;

export interface TradesTableOptions {
  file: string;
  map: FieldMap;
  symbol?: string;
  tz?: string;
  dateFormat?: DateFormat;
  /** For messages: the line limit the lines were read with. */
  maxLineBytes?: number;
}

/**
 * The `trades` format: a CSV with a header or a Parquet file, one trade per row. Required: time,
 * price, size (names in TRADE_COLUMNS or `--map`), and a symbol column or `--symbol`. Optional:
 * side (buy/sell, or an is_buyer_maker flag: true means SELL) and id (an integer trade id).
 */
export async function* tradesTable(batches: AsyncIterable<TableLine[]>, o: TradesTableOptions): AsyncGenerator<TradeRow[]> {
  let cols: ReturnType<typeof resolve> | null = null;
  for await (const batch of batches) {
    const out: TradeRow[] = [];
    for (const { lineNo, cells, tooLong } of batch) {
      if (cols === null) {
        if (tooLong) throw headerTooLong(o.file, o.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES);
        cols = resolve(cells.map(cellText), o, lineNo);
      } else out.push({ lineNo, parsed: tooLong ? reject('line-too-long') : parseRow(cells, cols, o, lineNo) });
    }
    yield out;
  }
  if (cols === null) throw emptyFile(o.file);
}

function resolve(header: string[], o: TradesTableOptions, lineNo: number) {
  const idx = headerIndex(header);
  const where = `${o.file}:${lineNo} (trades header)`;
  const req = (f: keyof typeof TRADE_COLUMNS): number => requireMappedColumn(idx, o.map, f, TRADE_COLUMNS[f], where);
  const opt = (f: keyof typeof TRADE_COLUMNS): number | undefined => mappedColumn(idx, o.map, f, TRADE_COLUMNS[f], where);
  const side = opt('side');
  const symbol = o.symbol === undefined ? opt('symbol') : undefined;
  if (symbol === undefined && o.symbol === undefined) throw new IngestInputError(`${where}: no symbol column (${TRADE_COLUMNS.symbol.join(', ')}); pass --symbol or --map symbol=<column>`);
  const sideName = side === undefined ? '' : (header[side] ?? '').trim().toLowerCase();
  return { time: req('time'), price: req('price'), size: req('size'), side, makerFlag: sideName === 'm' || sideName.includes('maker'), id: opt('id'), symbol };
}

type Cols = ReturnType<typeof resolve>;

function parseRow(cells: readonly unknown[], c: Cols, o: TradesTableOptions, lineNo: number): Parsed<TradeInput> {
  if (Math.max(c.time, c.price, c.size) >= cells.length) return reject('missing-column');
  const t = parseTime(cells[c.time], o.tz, o.dateFormat);
  if (!t.ok) {
    if (t.reason === 'naive-time-without-tz') throw new IngestInputError(`${o.file}:${lineNo}: time ${JSON.stringify(cells[c.time])} has no UTC offset (naive local time); pass --tz <IANA zone>`);
    return reject(t.reason);
  }
  const side = c.side === undefined ? null : sideCell(cells[c.side], c.makerFlag);
  if (side === undefined) return reject('bad-side');
  let id: number | null = null;
  if (c.id !== undefined) {
    id = cellNumber(cells[c.id]);
    if (id !== null && (!Number.isSafeInteger(id) || id < 0 || id > MAX_TRADE_ID)) return reject('bad-id');
  }
  const symbol = c.symbol !== undefined ? cellText(cells[c.symbol]).trim() : (o.symbol ?? '');
  if (symbol === '') return reject('missing-column');
  return { ok: true, value: { symbol, ts: t.ts, price: cellNumber(cells[c.price]) ?? Number.NaN, size: cellNumber(cells[c.size]) ?? Number.NaN, side, id } };
}
