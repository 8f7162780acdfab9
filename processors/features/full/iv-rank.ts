import type { Indicator } from '../../types.ts';
import { RingWindow } from '../ring-window.ts';
import { asRecord, assertPeriod, finiteArray, nullableFinite } from '../state-guards.ts';

export interface IvRankResult {
  /** (x - min) / (max - min) over the window (x included), 0..1; null when max = min. */
  readonly rank: number | null;
  /** Fraction of the window's other values strictly below x, 0..1. */
  readonly percentile: number;
}

/**
 * IV rank and IV percentile of the latest ATM IV over the last `lookback` values seen (one per
 * 5-minute close: 288 ≈ one day of 24/7 trading). The window includes the latest value and grows
 * until full; results need at least `minPeriods` values (= warm-up). A null input (no IV at that
 * close) is not stored and gives a null result.
 */
export class IvRank implements Indicator<number | null, IvRankResult> {
  readonly warmUp: number;
  private readonly values: RingWindow<number>;
  /** Whether the latest add() stored its input (replace() must know what to swap). */
  private lastStored = false;
  /** The value the latest stored add() pushed out of a full window (null if none). */
  private dropped: number | null = null;
  private result: IvRankResult | null = null;

  constructor(
    readonly lookback = 288,
    readonly minPeriods = 20,
  ) {
    assertPeriod(lookback, 'lookback');
    assertPeriod(minPeriods, 'minPeriods');
    if (minPeriods < 2 || minPeriods > lookback) throw new RangeError(`IvRank minPeriods must be in [2, ${lookback}], got ${minPeriods}`);
    this.warmUp = minPeriods;
    this.values = new RingWindow(lookback);
  }

  get isStable(): boolean {
    return this.values.length >= this.minPeriods;
  }

  add(iv: number | null): IvRankResult | null {
    this.lastStored = iv !== null && Number.isFinite(iv);
    if (this.lastStored) {
      this.dropped = this.values.isFull ? this.values.at(0) : null;
      this.values.push(iv as number);
    }
    return this.compute(this.lastStored);
  }

  /** Swaps the latest input (either may be null): the window becomes what add(iv) would have made it. */
  replace(iv: number | null): IvRankResult | null {
    if (this.lastStored) this.unpush();
    return this.add(iv);
  }

  getResult(): IvRankResult | null {
    return this.result;
  }

  reset(): void {
    this.values.clear();
    this.lastStored = false;
    this.dropped = null;
    this.result = null;
  }

  /** Undoes the latest stored add(): removes its value and brings back the one it pushed out. */
  private unpush(): void {
    const kept = this.values.toArray().slice(0, -1);
    this.values.load(this.dropped === null ? kept : [this.dropped, ...kept]);
    this.lastStored = false;
    this.dropped = null;
  }

  snapshot(): { values: number[]; lastStored: boolean; dropped: number | null } {
    return { values: this.values.toArray(), lastStored: this.lastStored, dropped: this.dropped };
  }

  restore(state: unknown): void {
    const s = asRecord(state, 'IvRank');
    if (typeof s.lastStored !== 'boolean') throw new TypeError('IvRank.lastStored: expected a boolean');
    const values = finiteArray(s.values, 'IvRank.values');
    const dropped = nullableFinite(s.dropped, 'IvRank.dropped');
    this.values.load(values);
    this.lastStored = s.lastStored;
    this.dropped = dropped;
    this.compute(this.lastStored);
  }

  private compute(hasCurrent: boolean): IvRankResult | null {
    this.result = null;
    const n = this.values.length;
    if (!hasCurrent || n < this.minPeriods) return null;
    const w = this.values;
    const x = w.last();
    let min = Infinity;
    let max = -Infinity;
    let below = 0;
    // Every held value once, oldest first, straight from the ring's storage (D162: at()'s check and
    // modulo per value were most of this loop; min, max and the count are the same in any order).
    const cap = w.capacity;
    for (let i = 0, k = w.first; i < n; i++) {
      const v = w.slot(k);
      if (v < min) min = v;
      if (v > max) max = v;
      if (v < x) below++;
      if (++k === cap) k = 0;
    }
    const rank = max === min ? null : (x - min) / (max - min);
    this.result = { rank: rank !== null && Number.isFinite(rank) ? rank : null, percentile: below / (n - 1) };
    return this.result;
  }
}
