import type { Bar } from '../../../schemas/bar.ts';
import type { Indicator } from '../../types.ts';
import { RingWindow } from '../ring-window.ts';
import { asRecord, assertPeriod, finiteArray, finiteOrNull } from '../state-guards.ts';

/**
 * Parkinson (1980) high-low volatility over the last n bars:
 *   sqrt( Σ_{i=t-n+1..t} ln(H_i/L_i)² / (4·ln 2) ),
 * in log-return units over those n bars, i.e. on the same scale as RealizedVol(n) (not annualized,
 * not divided by n; divide by sqrt(n) for a per-bar figure). Input: bars. Warm-up: n bars.
 * Null when a high or low is not positive.
 */
export class ParkinsonVol implements Indicator<Bar> {
  readonly warmUp: number;
  private readonly sq: RingWindow<number>;
  private result: number | null = null;

  constructor(readonly period = 20) {
    assertPeriod(period);
    this.warmUp = period;
    this.sq = new RingWindow(period);
  }

  get isStable(): boolean {
    return this.sq.isFull;
  }

  add(bar: Bar): number | null {
    this.sq.push(logRangeSq(bar));
    return this.compute();
  }

  replace(bar: Bar): number | null {
    if (this.sq.length === 0) return this.add(bar);
    this.sq.replaceLast(logRangeSq(bar));
    return this.compute();
  }

  getResult(): number | null {
    return this.result;
  }

  reset(): void {
    this.sq.clear();
    this.result = null;
  }

  /** -1 marks a bar whose range has no log (a non-positive high or low). */
  snapshot(): { sq: number[] } {
    return { sq: this.sq.toArray() };
  }

  restore(state: unknown): void {
    this.sq.load(finiteArray(asRecord(state, 'ParkinsonVol').sq, 'ParkinsonVol.sq'));
    this.compute();
  }

  private compute(): number | null {
    if (!this.sq.isFull) return (this.result = null);
    let sum = 0;
    for (let i = 0; i < this.sq.length; i++) {
      const v = this.sq.at(i);
      if (v < 0) return (this.result = null);
      sum += v;
    }
    this.result = finiteOrNull(Math.sqrt(sum / (4 * Math.LN2)));
    return this.result;
  }
}

function logRangeSq(bar: Bar): number {
  if (!(bar.high > 0 && bar.low > 0)) return -1;
  const r = Math.log(bar.high / bar.low);
  return Number.isFinite(r) ? r * r : -1;
}
