import type { Bar } from '../../../schemas/bar.ts';
import { assertPeriod, finiteOrNull } from '../state-guards.ts';
import { WindowIndicator } from '../window-indicator.ts';

/**
 * Parkinson (1980) high-low volatility over the last n bars:
 *   sqrt( Σ_{i=t-n+1..t} ln(H_i/L_i)² / (4·ln 2) ),
 * in log-return units over those n bars, i.e. on the same scale as RealizedVol(n) (not annualized,
 * not divided by n; divide by sqrt(n) for a per-bar figure). Input: bars. Warm-up: n bars.
 * Null when a high or low is not positive.
 */
export class ParkinsonVol extends WindowIndicator<number, number, Bar> {
  constructor(readonly period = 20) {
    assertPeriod(period);
    super(period, 'ParkinsonVol', false);
  }

  /** ln(H/L)², or -1 for a bar whose range has no log (a non-positive high or low). */
  protected override toWindow(bar: Bar): number {
    return logRangeSq(bar);
  }

  protected compute(): number | null {
    let sum = 0;
    for (let i = 0; i < this.window.length; i++) {
      const v = this.window.at(i);
      if (v < 0) return null;
      sum += v;
    }
    return finiteOrNull(Math.sqrt(sum / (4 * Math.LN2)));
  }
}

function logRangeSq(bar: Bar): number {
  if (!(bar.high > 0 && bar.low > 0)) return -1;
  const r = Math.log(bar.high / bar.low);
  return Number.isFinite(r) ? r * r : -1;
}
