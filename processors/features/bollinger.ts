import { finiteOrNull, assertPeriod } from './state-guards.ts';
import { WindowIndicator } from './window-indicator.ts';
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
export class Bollinger extends WindowIndicator<number, BollingerResult> {
  constructor(
    readonly period = 20,
    readonly k = 2,
  ) {
    assertPeriod(period);
    if (!(Number.isFinite(k) && k > 0)) throw new RangeError(`Bollinger k must be > 0, got ${k}`);
    super(period, 'Bollinger', false);
  }

  protected compute(): BollingerResult | null {
    const { mean, std } = populationMeanStd(this.window);
    const upper = mean + this.k * std;
    const lower = mean - this.k * std;
    if (!(Number.isFinite(mean) && Number.isFinite(upper) && Number.isFinite(lower))) return null;
    const close = this.window.last();
    return {
      middle: mean,
      upper,
      lower,
      pctB: upper === lower ? null : finiteOrNull((close - lower) / (upper - lower)),
      width: mean === 0 ? null : finiteOrNull((upper - lower) / mean),
    };
  }
}
