import { intervalMs, type Bar, type InputRange, type LateEvent, type Trade } from '../../schemas/index.ts';
import type { LogPosition } from '../types.ts';

export interface BarAggregatorConfig {
  /** Window labels, smallest first, each a multiple of the first (e.g. ["1m", "5m"]). */
  intervals: readonly string[];
  /** Bounded out-of-orderness: the watermark trails the max event time by this much. */
  maxOutOfOrdernessMs: number;
}

export const DEFAULT_BAR_CONFIG: BarAggregatorConfig = { intervals: ['1m', '5m'], maxOutOfOrdernessMs: 2_000 };

/**
 * A closed bar and its lineage: per input topic and partition, the inclusive offset range of the
 * events it was built from (trades, candles, chain spots), sorted by topic then partition.
 */
export interface ClosedBar {
  bar: Bar;
  inputs: InputRange[];
}

export interface OpenWindow {
  symbol: string;
  interval: string;
  rank: number;
  start: number;
  end: number;
  open: number;
  high: number;
  low: number;
  close: number;
  /** Event time of the trade that set `close` (the latest trade in event time). */
  closeTs: number;
  /** Same-time tie-break for `open`/`close`: the log offset. */
  openTs: number;
  openOffset: number;
  closeOffset: number;
  volume: number;
  buyVolume: number;
  /** False once any input lacked taker-buy volume: the bar's buyVolume is then null. */
  buyKnown: boolean;
  notional: number;
  trades: number;
  /** Lineage, one range per (topic, partition) that fed this window, sorted by topic then partition. */
  inputs: InputRange[];
}

/** BarAggregator.snapshot(): plain data. */
export interface BarAggregatorState {
  v: 2;
  intervals: string[];
  maxOutOfOrdernessMs: number;
  open: OpenWindow[];
  /** [symbol, maxEventTime, nextCloseAt] (-Infinity / +Infinity when none). */
  clocks: [string, number, number][];
}

interface SymbolClock {
  maxEventTime: number;
  nextCloseAt: number;
  /**
   * Per interval rank: the open window this symbol's trades last went to (a cache, not state).
   * Invariant: undefined or a window in `open` (closeUpTo clears it when it closes that window,
   * restore starts with fresh clocks), so the hot path needs no map lookup to trust it.
   */
  current: (OpenWindow | undefined)[];
  /** This symbol's open windows, oldest first (each also in the aggregator's `open`). */
  windows: OpenWindow[];
}

export interface TradeResult {
  readonly closed: readonly ClosedBar[];
  readonly late: LateEvent | null;
}

const NOTHING: TradeResult = Object.freeze({ closed: Object.freeze([]), late: null });

/**
 * Tumbling event-time windows [start, end) per symbol and interval, stamped at their end.
 *
 * Each symbol has its own watermark = the max event time seen for that symbol -
 * maxOutOfOrderness, and a window closes when its symbol's watermark reaches its end. Per-symbol
 * (per-key) watermarks make every symbol's bars a function of that symbol's inputs alone: an idle
 * symbol holds no other symbol back, and processing is exact under any split of the symbols
 * across partitions or processes (docs/decisions.md D3). Its cost: an idle symbol's last window
 * closes only when that symbol trades again. A trade whose smallest window has already closed is late:
 * it goes into no bar (bars of all intervals stay consistent with each other) and is reported.
 * Open and close are the first and last trades in event time (ties by log offset), not in arrival
 * order. Everything here is a function of the input sequence: no clock.
 */
export class BarAggregator {
  private readonly sizes: number[];
  /** Every open window, in the order they opened (a snapshot's order). */
  private readonly open = new Set<OpenWindow>();
  /** Per symbol: its event-time progress and the earliest end among its open windows. */
  private readonly clocks = new Map<string, SymbolClock>();
  /** The last clockOf's symbol and clock (a cache, not state: consecutive inputs mostly share a symbol). */
  private lastSymbol = '';
  private lastClock: SymbolClock | null = null;

  constructor(private readonly config: BarAggregatorConfig = DEFAULT_BAR_CONFIG) {
    this.sizes = config.intervals.map(intervalMs);
    const base = this.sizes[0];
    if (base === undefined || this.sizes.some((s) => s % base !== 0)) {
      throw new Error(`intervals must be multiples of the first: ${config.intervals.join(',')}`);
    }
  }

  private clockOf(symbol: string): SymbolClock {
    if (symbol === this.lastSymbol && this.lastClock !== null) return this.lastClock;
    let c = this.clocks.get(symbol);
    if (c === undefined) this.clocks.set(symbol, (c = newClock(Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY)));
    this.lastSymbol = symbol;
    this.lastClock = c;
    return c;
  }

  /**
   * A price observation without a trade (an option chain's spot, for an underlying that has no
   * trades or candles): it moves OHLC and the watermark like a trade of size 0, and the bar's
   * buyVolume is unknown (null).
   */
  onPrice(symbol: string, tsEvent: number, tsInit: number, price: number, pos: LogPosition): TradeResult {
    return this.onTrade({ tsEvent, tsInit, symbol, price, size: 0, side: 'BUY', tradeId: -1 }, pos, true);
  }

  onTrade(trade: Trade, pos: LogPosition, priceOnly = false): TradeResult {
    const t = trade.tsEvent;
    const base = this.sizes[0] as number;
    const start = Math.floor(t / base) * base;
    const smallestEnd = start + base;
    const clock = this.clockOf(trade.symbol);
    const wm = clock.maxEventTime - this.config.maxOutOfOrdernessMs;
    if (smallestEnd <= wm) {
      return {
        closed: [],
        late: {
          tsEvent: t,
          tsInit: trade.tsInit,
          symbol: trade.symbol,
          topic: pos.topic,
          partition: pos.partition,
          offset: pos.offset,
          watermark: wm,
          reason: `window ${this.config.intervals[0]} ending ${smallestEnd} closed at watermark ${wm}`,
        },
      };
    }
    const current = clock.current;
    const w0 = current[0];
    if (w0 !== undefined && w0.start === start) {
      // Hot path: the smallest window of the symbol's previous trade, so every interval's (each
      // window of a larger interval holds whole windows of the smallest, and closes no earlier):
      // current[rank] is the open window this trade goes to, at every rank.
      for (let i = 0; i < this.sizes.length; i++) updateWindow(current[i] as OpenWindow, trade, pos, priceOnly);
    } else {
      for (let i = 0; i < this.sizes.length; i++) this.addTo(i, trade, pos, priceOnly, clock);
    }
    if (t > clock.maxEventTime) clock.maxEventTime = t;
    const now = clock.maxEventTime - this.config.maxOutOfOrdernessMs;
    // The common case allocates nothing: a shared, frozen "no output" result.
    return now >= clock.nextCloseAt ? { closed: this.closeUpTo(clock, now, trade.tsInit), late: null } : NOTHING;
  }

  /**
   * An imported candle (already closed, stamped at its end). It is emitted as the bar of its own
   * interval when that interval is configured, and aggregated into every configured interval that
   * is a whole multiple of it (1m candles → 5m, 15m, ...). A closed candle is complete, so it
   * moves the watermark to its end (not end - maxOutOfOrderness as a trade would): imported
   * history is in order, and 5-minute bars close as soon as their last minute arrives.
   */
  onCandle(candle: Bar, pos: LogPosition): TradeResult {
    const size = candle.end - candle.start;
    const clock = this.clockOf(candle.symbol);
    const wm = clock.maxEventTime - this.config.maxOutOfOrdernessMs;
    if (candle.end <= wm) {
      return {
        closed: [],
        late: {
          tsEvent: candle.tsEvent, tsInit: candle.tsInit, symbol: candle.symbol, topic: pos.topic, partition: pos.partition, offset: pos.offset,
          watermark: wm, reason: `candle ${candle.interval} ending ${candle.end} arrived after watermark ${wm}`,
        },
      };
    }
    const direct: ClosedBar[] = [];
    for (let rank = 0; rank < this.sizes.length; rank++) {
      const target = this.sizes[rank] as number;
      if (target === size) {
        direct.push({ bar: { ...candle, interval: this.config.intervals[rank] as string }, inputs: [rangeAt(pos)] });
      } else if (target > size && target % size === 0) {
        this.addCandleTo(rank, candle, pos, clock);
      }
    }
    const reach = candle.end + this.config.maxOutOfOrdernessMs;
    if (reach > clock.maxEventTime) clock.maxEventTime = reach;
    const now = clock.maxEventTime - this.config.maxOutOfOrdernessMs;
    const closed = now >= clock.nextCloseAt ? this.closeUpTo(clock, now, candle.tsInit) : [];
    if (direct.length === 0) return { closed, late: null };
    const all = [...direct, ...closed];
    const rankOf = (c: ClosedBar): number => this.config.intervals.indexOf(c.bar.interval);
    all.sort((a, b) => a.bar.end - b.bar.end || rankOf(a) - rankOf(b) || (a.bar.symbol < b.bar.symbol ? -1 : a.bar.symbol > b.bar.symbol ? 1 : 0));
    return { closed: all, late: null };
  }

  /**
   * The whole state as JSON-safe data (non-finite numbers aside: the checkpoint codec keeps them):
   * open windows in insertion order and each symbol's clock. The `recent` cache is not state.
   */
  snapshot(): BarAggregatorState {
    return {
      v: 2,
      intervals: [...this.config.intervals],
      maxOutOfOrdernessMs: this.config.maxOutOfOrdernessMs,
      open: [...this.open.values()].map(copyWindow),
      clocks: [...this.clocks].map(([symbol, c]) => [symbol, c.maxEventTime, c.nextCloseAt]),
    };
  }

  /**
   * Replaces the state with one from snapshot() of an aggregator with the same configuration.
   * Version 1 states (one input range per window, whatever topics fed it) are refused: their
   * lineage cannot be split by topic after the fact, so the host falls back to a full replay.
   */
  restore(state: unknown): void {
    const s = state as Partial<BarAggregatorState> | null;
    if (s === null || typeof s !== 'object' || s.v !== 2 || !Array.isArray(s.open) || !Array.isArray(s.clocks)) throw new TypeError('BarAggregator.restore: not a version-2 state');
    if (JSON.stringify(s.intervals) !== JSON.stringify(this.config.intervals) || s.maxOutOfOrdernessMs !== this.config.maxOutOfOrdernessMs) {
      throw new TypeError(`BarAggregator.restore: state of intervals ${JSON.stringify(s.intervals)} / ${String(s.maxOutOfOrdernessMs)} ms, this aggregator has ${JSON.stringify(this.config.intervals)} / ${this.config.maxOutOfOrdernessMs} ms`);
    }
    this.open.clear();
    this.clocks.clear();
    this.lastSymbol = '';
    this.lastClock = null;
    for (const [symbol, maxEventTime, nextCloseAt] of s.clocks) this.clocks.set(symbol, newClock(maxEventTime, nextCloseAt));
    for (const w of s.open) {
      const copy = copyWindow(w);
      this.open.add(copy);
      this.clockOf(w.symbol).windows.push(copy);
    }
  }

  private addTo(rank: number, trade: Trade, pos: LogPosition, priceOnly: boolean, clock: SymbolClock): void {
    const size = this.sizes[rank] as number;
    const { price, size: qty, tsEvent } = trade;
    const start = Math.floor(tsEvent / size) * size;
    // A trade in another window of the smallest interval than the symbol's previous trade: it may
    // still be the same window of this interval (clock.current, always an open window); the
    // symbol's open windows are only searched on a window change.
    let w = clock.current[rank];
    if (w === undefined || w.start !== start) {
      w = windowAt(clock, rank, start);
      if (w === undefined) {
        const created: OpenWindow = {
          symbol: trade.symbol, interval: this.config.intervals[rank] as string, rank, start, end: start + size,
          open: price, high: price, low: price, close: price,
          openTs: tsEvent, closeTs: tsEvent, openOffset: pos.offset, closeOffset: pos.offset,
          volume: qty, buyVolume: trade.side === 'BUY' ? qty : 0, buyKnown: !priceOnly, notional: price * qty, trades: 1,
          inputs: [rangeAt(pos)],
        };
        this.opened(clock, created);
        clock.current[rank] = created;
        return;
      }
      clock.current[rank] = w;
    }
    updateWindow(w, trade, pos, priceOnly);
  }

  private addCandleTo(rank: number, c: Bar, pos: LogPosition, clock: SymbolClock): void {
    const size = this.sizes[rank] as number;
    const start = Math.floor(c.start / size) * size;
    const w = windowAt(clock, rank, start);
    const buy = c.buyVolume;
    if (w === undefined) {
      const created: OpenWindow = {
        symbol: c.symbol, interval: this.config.intervals[rank] as string, rank, start, end: start + size,
        open: c.open, high: c.high, low: c.low, close: c.close,
        openTs: c.start, closeTs: c.start, openOffset: pos.offset, closeOffset: pos.offset,
        volume: c.volume, buyVolume: buy ?? 0, buyKnown: buy !== null, notional: c.vwap * c.volume, trades: c.trades,
        inputs: [rangeAt(pos)],
      };
      this.opened(clock, created);
      return;
    }
    if (c.high > w.high) w.high = c.high;
    if (c.low < w.low) w.low = c.low;
    if (c.start < w.openTs) {
      w.open = c.open;
      w.openTs = c.start;
    }
    if (c.start >= w.closeTs) {
      w.close = c.close;
      w.closeTs = c.start;
    }
    w.volume += c.volume;
    if (buy === null) w.buyKnown = false;
    else w.buyVolume += buy;
    w.notional += c.vwap * c.volume;
    w.trades += c.trades;
    addToRanges(w.inputs, pos);
  }

  /** A window just opened: kept with the open ones (their opening order) and its symbol's, which it may close first. */
  private opened(clock: SymbolClock, w: OpenWindow): void {
    this.open.add(w);
    clock.windows.push(w);
    if (w.end < clock.nextCloseAt) clock.nextCloseAt = w.end;
  }

  /** Closes every window of the symbol with end <= its watermark, ordered by (end, interval rank). */
  private closeUpTo(clock: SymbolClock, watermark: number, tsInit: number): ClosedBar[] {
    const due: OpenWindow[] = [];
    let next = Number.POSITIVE_INFINITY;
    const windows = clock.windows;
    let kept = 0;
    for (let i = 0; i < windows.length; i++) {
      const w = windows[i] as OpenWindow;
      if (w.end <= watermark) {
        due.push(w);
        this.open.delete(w);
        if (clock.current[w.rank] === w) clock.current[w.rank] = undefined;
      } else {
        windows[kept++] = w;
        if (w.end < next) next = w.end;
      }
    }
    windows.length = kept;
    clock.nextCloseAt = next;
    // One symbol's windows (its clock's): (end, rank) orders them.
    due.sort((a, b) => a.end - b.end || a.rank - b.rank);
    return due.map((w) => ({
      bar: {
        tsEvent: w.end, tsInit, symbol: w.symbol, interval: w.interval, start: w.start, end: w.end,
        open: w.open, high: w.high, low: w.low, close: w.close, volume: w.volume,
        buyVolume: w.buyKnown ? w.buyVolume : null, vwap: w.volume > 0 ? w.notional / w.volume : w.close, trades: w.trades,
      },
      inputs: w.inputs,
    }));
  }
}

/** Adds a trade to an open window it belongs to. */
function updateWindow(w: OpenWindow, trade: Trade, pos: LogPosition, priceOnly: boolean): void {
  const { price, size: qty, tsEvent } = trade;
  if (price > w.high) w.high = price;
  if (price < w.low) w.low = price;
  if (tsEvent < w.openTs || (tsEvent === w.openTs && pos.offset < w.openOffset)) {
    w.open = price;
    w.openTs = tsEvent;
    w.openOffset = pos.offset;
  }
  if (tsEvent > w.closeTs || (tsEvent === w.closeTs && pos.offset > w.closeOffset)) {
    w.close = price;
    w.closeTs = tsEvent;
    w.closeOffset = pos.offset;
  }
  w.volume += qty;
  if (trade.side === 'BUY') w.buyVolume += qty;
  if (priceOnly) w.buyKnown = false;
  w.notional += price * qty;
  w.trades++;
  addToRanges(w.inputs, pos);
}

function newClock(maxEventTime: number, nextCloseAt: number): SymbolClock {
  return { maxEventTime, nextCloseAt, current: [], windows: [] };
}

/** The symbol's open window of interval `rank` starting at `start`, if any (a symbol has a few). */
function windowAt(clock: SymbolClock, rank: number, start: number): OpenWindow | undefined {
  const ws = clock.windows;
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i] as OpenWindow;
    if (w.start === start && w.rank === rank) return w;
  }
  return undefined;
}

function rangeAt(pos: LogPosition): InputRange {
  return { topic: pos.topic, partition: pos.partition, fromOffset: pos.offset, toOffset: pos.offset };
}

/**
 * Widens the range of pos's (topic, partition) to cover pos.offset, or inserts a new range where
 * the (topic, partition) order puts it. Offsets are only comparable within one partition of one
 * topic, so each gets its own range. A window has one or two ranges: a linear scan is cheapest.
 */
function addToRanges(ranges: InputRange[], pos: LogPosition): void {
  let i = 0;
  for (; i < ranges.length; i++) {
    const r = ranges[i] as InputRange;
    if (r.topic === pos.topic && r.partition === pos.partition) {
      if (pos.offset < r.fromOffset) r.fromOffset = pos.offset;
      if (pos.offset > r.toOffset) r.toOffset = pos.offset;
      return;
    }
    if (r.topic > pos.topic || (r.topic === pos.topic && r.partition > pos.partition)) break;
  }
  ranges.splice(i, 0, rangeAt(pos));
}

/** A window with its own copy of the lineage (snapshots and restores share nothing with live state). */
function copyWindow(w: OpenWindow): OpenWindow {
  return { ...w, inputs: w.inputs.map((r) => ({ ...r })) };
}
