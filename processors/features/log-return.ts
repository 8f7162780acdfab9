import type { Indicator } from '../types.ts';
import { RingWindow } from './ring-window.ts';
import { asRecord, assertPeriod, finiteArray, finiteOrNull } from './state-guards.ts';

/**
 * LogReturn(n) = ln(close_t / close_{t-n}), dimensionless (a log return, not a percentage).
 * Input: close prices. Warm-up: n + 1 closes. Null when a price is not positive.
 */
export class LogReturn implements Indicator<number> {
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
    this.closes.load(finiteArray(asRecord(state, 'LogReturn').closes, 'LogReturn.closes'));
    this.compute();
  }

  private compute(): number | null {
    if (!this.closes.isFull) return (this.result = null);
    const now = this.closes.last();
    const then = this.closes.at(0);
    this.result = now > 0 && then > 0 ? finiteOrNull(Math.log(now / then)) : null;
    return this.result;
  }
}
