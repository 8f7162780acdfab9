import type { Indicator } from '../types.ts';
import { RingWindow } from './ring-window.ts';
import { asRecord, assertPeriod, finiteArray, finiteOrNull } from './state-guards.ts';

/**
 * RealizedVol(n) = sqrt(Σ_{i=t-n+1..t} r_i²) with r_i = ln(close_i / close_{i-1}): the realized
 * volatility over the last n bars, in log-return units over those n bars. NOT annualized and not
 * divided by n (scale by sqrt(barsPerYear / n) to annualize). Input: closes. Warm-up: n + 1.
 * Recomputed from the window on every bar (n is small) so the result depends only on the window:
 * no running-sum drift, and a restored or late-started instance gives identical bits.
 */
export class RealizedVol implements Indicator<number> {
  readonly warmUp: number;
  private readonly closes: RingWindow<number>;
  private result: number | null = null;

  constructor(readonly period: number) {
    assertPeriod(period);
    this.warmUp = period + 1;
    this.closes = new RingWindow(period + 1);
  }

  get isStable(): boolean {
    return this.closes.isFull;
  }

  add(close: number): number | null {
    this.closes.push(close);
    return this.compute();
  }

  replace(close: number): number | null {
    if (this.closes.length === 0) return this.add(close);
    this.closes.replaceLast(close);
    return this.compute();
  }

  getResult(): number | null {
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
    this.closes.load(finiteArray(asRecord(state, 'RealizedVol').closes, 'RealizedVol.closes'));
    this.compute();
  }

  private compute(): number | null {
    if (!this.closes.isFull) return (this.result = null);
    let ss = 0;
    for (let i = 1; i < this.closes.length; i++) {
      const a = this.closes.at(i - 1);
      const b = this.closes.at(i);
      if (!(a > 0 && b > 0)) return (this.result = null);
      const r = Math.log(b / a);
      ss += r * r;
    }
    this.result = finiteOrNull(Math.sqrt(ss));
    return this.result;
  }
}
