import { basename } from 'node:path';
import { intervalMs } from '../../schemas/index.ts';
import { CALENDARS, isValidZone, type CalendarName, type SessionCalendar } from '../../processors/calendar/index.ts';
import { binanceFileInfo, binanceKlines } from './binance-klines.ts';
import { binanceTradeBatches, binanceTrades, binanceTradesFileInfo, type BinanceTradeLayout } from './binance-trades.ts';
import { compileDateFormat } from './date-format.ts';
import { MAP_FIELDS, parseFieldMap } from './field-map.ts';
import { ingestTrades } from './ingest-trades.ts';
import { openTable } from './table-lines.ts';
import type { TradeBatch } from './trade-batch.ts';
import type { TradeRow } from './trade-input.ts';
import { tradesTable } from './trades-table.ts';
import { DEFAULT_MAX_LINE_BYTES, csvLines, fileSize, type CsvLine } from './csv-lines.ts';
import { ingestCandles, type IngestTarget } from './ingest-candles.ts';
import { ingestChains } from './ingest-chains.ts';
import { IngestInputError } from './ingest-error.ts';
import type { IngestSummary } from './ingest-stats.ts';
import { ohlcvCsv } from './ohlcv-csv.ts';
import { optionChainLong } from './option-chain-long.ts';
import { optionChainWide } from './option-chain-wide.ts';
import { isParquet, openRecordSource } from './record-source.ts';
import { DEFAULT_FUTURE_TOLERANCE_MS, DEFAULT_MAX_GAP_MS, type TimeBounds } from './plausibility.ts';
import { liveFeedPosition } from './live-feed-bound.ts';

export const INGEST_FORMATS = ['binance-klines', 'ohlcv-csv', 'option-chain-long', 'option-chain-wide', 'trades', 'binance-trades', 'binance-aggtrades'] as const;
export type IngestFormat = (typeof INGEST_FORMATS)[number];

export interface IngestOptions {
  file: string;
  format: IngestFormat;
  symbol?: string;
  /** IANA zone of naive local times in the file. */
  tz?: string;
  /** ohlcv-csv: the file's time is the candle's open (default) or close. */
  stamp?: 'open' | 'close';
  /** ohlcv-csv: interval label (default: inferred from the spacing). */
  interval?: string;
  /** Session calendar for gaps and staleness (default: see defaultCalendar). */
  calendar?: CalendarName;
  /** Rate and dividend yield used to solve missing IVs (defaults 0 and 0). */
  rate?: number;
  dividendYield?: number;
  /** Option chains: rows of one underlying within this many ms form one snapshot (default 0: the same time). */
  snapshotWindowMs?: number;
  /** `--map field=column,...`: the file's column for a tickflow field (field-map.ts). */
  map?: string;
  /** `--date-format DD-MM-YYYY` etc. (date-format.ts). */
  dateFormat?: string;
  /** Chains: option premiums quoted in the underlying (coin-margined venues) or the quote currency (default). */
  premiumIn?: 'quote' | 'underlying';
  /** `--max-time-gap`: a row this far after its key's previous rows needs TIME_JUMP_CONFIRM rows to confirm it (default 30 days). */
  maxTimeGapMs?: number;
  /** `--future-tolerance`: rows later than now + this are rejected `time-in-future` (default 1 day). */
  futureToleranceMs?: number;
  /** "Now" for the future bound (default the wall clock; tests pin it). */
  nowMs?: number;
  /** `--max-line-bytes`: CSV lines longer than this are rejected `line-too-long` without being held in memory. */
  maxLineBytes?: number;
  /** `--max-chain-rows`: option chains, most contract rows in one snapshot (ingest-chains.ts). */
  maxChainRows?: number;
  /** `--parquet-stall-timeout`: Parquet decoding without progress this long ends the import (parquet-chunks.ts; default 60 s). */
  parquetStallMs?: number;
}

/** The symbol of a Binance trades file: --symbol, else the official file name's. */
function binanceSymbol(options: IngestOptions): string {
  const symbol = options.symbol ?? binanceTradesFileInfo(basename(options.file))?.symbol;
  if (symbol === undefined) throw new IngestInputError(`${options.format}: cannot tell the symbol from the file name ${JSON.stringify(basename(options.file))}; pass --symbol`);
  return symbol;
}

/** --calendar, else the calendar whose zone is --tz, else crypto for candles and NSE for chains. */
export function defaultCalendar(o: Pick<IngestOptions, 'calendar' | 'tz' | 'format'>): SessionCalendar {
  if (o.calendar !== undefined) return CALENDARS[o.calendar];
  if (o.format === 'binance-klines' || o.format === 'binance-trades' || o.format === 'binance-aggtrades') return CALENDARS.crypto;
  const byZone = Object.values(CALENDARS).find((c) => c.zone === o.tz);
  if (byZone !== undefined) return byZone;
  return o.format === 'ohlcv-csv' || o.format === 'trades' ? CALENDARS.crypto : CALENDARS.nse;
}

const PROGRESS_EVERY = 5_000;

/**
 * Reads `options.file` in `options.format` and appends its events to the log; see docs/ingest.md.
 * A problem with the file as a whole is an IngestInputError whose message starts with the flag it
 * is about (`--map ...`) or the file (`path[:line]: ...`).
 */
export async function ingestFile(target: IngestTarget, options: IngestOptions, onProgress?: (done: number, total: number) => void): Promise<IngestSummary> {
  try {
    return await ingestFileUnchecked(target, options, onProgress);
  } catch (e) {
    if (e instanceof IngestInputError && !e.message.startsWith('--') && !e.message.startsWith(options.file)) {
      throw new IngestInputError(`${options.file}: ${e.message}`, { cause: e });
    }
    throw e;
  }
}

async function ingestFileUnchecked(target: IngestTarget, options: IngestOptions, onProgress?: (done: number, total: number) => void): Promise<IngestSummary> {
  if (options.tz !== undefined && !isValidZone(options.tz)) throw new IngestInputError(`--tz ${JSON.stringify(options.tz)} is not an IANA time zone (e.g. Asia/Kolkata)`);
  const calendar = defaultCalendar(options);
  // Ingest is a source, not a processor: the wall clock may bound what a file of history can hold.
  const bounds: TimeBounds = {
    nowMs: options.nowMs ?? Date.now(),
    futureToleranceMs: options.futureToleranceMs ?? DEFAULT_FUTURE_TOLERANCE_MS,
    maxGapMs: options.maxTimeGapMs ?? DEFAULT_MAX_GAP_MS,
    // A log a live feed writes to takes no event dated after the feed (`ahead-of-live-feed`):
    // appended behind the feed's records it would reorder the replay against the live run.
    liveFeed: await liveFeedPosition(target.log),
    restamped: { count: 0 },
  };
  // Events dated at or before the feed's position, stamped available just after it (D91).
  const availableAtLiveFeed = (): number => bounds.restamped?.count ?? 0;
  // Said in every summary: where the bound came from, or null (no feed ever wrote to the log).
  const liveFeed = bounds.liveFeed ?? null;
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let rowsSeen = 0;
  const tick = (progress: () => { done: number; total: number }) => (): void => {
    if (++rowsSeen % PROGRESS_EVERY === 0 && onProgress) {
      const p = progress();
      onProgress(p.done, p.total);
    }
  };
  const finish = (p: { done: number; total: number }): void => onProgress?.(p.total, p.total);
  const dateFormat = options.dateFormat !== undefined ? compileDateFormat(options.dateFormat) : undefined;
  const kind = options.format === 'trades' || options.format === 'binance-trades' || options.format === 'binance-aggtrades' ? 'trades' : options.format.startsWith('option-chain') ? 'chains' : 'candles';
  if (options.map !== undefined && options.format.startsWith('binance-')) throw new IngestInputError(`--map: ${options.format} has a fixed layout; use --format ${kind === 'trades' ? 'trades' : 'ohlcv-csv'} with --map for other layouts`);
  const map = parseFieldMap(options.map, MAP_FIELDS[kind], options.format);
  if (options.premiumIn === 'underlying' && kind !== 'chains') throw new IngestInputError(`--premium-in applies to option chains, not --format ${options.format}`);

  if (kind === 'trades') {
    let rows: AsyncIterable<TradeRow[] | TradeBatch>;
    let progress: () => { done: number; total: number };
    if (options.format !== 'trades' && !isParquet(options.file)) {
      // Binance CSV: read from the file's bytes (binance-trade-bytes.ts), the same rows.
      const symbol = binanceSymbol(options);
      const source = binanceTradeBatches(options.file, options.format as BinanceTradeLayout, symbol, maxLineBytes);
      rows = source.batches;
      progress = source.progress;
    } else if (options.format === 'trades') {
      const table = await openTable(options.file, maxLineBytes, options.parquetStallMs);
      rows = tradesTable(table.batches, {
        file: options.file, map, maxLineBytes,
        ...(options.symbol !== undefined ? { symbol: options.symbol } : {}),
        ...(options.tz !== undefined ? { tz: options.tz } : {}),
        ...(dateFormat !== undefined ? { dateFormat } : {}),
      });
      progress = table.progress;
    } else {
      const table = await openTable(options.file, maxLineBytes, options.parquetStallMs);
      const symbol = binanceSymbol(options);
      rows = binanceTrades(table.batches, options.format as BinanceTradeLayout, symbol, options.file, maxLineBytes);
      progress = table.progress;
    }
    const r = await ingestTrades(rows, target, bounds, tick(progress));
    finish(progress());
    const sideFrom = r.sideFromTickRule === 0 ? 'file' : r.sideFromFile === 0 ? 'tick-rule' : 'mixed';
    return r.stats.summary(options.format, 'trade', {
      calendar: calendar.name, sideFrom, sideFromFile: r.sideFromFile, sideFromTickRule: r.sideFromTickRule,
      tickRuleUnclassified: r.tickRuleUnclassified, idsSynthesized: r.idsSynthesized, liveFeed, availableAtLiveFeed: availableAtLiveFeed(),
    });
  }

  if (options.format === 'binance-klines' || options.format === 'ohlcv-csv') {
    // Read as text, a Parquet file's bytes became a "header" of binary garbage in the error line.
    if (isParquet(options.file)) throw new IngestInputError(`is a Parquet file: --format ${options.format} reads CSV only (Parquet is read by trades, option-chain-long and option-chain-wide)`);
    const total = fileSize(options.file);
    let done = 0;
    async function* tap(): AsyncGenerator<CsvLine> {
      for await (const l of csvLines(options.file, maxLineBytes)) {
        done = l.bytesRead;
        yield l;
      }
    }
    const progress = (): { done: number; total: number } => ({ done, total });
    let rows;
    if (options.format === 'binance-klines') {
      if (options.stamp === 'close') throw new IngestInputError('binance-klines: open_time is the open by definition; --stamp does not apply');
      const symbol = options.symbol ?? binanceFileInfo(basename(options.file))?.symbol;
      if (symbol === undefined) throw new IngestInputError('binance-klines: cannot tell the symbol from the file name; pass --symbol');
      rows = binanceKlines(tap(), symbol, options.file, maxLineBytes);
    } else {
      rows = ohlcvCsv(tap(), {
        stamp: options.stamp ?? 'open', map, file: options.file, maxLineBytes,
        ...(dateFormat !== undefined ? { dateFormat } : {}),
        ...(options.symbol !== undefined ? { symbol: options.symbol } : {}),
        ...(options.tz !== undefined ? { tz: options.tz } : {}),
        ...(options.interval !== undefined ? { interval: options.interval } : {}),
      });
    }
    const stats = await ingestCandles(rows, target, calendar, bounds, tick(progress));
    finish(progress());
    return stats.summary(options.format, 'candle', { calendar: calendar.name, liveFeed, availableAtLiveFeed: availableAtLiveFeed() });
  }

  const source = await openRecordSource(options.file, maxLineBytes, options.parquetStallMs);
  const ctx = {
    calendar, map, premiumIn: options.premiumIn ?? 'quote',
    ...(dateFormat !== undefined ? { dateFormat } : {}),
    ...(options.tz !== undefined ? { tz: options.tz } : {}),
    ...(options.symbol !== undefined ? { symbol: options.symbol } : {}),
  };
  const rows = options.format === 'option-chain-long' ? optionChainLong(source.records, ctx) : optionChainWide(source.records, ctx);
  const pricing = { rate: options.rate ?? 0, dividendYield: options.dividendYield ?? 0 };
  // Chain gaps are counted in slots of --interval (default 5 minutes, the default signal interval).
  const gapSlotMs = options.interval !== undefined ? intervalMs(options.interval) : 5 * 60_000;
  const r = await ingestChains(rows, target, calendar, pricing, tick(source.progress), {
    snapshotWindowMs: options.snapshotWindowMs ?? 0,
    gapSlotMs,
    bounds,
    ...(options.maxChainRows !== undefined ? { maxChainRows: options.maxChainRows } : {}),
  });
  finish(source.progress());
  const scale = r.builder.ivScale;
  return r.snapshots.summary(options.format, 'snapshot', {
    calendar: calendar.name,
    contracts: r.rows.accepted,
    rowsRejected: r.rows.rejected,
    rowReasons: Object.fromEntries([...r.rows.reasons].sort(([a], [b]) => (a < b ? -1 : 1))),
    snapshotWindowMs: options.snapshotWindowMs ?? 0,
    gapSlotMs,
    ivUnit: scale === null ? null : scale === 1 ? 'fraction' : 'percent',
    ivComputed: r.builder.ivComputed,
    greeksComputed: r.builder.greeksComputed,
    valuesDropped: Object.fromEntries([...r.valuesDropped].sort(([a], [b]) => (a < b ? -1 : 1))),
    liveFeed,
    availableAtLiveFeed: availableAtLiveFeed(),
  });
}
