import type { Bar } from '../../schemas/bar.ts';
import type { Indicator } from '../types.ts';
import { asRecord, nullableFinite } from './state-guards.ts';

/**
 * Order-flow imbalance of one bar: 2·buyVolume/volume - 1 = (taker buy - taker sell) / volume,
 * a fraction in [-1, 1] (+1 = all aggressor buys). Null when the source gives no buyVolume or the
 * bar has no volume. Warm-up: 1 bar. Per-bar, so replace() is just a recomputation.
 */
export class OrderFlowImbalance implements Indicator<Bar> {
  readonly warmUp = 1;
  private seen = false;
  private result: number | null = null;

  get isStable(): boolean {
    return this.seen;
  }

  add(bar: Bar): number | null {
    this.seen = true;
    const { buyVolume, volume } = bar;
    const ofi = buyVolume === null || volume === 0 ? NaN : (2 * buyVolume) / volume - 1;
    this.result = Number.isFinite(ofi) ? ofi : null;
    return this.result;
  }

  replace(bar: Bar): number | null {
    return this.add(bar);
  }

  getResult(): number | null {
    return this.result;
  }

  reset(): void {
    this.seen = false;
    this.result = null;
  }

  snapshot(): { seen: boolean; result: number | null } {
    return { seen: this.seen, result: this.result };
  }

  restore(state: unknown): void {
    const s = asRecord(state, 'OrderFlowImbalance');
    if (typeof s.seen !== 'boolean') throw new TypeError('OrderFlowImbalance.seen: expected a boolean');
    this.seen = s.seen;
    this.result = nullableFinite(s.result, 'OrderFlowImbalance.result');
  }
}
