import type { Indicator } from '../../types.ts';
import { RingWindow } from '../ring-window.ts';
import { asRecord, assertPeriod, finiteOrNull, nullableFiniteArray } from '../state-guards.ts';

/**
 * MeanDeviation(n) = x_t - mean(x_{t-n+1} .. x_t): how far the latest input sits from its own
 * n-period simple mean (the window includes x_t), in the unit of its input (rsi_div_10 = RSI minus
 * its 10-bar mean, in RSI points). Null while any of the n inputs is null. Warm-up: n inputs.
 */
export class MeanDeviation implements Indicator<number | null> {
  readonly warmUp: number;
  private readonly values: RingWindow<number | null>;
  private result: number | null = null;

  constructor(readonly period: number) {
    assertPeriod(period);
    this.warmUp = period;
    this.values = new RingWindow(period);
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
    this.values.load(nullableFiniteArray(asRecord(state, 'MeanDeviation').values, 'MeanDeviation.values'));
    this.compute();
  }

  private compute(): number | null {
    this.result = null;
    if (!this.values.isFull) return null;
    let sum = 0;
    for (let i = 0; i < this.period; i++) {
      const v = this.values.at(i);
      if (v === null) return null;
      sum += v;
    }
    const last = this.values.last() as number;
    this.result = finiteOrNull(last - sum / this.period);
    return this.result;
  }
}
