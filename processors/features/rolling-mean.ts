import { assertPeriod, finiteOrNull } from './state-guards.ts';
import { WindowIndicator } from './window-indicator.ts';

/**
 * RollingMean(n) = (1/n)·Σ of the last n inputs, in the unit of its input (ofi_6 = mean OFI of the
 * last 6 bars). An input may be null (a missing value, e.g. a bar without buyVolume): the mean is
 * then null until that input has left the window, rather than a mean over fewer values.
 * Warm-up: n inputs. Recomputed from the window each time (no running-sum drift).
 */
export class RollingMean extends WindowIndicator<number | null> {
  constructor(readonly period: number) {
    assertPeriod(period);
    super(period, 'RollingMean', true);
  }

  protected compute(): number | null {
    const sum = this.windowSum();
    if (sum === null) return null;
    return finiteOrNull(sum / this.period);
  }
}
