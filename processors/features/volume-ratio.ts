import { assertPeriod, finiteOrNull } from './state-guards.ts';
import { WindowIndicator } from './window-indicator.ts';

/**
 * VolumeRatio(n) = volume_t / mean(volume_{t-n} .. volume_{t-1}): this bar's volume relative to
 * the mean of the n bars before it (dimensionless; 1 = average). The current bar is excluded
 * from its own baseline. Input: volumes. Warm-up: n + 1 bars. Null when the baseline mean is 0.
 */
export class VolumeRatio extends WindowIndicator<number> {
  constructor(readonly period = 20) {
    assertPeriod(period);
    super(period + 1, 'VolumeRatio', false);
  }

  protected compute(): number | null {
    let sum = 0;
    for (let i = 0; i < this.period; i++) sum += this.window.at(i);
    const mean = sum / this.period;
    return mean === 0 ? null : finiteOrNull(this.window.last() / mean);
  }
}
