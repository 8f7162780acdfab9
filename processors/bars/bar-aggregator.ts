import { intervalMs, type Bar, type InputRange, type LateEvent, type Trade } from '../../schemas/index.ts';
import type { LogPosition } from '../types.ts';

export interface BarAggregatorConfig {
  /** Window labels, smallest first, each a multiple of the first (e.g. ["1m", "5m"]). */
  intervals: readonly string[];
  /** Bounded out-of-orderness: the watermark trails the max event time by this much. */
  maxOutOfOrdernessMs: number;
}

export const DEFAULT_BAR_CONFIG: BarAggregatorConfig = { intervals: ['1m', '5m'], maxOutOfOrdernessMs: 2_000 };

/** A closed bar and the log range of the trades in it. */
export interface ClosedBar {
  bar: Bar;
  inputs: InputRange;
}

interface OpenWindow {
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
  notional: number;
  trades: number;
  topic: string;
  partition: number;
  fromOffset: number;
  toOffset: number;
}

export interface TradeResult {
  closed: ClosedBar[];
  late: LateEvent | null;
}

/**
 * Tumbling event-time windows [start, end) per symbol and interval, stamped at their end.
 *
 * Watermark = max event time seen over ALL symbols - maxOutOfOrderness, so an idle symbol's
 * windows still close when the market moves on and never hold other symbols back. A window closes
 * when the watermark reaches its end. A trade whose smallest window has already closed is late:
 * it goes into no bar (bars of all intervals stay consistent with each other) and is reported.
 * Open and close are the first and last trades in event time (ties by log offset), not in arrival
 * order. Everything here is a function of the input sequence: no clock.
 */
export class BarAggregator {
  private readonly sizes: number[];
  private readonly open = new Map<string, OpenWindow>();
  private maxEventTime = Number.NEGATIVE_INFINITY;
  private nextCloseAt = Number.POSITIVE_INFINITY;

  constructor(private readonly config: BarAggregatorConfig = DEFAULT_BAR_CONFIG) {
    this.sizes = config.intervals.map(intervalMs);
    const base = this.sizes[0];
    if (base === undefined || this.sizes.some((s) => s % base !== 0)) {
      throw new Error(`intervals must be multiples of the first: ${config.intervals.join(',')}`);
    }
  }

  get watermark(): number {
    return this.maxEventTime - this.config.maxOutOfOrdernessMs;
  }

  onTrade(trade: Trade, pos: LogPosition): TradeResult {
    const t = trade.tsEvent;
    const base = this.sizes[0] as number;
    const smallestEnd = Math.floor(t / base) * base + base;
    if (smallestEnd <= this.watermark) {
      return {
        closed: [],
        late: {
          tsEvent: t,
          tsInit: trade.tsInit,
          symbol: trade.symbol,
          topic: pos.topic,
          partition: pos.partition,
          offset: pos.offset,
          watermark: this.watermark,
          reason: `window ${this.config.intervals[0]} ending ${smallestEnd} closed at watermark ${this.watermark}`,
        },
      };
    }
    for (let i = 0; i < this.sizes.length; i++) this.addTo(i, trade, pos);
    if (t > this.maxEventTime) this.maxEventTime = t;
    return { closed: this.watermark >= this.nextCloseAt ? this.closeUpTo(this.watermark, trade.tsInit) : [], late: null };
  }

  /** Windows still open (for tests and snapshots). */
  openWindows(): number {
    return this.open.size;
  }

  private addTo(rank: number, trade: Trade, pos: LogPosition): void {
    const size = this.sizes[rank] as number;
    const start = Math.floor(trade.tsEvent / size) * size;
    const interval = this.config.intervals[rank] as string;
    const k = `${trade.symbol}\u0000${interval}\u0000${start}`;
    const w = this.open.get(k);
    const { price, size: qty, tsEvent } = trade;
    if (w === undefined) {
      this.open.set(k, {
        symbol: trade.symbol, interval, rank, start, end: start + size,
        open: price, high: price, low: price, close: price,
        openTs: tsEvent, closeTs: tsEvent, openOffset: pos.offset, closeOffset: pos.offset,
        volume: qty, buyVolume: trade.side === 'BUY' ? qty : 0, notional: price * qty, trades: 1,
        topic: pos.topic, partition: pos.partition, fromOffset: pos.offset, toOffset: pos.offset,
      });
      if (start + size < this.nextCloseAt) this.nextCloseAt = start + size;
      return;
    }
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
    w.notional += price * qty;
    w.trades++;
    if (pos.offset < w.fromOffset) w.fromOffset = pos.offset;
    if (pos.offset > w.toOffset) w.toOffset = pos.offset;
  }

  /** Closes every window with end <= watermark, ordered by (end, interval rank, symbol). */
  private closeUpTo(watermark: number, tsInit: number): ClosedBar[] {
    const due: OpenWindow[] = [];
    let next = Number.POSITIVE_INFINITY;
    for (const [k, w] of this.open) {
      if (w.end <= watermark) {
        due.push(w);
        this.open.delete(k);
      } else if (w.end < next) {
        next = w.end;
      }
    }
    this.nextCloseAt = next;
    due.sort((a, b) => a.end - b.end || a.rank - b.rank || (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
    return due.map((w) => ({
      bar: {
        tsEvent: w.end, tsInit, symbol: w.symbol, interval: w.interval, start: w.start, end: w.end,
        open: w.open, high: w.high, low: w.low, close: w.close, volume: w.volume,
        buyVolume: w.buyVolume, vwap: w.notional / w.volume, trades: w.trades,
      },
      inputs: { topic: w.topic, partition: w.partition, fromOffset: w.fromOffset, toOffset: w.toOffset },
    }));
  }
}
