import { assertPeriod, finiteOrNull } from './state-guards.ts';
import { WindowIndicator } from './window-indicator.ts';

/**
 * LogReturn(n) = ln(close_t / close_{t-n}), dimensionless (a log return, not a percentage).
 * Input: close prices. Warm-up: n + 1 closes. Null when a price is not positive.
 */
export class LogReturn extends WindowIndicator<number> {
  constructor(readonly period: number) {
    assertPeriod(period);
    super(period + 1, 'LogReturn', false);
  }

  protected compute(): number | null {
    const now = this.window.last();
    const then = this.window.at(0);
    return now > 0 && then > 0 ? finiteOrNull(Math.log(now / then)) : null;
  }
}
