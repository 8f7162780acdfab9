import type { Bar } from '../../schemas/bar.ts';
import type { Indicator } from '../types.ts';
import { RingWindow } from './ring-window.ts';
import { asRecord, assertPeriod, finiteOrNull, finiteNumber } from './state-guards.ts';
import { populationMeanStd } from './window-stats.ts';

interface Point {
  close: number;
  vwap: number;
  volume: number;
}

/**
 * VwapZ(n): how far the close sits from the rolling VWAP, in standard deviations of close.
 *   rollingVwap = Σ vwap_i·volume_i / Σ volume_i over the last n bars (price units);
 *   z = (close_t - rollingVwap) / σ(close over the same n bars), σ the population std.
 * Null while fewer than n bars, when Σ volume = 0, or when σ = 0 (all n closes equal).
 */
export class VwapZ implements Indicator<Bar> {
  readonly warmUp: number;
  private readonly points: RingWindow<Point>;
  private readonly closes: RingWindow<number>;
  private result: number | null = null;
  private vwap: number | null = null;

  constructor(readonly period = 20) {
    assertPeriod(period);
    this.warmUp = period;
    this.points = new RingWindow(period);
    this.closes = new RingWindow(period);
  }

  get isStable(): boolean {
    return this.points.isFull;
  }

  /** The rolling VWAP behind the latest result (null when the result's VWAP is undefined). */
  get rollingVwap(): number | null {
    return this.vwap;
  }

  add(bar: Bar): number | null {
    this.points.push({ close: bar.close, vwap: bar.vwap, volume: bar.volume });
    this.closes.push(bar.close);
    return this.compute();
  }

  replace(bar: Bar): number | null {
    if (this.points.length === 0) return this.add(bar);
    this.points.replaceLast({ close: bar.close, vwap: bar.vwap, volume: bar.volume });
    this.closes.replaceLast(bar.close);
    return this.compute();
  }

  getResult(): number | null {
    return this.result;
  }

  reset(): void {
    this.points.clear();
    this.closes.clear();
    this.result = null;
    this.vwap = null;
  }

  snapshot(): { points: Point[] } {
    return { points: this.points.toArray() };
  }

  restore(state: unknown): void {
    const raw = asRecord(state, 'VwapZ').points;
    if (!Array.isArray(raw)) throw new TypeError('VwapZ.points: expected an array');
    const points = raw.map((p, i) => {
      const r = asRecord(p, `VwapZ.points[${i}]`);
      return {
        close: finiteNumber(r.close, `VwapZ.points[${i}].close`),
        vwap: finiteNumber(r.vwap, `VwapZ.points[${i}].vwap`),
        volume: finiteNumber(r.volume, `VwapZ.points[${i}].volume`),
      };
    });
    this.points.load(points);
    this.closes.load(points.map((p) => p.close));
    this.compute();
  }

  private compute(): number | null {
    this.result = null;
    this.vwap = null;
    if (!this.points.isFull) return null;
    let pv = 0;
    let vol = 0;
    for (let i = 0; i < this.points.length; i++) {
      const p = this.points.at(i);
      pv += p.vwap * p.volume;
      vol += p.volume;
    }
    if (vol === 0) return null;
    this.vwap = finiteOrNull(pv / vol);
    const { std } = populationMeanStd(this.closes);
    if (this.vwap === null || std === 0) return null;
    this.result = finiteOrNull((this.closes.last() - this.vwap) / std);
    return this.result;
  }
}
