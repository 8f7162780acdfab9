import { assertPeriod, finiteOrNull } from '../state-guards.ts';
import { WindowIndicator } from '../window-indicator.ts';

/**
 * MeanDeviation(n) = x_t - mean(x_{t-n+1} .. x_t): how far the latest input sits from its own
 * n-period simple mean (the window includes x_t), in the unit of its input (rsi_div_10 = RSI minus
 * its 10-bar mean, in RSI points). Null while any of the n inputs is null. Warm-up: n inputs.
 */
export class MeanDeviation extends WindowIndicator<number | null> {
  constructor(readonly period: number) {
    assertPeriod(period);
    super(period, 'MeanDeviation', true);
  }

  protected compute(): number | null {
    const sum = this.windowSum();
    if (sum === null) return null;
    const last = this.window.last() as number;
    return finiteOrNull(last - sum / this.period);
  }
}
