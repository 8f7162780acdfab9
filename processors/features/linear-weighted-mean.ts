import { assertPeriod, finiteOrNull } from './state-guards.ts';
import { WindowIndicator } from './window-indicator.ts';

/**
 * LinearWeightedMean(n): the linearly-weighted moving average of the last n inputs, newest
 * weighted most (TA-Lib's WMA): (n·x_t + (n−1)·x_{t−1} + … + 1·x_{t−n+1}) / (n(n+1)/2), in the
 * unit of its input (ofi_wma_6 = that average of the bar OFI over 6 bars). A null input (a bar
 * without buyVolume) makes the result null until it has left the window, as RollingMean does.
 * Warm-up: n inputs. Recomputed from the window each time, oldest to newest, so the result
 * depends on the window alone (a restored instance continues bit for bit).
 */
export class LinearWeightedMean extends WindowIndicator<number | null> {
  private readonly weightSum: number;

  constructor(readonly period: number) {
    assertPeriod(period);
    super(period, 'LinearWeightedMean', true);
    this.weightSum = (period * (period + 1)) / 2;
  }

  protected compute(): number | null {
    let sum = 0;
    // at(0) is the oldest input: weight 1; at(n - 1) the newest: weight n.
    for (let i = 0; i < this.window.length; i++) {
      const v = this.window.at(i);
      if (v === null) return null;
      sum += (i + 1) * v;
    }
    return finiteOrNull(sum / this.weightSum);
  }
}
