import type { Bar } from '../../../schemas/bar.ts';
import { Bollinger } from '../bollinger.ts';
import { LogReturn } from '../log-return.ts';
import { RealizedVol } from '../realized-vol.ts';
import { Rsi } from '../rsi.ts';
import { asRecord, nullableFinite } from '../state-guards.ts';

function makeIndicators() {
  return { ret_1: new LogReturn(1), rsi_14: new Rsi(14), rv_10: new RealizedVol(10), bb_20: new Bollinger(20, 2) };
}

/** The block's columns, in the order writeAt takes them (suffixed `_<interval>` off the signal interval). */
export const MTF_FEATURE_NAMES = ['ret_1', 'rsi_14', 'rv_10', 'bb_pctb_20'] as const;

/** dst[col] = x, null as NaN; col -1 = a column the set does not have. */
export function put(dst: Float64Array, col: number, x: number | null): void {
  if (col >= 0) dst[col] = x === null ? Number.NaN : x;
}

/**
 * ret_1, rsi_14, rv_10 and bb_pctb_20 over the bars of one interval, plus the end of the latest
 * bar fed, which the vector uses to refuse look-ahead and stale values (see valuesAt).
 */
export class MultiTimeframeBlock {
  private ind = makeIndicators();
  private lastEnd: number | null = null;

  constructor(readonly intervalMs: number) {}

  get lastBarEnd(): number | null {
    return this.lastEnd;
  }

  add(bar: Bar): void {
    if (this.lastEnd !== null && bar.end <= this.lastEnd) {
      throw new RangeError(`MultiTimeframeBlock(${bar.interval}): bar ending ${bar.end} is not after ${this.lastEnd}`);
    }
    this.lastEnd = bar.end;
    const i = this.ind;
    i.ret_1.add(bar.close);
    i.rsi_14.add(bar.close);
    i.rv_10.add(bar.close);
    i.bb_20.add(bar.close);
  }

  /**
   * Whether the values stand as of t: the latest bar fed ended at or before t (never a bar from
   * after t) and no more than one interval before t (older means bars are missing: a gap in the data).
   */
  freshAt(t: number): boolean {
    const e = this.lastEnd;
    return !(e === null || e > t || t - e > this.intervalMs);
  }

  /** ret_1 as of t (null unless freshAt(t)). */
  ret1At(t: number): number | null {
    return this.freshAt(t) ? this.ind.ret_1.getResult() : null;
  }

  /** rv_10 as of t (null unless freshAt(t)). */
  rv10At(t: number): number | null {
    return this.freshAt(t) ? this.ind.rv_10.getResult() : null;
  }

  /**
   * Writes ret_1, rsi_14, rv_10, bb_pctb_20 as of t (see freshAt) into dst at the columns
   * cols[0..3] (-1 = not wanted); null is written as NaN. No objects per call (decision D51).
   */
  writeAt(t: number, dst: Float64Array, cols: Int32Array): void {
    if (!this.freshAt(t)) {
      for (let k = 0; k < 4; k++) put(dst, cols[k] as number, null);
      return;
    }
    const i = this.ind;
    put(dst, cols[0] as number, i.ret_1.getResult());
    put(dst, cols[1] as number, i.rsi_14.getResult());
    put(dst, cols[2] as number, i.rv_10.getResult());
    put(dst, cols[3] as number, i.bb_20.getResult()?.pctB ?? null);
  }

  snapshot(): { lastEnd: number | null; ind: Record<string, unknown> } {
    const ind: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(this.ind)) ind[k] = x.snapshot();
    return { lastEnd: this.lastEnd, ind };
  }

  restore(state: unknown): void {
    const s = asRecord(state, 'MultiTimeframeBlock');
    const lastEnd = nullableFinite(s.lastEnd, 'MultiTimeframeBlock.lastEnd');
    const ind = asRecord(s.ind, 'MultiTimeframeBlock.ind');
    const fresh = makeIndicators();
    for (const [k, x] of Object.entries(fresh)) {
      if (!(k in ind)) throw new TypeError(`MultiTimeframeBlock.ind: missing ${k}`);
      x.restore(ind[k]);
    }
    this.ind = fresh;
    this.lastEnd = lastEnd;
  }
}
