import { TOPICS, type Trade } from '../../schemas/index.ts';
import type { EventLog } from '../../storage/log/event-log.ts';
import { IdRuns } from './id-runs.ts';
import type { IngestTarget } from './ingest-candles.ts';
import { IngestStats } from './ingest-stats.ts';
import { TickRule } from './tick-rule.ts';
import type { TradeInput, TradeRow } from './trade-input.ts';
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
  recent: Set<number>;
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
 */
export async function ingestTrades(batches: AsyncIterable<TradeRow[]>, target: IngestTarget, bounds: TimeBounds, onRow?: () => void): Promise<TradeIngestStats> {
  const topic = TOPICS.trades.name;
  const existing = await existingTrades(target.log, target.decode, bounds.nowMs + bounds.futureToleranceMs);
  const stats = new IngestStats();
  const out: TradeIngestStats = { stats, sideFromFile: 0, sideFromTickRule: 0, tickRuleUnclassified: 0, idsSynthesized: 0 };
  const appender = new TopicAppender(target.log, topic, TRADE_APPEND_BATCH);
  const symbols = new Map<string, SymbolState>();
  /** Appends the trade, or returns why not. */
  const accept = (t: TradeInput): string | null => {
    let s = symbols.get(t.symbol);
    if (s === undefined) symbols.set(t.symbol, (s = { lastTs: Number.NEGATIVE_INFINITY, inMs: 0, recent: new Set(), ring: new Float64Array(RECENT_IDS).fill(-1), ringPos: 0, tick: new TickRule() }));
    if (t.ts < s.lastTs) return 'out-of-order';
    let id = t.id;
    if (id === null) {
      const rank = t.ts === s.lastTs ? s.inMs : 0;
      if (rank >= SYNTHETIC_IDS_PER_MS) return 'too-many-in-one-ms';
      id = t.ts * SYNTHETIC_IDS_PER_MS + rank;
      out.idsSynthesized++;
    }
    if (s.recent.has(id)) return 'duplicate';
    s.inMs = t.ts === s.lastTs ? s.inMs + 1 : 1;
    s.lastTs = t.ts;
    const forget = s.ring[s.ringPos]!;
    if (forget >= 0) s.recent.delete(forget);
    s.ring[s.ringPos] = id;
    s.ringPos = (s.ringPos + 1) % RECENT_IDS;
    s.recent.add(id);
    let side = t.side;
    const ruled = s.tick.next(t.price);
    if (side === null) {
      if (ruled === null) out.tickRuleUnclassified++;
      side = ruled ?? 'BUY';
      out.sideFromTickRule++;
    } else out.sideFromFile++;
    if (existing.ids.get(t.symbol)?.has(id) === true) return 'duplicate';
    if (aheadOfLiveFeed(bounds, t.ts)) return 'ahead-of-live-feed';
    if (t.ts < (existing.lastTs.get(t.symbol) ?? Number.NEGATIVE_INFINITY)) return 'older-than-log';
    stats.accept(t.symbol, t.ts);
    const trade: Trade = { tsEvent: t.ts, tsInit: availableAt(bounds, t.ts), symbol: t.symbol, price: t.price, size: t.size, side, tradeId: id };
    appender.add({ key: t.symbol, timestamp: t.ts, value: target.encode(topic, trade) });
    return null;
  };
  // Values first, then the time gate (plausibility.ts), then order, ids and the log: a row that
  // fails a bound never moves a symbol's last time.
  const gate = new TimeGate<{ lineNo: number; t: TradeInput }>(bounds);
  const released: Released<{ lineNo: number; t: TradeInput }>[] = [];
  const drain = (): void => {
    for (const { item, reason } of released) {
      const why = reason ?? accept(item.t);
      if (why !== null) stats.reject(why, 1, item.lineNo);
    }
    released.length = 0;
  };
  for await (const rows of batches) {
    for (const { lineNo, parsed } of rows) {
      onRow?.();
      const reason = parsed.ok ? valueProblem(parsed.value) : parsed.reason;
      if (reason !== null || !parsed.ok) {
        stats.reject(reason ?? 'unparseable', 1, lineNo);
        continue;
      }
      gate.offer(parsed.value.symbol, parsed.value.ts, { lineNo, t: parsed.value }, released);
      drain();
    }
    if (appender.full) await appender.flush();
  }
  gate.end(released);
  drain();
  await appender.flush();
  return out;
}

/** Why a trade's price or size is not plausible, or null. */
function valueProblem(t: TradeInput): string | null {
  if (!Number.isFinite(t.price) || !Number.isFinite(t.size)) return 'non-finite';
  if (t.price <= 0) return 'non-positive-price';
  if (t.size <= 0) return 'non-positive-size';
  if (implausiblePrice(t.price)) return 'implausible-price';
  if (implausibleSize(t.size)) return 'implausible-size';
  return null;
}
