import { TOPICS, type Trade } from '../../schemas/index.ts';
import type { EventLog } from '../../storage/log/event-log.ts';
import { IdRuns } from './id-runs.ts';
import type { IngestTarget } from './ingest-candles.ts';
import { IngestStats } from './ingest-stats.ts';
import { TickRule } from './tick-rule.ts';
import type { TradeInput, TradeRow } from './trade-input.ts';
import { SIDE_BUY, SIDE_NONE, SIDE_SELL, TradeBatch } from './trade-batch.ts';
import { TimeGate, aheadOfLiveFeed, availableAt, implausiblePrice, implausibleSize, type Released, type TimeBounds } from './plausibility.ts';
import { TopicAppender } from './topic-appender.ts';

/** Ids within one millisecond when the file has no id column: id = tsEvent x this + sequence. */
export const SYNTHETIC_IDS_PER_MS = 1000;
/** Trades per append (one durable commit each): trades are small, and a commit costs an fsync. */
export const TRADE_APPEND_BATCH = 10_000;
/** Recent ids per symbol remembered to catch a repeated row within the file (memory stays bounded). */
export const RECENT_IDS = 1024;

/** Trades already in the log: ids per symbol, and the latest tsEvent per symbol. */
export async function existingTrades(log: EventLog, decode: IngestTarget['decode'], latestPlausible = Number.POSITIVE_INFINITY): Promise<{ ids: Map<string, IdRuns>; lastTs: Map<string, number> }> {
  const ids = new Map<string, IdRuns>();
  const lastTs = new Map<string, number>();
  const topic = TOPICS.trades.name;
  if (!(await log.topics()).includes(topic)) return { ids, lastTs };
  const parts = await log.partitions(topic);
  for (let p = 0; p < parts; p++) {
    for await (const batch of log.read(topic, p)) {
      for (const r of batch) {
        const t = decode(topic, r.value) as Trade;
        let runs = ids.get(t.symbol);
        if (runs === undefined) ids.set(t.symbol, (runs = new IdRuns()));
        runs.add(t.tradeId);
        // A record dated beyond now + tolerance (written before the bounds existed) raises no mark.
        if (t.tsEvent <= latestPlausible && t.tsEvent > (lastTs.get(t.symbol) ?? Number.NEGATIVE_INFINITY)) lastTs.set(t.symbol, t.tsEvent);
      }
    }
  }
  for (const runs of ids.values()) runs.seal();
  return { ids, lastTs };
}

interface SymbolState {
  lastTs: number;
  /** Trades so far in the millisecond lastTs (for synthetic ids). */
  inMs: number;
  /**
   * The ids in the ring, as a set; null while every id so far was above all before it (the
   * common case: a venue's ids grow), when `maxId` alone answers (built from the ring when needed).
   */
  recent: Set<number> | null;
  /** The largest id ever put in the ring (-1: none). */
  maxId: number;
  /** Ring of the same ids in arrival order, to forget the oldest. */
  ring: Float64Array;
  ringPos: number;
  tick: TickRule;
}

export interface TradeIngestStats {
  stats: IngestStats;
  sideFromFile: number;
  sideFromTickRule: number;
  /** First trade of a symbol with no side and no earlier price: BUY by convention. */
  tickRuleUnclassified: number;
  idsSynthesized: number;
}

/**
 * Validates trades (prices and sizes finite and positive, time non-decreasing per symbol, no id
 * repeated within the last RECENT_IDS of the symbol), fills a missing side by the tick rule and a
 * missing id as tsEvent x 1000 + the trade's rank within its millisecond (both depend only on the
 * file, so a re-import yields the same trades), skips trades the log already holds (`duplicate`,
 * by symbol and id), after the log's live feed (`ahead-of-live-feed`, plausibility.ts) or older than
 * the symbol's last stored trade (`older-than-log`), and appends
 * the rest to `trades` keyed by symbol, record timestamp = tsEvent = tsInit.
 *
 * Rows come as TradeRow arrays or as TradeBatch columns (the Binance CSV reader's, without an
 * object per row); the rules are the same. Appends are pipelined: a batch of TRADE_APPEND_BATCH
 * trades commits while the next is read (TopicAppender.flushBehind), one in flight at a time.
 */
export async function ingestTrades(batches: AsyncIterable<TradeRow[] | TradeBatch>, target: IngestTarget, bounds: TimeBounds, onRow?: () => void): Promise<TradeIngestStats> {
  const topic = TOPICS.trades.name;
  const existing = await existingTrades(target.log, target.decode, bounds.nowMs + bounds.futureToleranceMs);
  const stats = new IngestStats();
  const out: TradeIngestStats = { stats, sideFromFile: 0, sideFromTickRule: 0, tickRuleUnclassified: 0, idsSynthesized: 0 };
  const appender = new TopicAppender(target.log, topic, TRADE_APPEND_BATCH);
  const symbols = new Map<string, SymbolState>();
  // The symbol of the previous row and what belongs to it (a file holds one symbol, or a few).
  let symbol: string | null = null;
  let s: SymbolState | undefined;
  let stored: IdRuns | undefined;
  let storedLastTs = Number.NEGATIVE_INFINITY;
  // One Trade object refilled per accepted row: encode() copies it into bytes at once.
  const trade: Trade = { tsEvent: 0, tsInit: 0, symbol: '', price: 0, size: 0, side: 'BUY', tradeId: 0 };
  /** Appends the trade, or returns why not. side: SIDE_NONE/BUY/SELL; fileId NaN when the file has none. */
  const accept = (sym: string, ts: number, price: number, size: number, fileSide: number, fileId: number): string | null => {
    if (sym !== symbol || s === undefined) {
      symbol = sym;
      s = symbols.get(sym);
      if (s === undefined) symbols.set(sym, (s = { lastTs: Number.NEGATIVE_INFINITY, inMs: 0, recent: null, maxId: -1, ring: new Float64Array(RECENT_IDS).fill(-1), ringPos: 0, tick: new TickRule() }));
      stored = existing.ids.get(sym);
      storedLastTs = existing.lastTs.get(sym) ?? Number.NEGATIVE_INFINITY;
    }
    if (ts < s.lastTs) return 'out-of-order';
    let id = fileId;
    if (id !== id) {
      const rank = ts === s.lastTs ? s.inMs : 0;
      if (rank >= SYNTHETIC_IDS_PER_MS) return 'too-many-in-one-ms';
      id = ts * SYNTHETIC_IDS_PER_MS + rank;
      out.idsSynthesized++;
    }
    // An id above every id the ring ever held is not in it; otherwise ask the set.
    if (id <= s.maxId) {
      s.recent ??= new Set(Array.from(s.ring).filter((r) => r >= 0));
      if (s.recent.has(id)) return 'duplicate';
    }
    s.inMs = ts === s.lastTs ? s.inMs + 1 : 1;
    s.lastTs = ts;
    const forget = s.ring[s.ringPos]!;
    if (s.recent !== null) {
      if (forget >= 0) s.recent.delete(forget);
      s.recent.add(id);
    }
    s.ring[s.ringPos] = id;
    s.ringPos = (s.ringPos + 1) % RECENT_IDS;
    if (id > s.maxId) s.maxId = id;
    let side: 'BUY' | 'SELL';
    const ruled = s.tick.next(price);
    if (fileSide === SIDE_NONE) {
      if (ruled === null) out.tickRuleUnclassified++;
      side = ruled ?? 'BUY';
      out.sideFromTickRule++;
    } else {
      side = fileSide === SIDE_BUY ? 'BUY' : 'SELL';
      out.sideFromFile++;
    }
    if (stored?.has(id) === true) return 'duplicate';
    if (aheadOfLiveFeed(bounds, ts)) return 'ahead-of-live-feed';
    if (ts < storedLastTs) return 'older-than-log';
    stats.accept(sym, ts);
    trade.tsEvent = ts;
    trade.tsInit = availableAt(bounds, ts);
    trade.symbol = sym;
    trade.price = price;
    trade.size = size;
    trade.side = side;
    trade.tradeId = id;
    appender.add({ key: sym, timestamp: ts, value: target.encode(topic, trade) });
    return null;
  };
  const acceptInput = (t: TradeInput): string | null => accept(t.symbol, t.ts, t.price, t.size, t.side === null ? SIDE_NONE : t.side === 'BUY' ? SIDE_BUY : SIDE_SELL, t.id ?? Number.NaN);
  // Values first, then the time gate (plausibility.ts), then order, ids and the log: a row that
  // fails a bound never moves a symbol's last time. A row the gate passes at once (the common
  // case, TimeGate.pass) goes straight on; any other is offered with a copy of its fields.
  const gate = new TimeGate<{ lineNo: number; t: TradeInput }>(bounds);
  const released: Released<{ lineNo: number; t: TradeInput }>[] = [];
  const drain = (): void => {
    for (const { item, reason } of released) {
      const why = reason ?? acceptInput(item.t);
      if (why !== null) stats.reject(why, 1, item.lineNo);
    }
    released.length = 0;
  };
  const rowsAsBatch = new TradeBatch();
  try {
    for await (const input of batches) {
      let batch: TradeBatch;
      if (input instanceof TradeBatch) batch = input;
      else {
        rowsAsBatch.clear();
        for (const row of input) rowsAsBatch.pushRow(row);
        batch = rowsAsBatch;
      }
      const { lineNo, ts, price, size, side, id, symbol: sym, reason: parseReason } = batch;
      for (let i = 0; i < batch.length; i++) {
        onRow?.();
        const reason = parseReason[i] ?? valueProblem(price[i]!, size[i]!);
        if (reason !== null) {
          stats.reject(reason, 1, lineNo[i]);
          continue;
        }
        if (gate.pass(sym[i]!, ts[i]!)) {
          const why = accept(sym[i]!, ts[i]!, price[i]!, size[i]!, side[i]!, id[i]!);
          if (why !== null) stats.reject(why, 1, lineNo[i]);
        } else {
          gate.offer(sym[i]!, ts[i]!, { lineNo: lineNo[i]!, t: batch.input(i) }, released);
          drain();
        }
      }
      if (appender.full) await appender.flushBehind();
    }
    gate.end(released);
    drain();
    await appender.flush();
  } catch (e) {
    // The append in flight (if any) lands or fails before the error is reported.
    await appender.settle();
    throw e;
  }
  return out;
}

/** Why a trade's price or size is not plausible, or null. */
function valueProblem(price: number, size: number): string | null {
  if (!Number.isFinite(price) || !Number.isFinite(size)) return 'non-finite';
  if (price <= 0) return 'non-positive-price';
  if (size <= 0) return 'non-positive-size';
  if (implausiblePrice(price)) return 'implausible-price';
  if (implausibleSize(size)) return 'implausible-size';
  return null;
}
