import { assertPeriod, finiteOrNull } from '../state-guards.ts';
import { WindowIndicator } from '../window-indicator.ts';

/**
 * LagDiff(n) = x_t - x_{t-n}, in the unit of its input (rsi_mom_5 = RSI now - RSI 5 bars ago,
 * in RSI points). An input may be null (e.g. the RSI before its warm-up): the result is null while
 * x_t or x_{t-n} is null. Warm-up: n + 1 inputs.
 */
export class LagDiff extends WindowIndicator<number | null> {
  constructor(readonly lag: number) {
    assertPeriod(lag, 'lag');
    super(lag + 1, 'LagDiff', true);
  }

  protected compute(): number | null {
    const now = this.window.last();
    const then = this.window.at(0);
    return now !== null && then !== null ? finiteOrNull(now - then) : null;
  }
}
