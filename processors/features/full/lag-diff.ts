import type { Indicator } from '../../types.ts';
import { RingWindow } from '../ring-window.ts';
import { asRecord, assertPeriod, finiteOrNull, nullableFiniteArray } from '../state-guards.ts';

/**
 * LagDiff(n) = x_t - x_{t-n}, in the unit of its input (rsi_mom_5 = RSI now - RSI 5 bars ago,
 * in RSI points). An input may be null (e.g. the RSI before its warm-up): the result is null while
 * x_t or x_{t-n} is null. Warm-up: n + 1 inputs.
 */
export class LagDiff implements Indicator<number | null> {
  readonly warmUp: number;
  private readonly values: RingWindow<number | null>;
  private result: number | null = null;

  constructor(readonly lag: number) {
    assertPeriod(lag, 'lag');
    this.warmUp = lag + 1;
    this.values = new RingWindow(lag + 1);
  }

  get isStable(): boolean {
    return this.values.isFull;
  }

  add(x: number | null): number | null {
    this.values.push(x);
    return this.compute();
  }

  replace(x: number | null): number | null {
    if (this.values.length === 0) return this.add(x);
    this.values.replaceLast(x);
    return this.compute();
  }

  getResult(): number | null {
    return this.result;
  }

  reset(): void {
    this.values.clear();
    this.result = null;
  }

  snapshot(): { values: (number | null)[] } {
    return { values: this.values.toArray() };
  }

  restore(state: unknown): void {
    this.values.load(nullableFiniteArray(asRecord(state, 'LagDiff').values, 'LagDiff.values'));
    this.compute();
  }

  private compute(): number | null {
    this.result = null;
    if (!this.values.isFull) return null;
    const now = this.values.last();
    const then = this.values.at(0);
    if (now !== null && then !== null) this.result = finiteOrNull(now - then);
    return this.result;
  }
}
