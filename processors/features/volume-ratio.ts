import type { Indicator } from '../types.ts';
import { RingWindow } from './ring-window.ts';
import { asRecord, assertPeriod, finiteArray, finiteOrNull } from './state-guards.ts';

/**
 * VolumeRatio(n) = volume_t / mean(volume_{t-n} .. volume_{t-1}): this bar's volume relative to
 * the mean of the n bars before it (dimensionless; 1 = average). The current bar is excluded
 * from its own baseline. Input: volumes. Warm-up: n + 1 bars. Null when the baseline mean is 0.
 */
export class VolumeRatio implements Indicator<number> {
  readonly warmUp: number;
  private readonly volumes: RingWindow<number>;
  private result: number | null = null;

  constructor(readonly period = 20) {
    assertPeriod(period);
    this.warmUp = period + 1;
    this.volumes = new RingWindow(period + 1);
  }

  get isStable(): boolean {
    return this.volumes.isFull;
  }

  add(volume: number): number | null {
    this.volumes.push(volume);
    return this.compute();
  }

  replace(volume: number): number | null {
    if (this.volumes.length === 0) return this.add(volume);
    this.volumes.replaceLast(volume);
    return this.compute();
  }

  getResult(): number | null {
    return this.result;
  }

  reset(): void {
    this.volumes.clear();
    this.result = null;
  }

  snapshot(): { volumes: number[] } {
    return { volumes: this.volumes.toArray() };
  }

  restore(state: unknown): void {
    this.volumes.load(finiteArray(asRecord(state, 'VolumeRatio').volumes, 'VolumeRatio.volumes'));
    this.compute();
  }

  private compute(): number | null {
    if (!this.volumes.isFull) return (this.result = null);
    let sum = 0;
    for (let i = 0; i < this.period; i++) sum += this.volumes.at(i);
    const mean = sum / this.period;
    this.result = mean === 0 ? null : finiteOrNull(this.volumes.last() / mean);
    return this.result;
  }
}
