import type { Indicator } from '../types.ts';
import { RingWindow } from './ring-window.ts';
import { asRecord, assertPeriod, finiteOrNull, nullableFiniteArray } from './state-guards.ts';

/**
 * RollingMean(n) = (1/n)·Σ of the last n inputs, in the unit of its input (ofi_6 = mean OFI of the
 * last 6 bars). An input may be null (a missing value, e.g. a bar without buyVolume): the mean is
 * then null until that input has left the window, rather than a mean over fewer values.
 * Warm-up: n inputs. Recomputed from the window each time (no running-sum drift).
 */
export class RollingMean implements Indicator<number | null> {
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

  add(value: number | null): number | null {
    this.values.push(value);
    return this.compute();
  }

  replace(value: number | null): number | null {
    if (this.values.length === 0) return this.add(value);
    this.values.replaceLast(value);
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
    this.values.load(nullableFiniteArray(asRecord(state, 'RollingMean').values, 'RollingMean.values'));
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
    this.result = finiteOrNull(sum / this.period);
    return this.result;
  }
}
