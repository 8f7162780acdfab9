import { LogReturn } from '../log-return.ts';
import { RealizedVol } from '../realized-vol.ts';
import { RingWindow } from '../ring-window.ts';
import { asRecord, finiteArray } from '../state-guards.ts';

/** Bars of the trend return and of the realized volatility. */
export const CONTEXT_BARS = 20;
/** Past realized volatilities the current one is compared with. */
export const VOL_REGIME_BARS = 50;
/** |20-bar return| above this many 20-bar realized volatilities is a trend. */
export const TREND_Z = 0.5;

export type Trend = 'up' | 'flat' | 'down';
export type VolRegime = 'high' | 'low';
export interface PatternContext {
  trend: Trend;
  vol: VolRegime;
}

export const TRENDS: readonly Trend[] = ['up', 'flat', 'down'];
export const VOL_REGIMES: readonly VolRegime[] = ['high', 'low'];

/**
 * The market context of a bar, from its interval's closes up to and including it (nothing later):
 * trend = up / down when ln(close / close 20 bars ago) is above / below ±0.5 × the 20-bar realized
 * volatility, flat otherwise; vol = high when that realized volatility exceeds the mean of its
 * previous 50 values, low otherwise. null until both are defined (71 bars).
 */
export class ContextTracker {
  private ret = new LogReturn(CONTEXT_BARS);
  private rv = new RealizedVol(CONTEXT_BARS);
  private past = new RingWindow<number>(VOL_REGIME_BARS);

  add(close: number): PatternContext | null {
    const r = this.ret.add(close);
    const v = this.rv.add(close);
    if (r === null || v === null) return null;
    let ctx: PatternContext | null = null;
    if (this.past.isFull) {
      let sum = 0;
      for (let i = 0; i < this.past.length; i++) sum += this.past.at(i);
      const mean = sum / this.past.length;
      const z = v > 0 ? r / v : 0;
      ctx = { trend: z > TREND_Z ? 'up' : z < -TREND_Z ? 'down' : 'flat', vol: v > mean ? 'high' : 'low' };
    }
    this.past.push(v);
    return ctx;
  }

  snapshot(): unknown {
    return { ret: this.ret.snapshot(), rv: this.rv.snapshot(), past: this.past.toArray() };
  }

  restore(state: unknown): void {
    const s = asRecord(state, 'ContextTracker');
    const ret = new LogReturn(CONTEXT_BARS);
    ret.restore(s.ret);
    const rv = new RealizedVol(CONTEXT_BARS);
    rv.restore(s.rv);
    const past = new RingWindow<number>(VOL_REGIME_BARS);
    for (const x of finiteArray(s.past, 'ContextTracker.past')) past.push(x);
    this.ret = ret;
    this.rv = rv;
    this.past = past;
  }
}
