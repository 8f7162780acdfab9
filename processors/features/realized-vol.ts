import { assertPeriod, finiteOrNull } from './state-guards.ts';
import { WindowIndicator } from './window-indicator.ts';

/**
 * RealizedVol(n) = sqrt(Σ_{i=t-n+1..t} r_i²) with r_i = ln(close_i / close_{i-1}): the realized
 * volatility over the last n bars, in log-return units over those n bars. NOT annualized and not
 * divided by n (scale by sqrt(barsPerYear / n) to annualize). Input: closes. Warm-up: n + 1.
 * Recomputed from the window on every bar (n is small) so the result depends only on the window:
 * no running-sum drift, and a restored or late-started instance gives identical bits.
 */
export class RealizedVol extends WindowIndicator<number> {
  constructor(readonly period: number) {
    assertPeriod(period);
    super(period + 1, 'RealizedVol', false);
  }

  protected compute(): number | null {
    let ss = 0;
    for (let i = 1; i < this.window.length; i++) {
      const a = this.window.at(i - 1);
      const b = this.window.at(i);
      if (!(a > 0 && b > 0)) return null;
      const r = Math.log(b / a);
      ss += r * r;
    }
    return finiteOrNull(Math.sqrt(ss));
  }
}
