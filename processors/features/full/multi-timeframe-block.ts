import type { Bar } from '../../../schemas/bar.ts';
import { Bollinger } from '../bollinger.ts';
import { LogReturn } from '../log-return.ts';
import { RealizedVol } from '../realized-vol.ts';
import { Rsi } from '../rsi.ts';
import { asRecord, nullableFinite } from '../state-guards.ts';

function makeIndicators() {
  return { ret_1: new LogReturn(1), rsi_14: new Rsi(14), rv_10: new RealizedVol(10), bb_20: new Bollinger(20, 2) };
}

export interface MtfValues {
  ret_1: number | null;
  rsi_14: number | null;
  rv_10: number | null;
  bb_pctb_20: number | null;
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
   * The values as of t: only when the latest bar fed ended at or before t (never a bar from after
   * t) and no more than one interval before t (older means bars are missing: a gap in the data).
   */
  valuesAt(t: number): MtfValues {
    const e = this.lastEnd;
    if (e === null || e > t || t - e > this.intervalMs) return { ret_1: null, rsi_14: null, rv_10: null, bb_pctb_20: null };
    return this.values();
  }

  /** The values of the latest bar, unconditionally. */
  values(): MtfValues {
    const i = this.ind;
    return {
      ret_1: i.ret_1.getResult(),
      rsi_14: i.rsi_14.getResult(),
      rv_10: i.rv_10.getResult(),
      bb_pctb_20: i.bb_20.getResult()?.pctB ?? null,
    };
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
