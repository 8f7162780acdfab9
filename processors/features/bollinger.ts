import type { Indicator } from '../types.ts';
import { RingWindow } from './ring-window.ts';
import { asRecord, assertPeriod, finiteArray, finiteOrNull } from './state-guards.ts';
import { populationMeanStd } from './window-stats.ts';

export interface BollingerResult {
  /** SMA of the last n closes (price units). */
  readonly middle: number;
  readonly upper: number;
  readonly lower: number;
  /** %B = (close - lower) / (upper - lower): 0 at the lower band, 1 at the upper; null if upper = lower. */
  readonly pctB: number | null;
  /** (upper - lower) / middle, a fraction of the middle band; null if middle = 0. */
  readonly width: number | null;
}

/**
 * Bollinger Bands(n, k) on closes: middle = SMA_n, upper/lower = middle ± k·σ, σ the population
 * standard deviation (divide by n, as Bollinger does) of the same n closes. Warm-up: n closes.
 */
export class Bollinger implements Indicator<number, BollingerResult> {
  readonly warmUp: number;
  private readonly closes: RingWindow<number>;
  private result: BollingerResult | null = null;

  constructor(
    readonly period = 20,
    readonly k = 2,
  ) {
    assertPeriod(period);
    if (!(Number.isFinite(k) && k > 0)) throw new RangeError(`Bollinger k must be > 0, got ${k}`);
    this.warmUp = period;
    this.closes = new RingWindow(period);
  }

  get isStable(): boolean {
    return this.closes.isFull;
  }

  add(close: number): BollingerResult | null {
    this.closes.push(close);
    return this.compute();
  }

  replace(close: number): BollingerResult | null {
    if (this.closes.length === 0) return this.add(close);
    this.closes.replaceLast(close);
    return this.compute();
  }

  getResult(): BollingerResult | null {
    return this.result;
  }

  reset(): void {
    this.closes.clear();
    this.result = null;
  }

  snapshot(): { closes: number[] } {
    return { closes: this.closes.toArray() };
  }

  restore(state: unknown): void {
    this.closes.load(finiteArray(asRecord(state, 'Bollinger').closes, 'Bollinger.closes'));
    this.compute();
  }

  private compute(): BollingerResult | null {
    if (!this.closes.isFull) return (this.result = null);
    const { mean, std } = populationMeanStd(this.closes);
    const upper = mean + this.k * std;
    const lower = mean - this.k * std;
    if (!(Number.isFinite(mean) && Number.isFinite(upper) && Number.isFinite(lower))) return (this.result = null);
    const close = this.closes.last();
    this.result = {
      middle: mean,
      upper,
      lower,
      pctB: upper === lower ? null : finiteOrNull((close - lower) / (upper - lower)),
      width: mean === 0 ? null : finiteOrNull((upper - lower) / mean),
    };
    return this.result;
  }
}
