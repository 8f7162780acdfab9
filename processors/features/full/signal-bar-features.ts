import type { Bar } from '../../../schemas/bar.ts';
import { Atr } from '../atr.ts';
import { Bollinger } from '../bollinger.ts';
import { LogReturn } from '../log-return.ts';
import { OrderFlowImbalance } from '../order-flow-imbalance.ts';
import { RealizedVol } from '../realized-vol.ts';
import { RollingMean } from '../rolling-mean.ts';
import { Rsi } from '../rsi.ts';
import { asRecord, finiteOrNull, nullableFinite } from '../state-guards.ts';
import { VolumeRatio } from '../volume-ratio.ts';
import { VwapZ } from '../vwap-z.ts';
import { Adx } from './adx.ts';
import { LagDiff } from './lag-diff.ts';
import { Macd } from './macd.ts';
import { MeanDeviation } from './mean-deviation.ts';
import { put } from './multi-timeframe-block.ts';
import { ParkinsonVol } from './parkinson-vol.ts';

function makeIndicators() {
  return {
    ret_3: new LogReturn(3), ret_5: new LogReturn(5), ret_9: new LogReturn(9), ret_10: new LogReturn(10), ret_20: new LogReturn(20),
    macd: new Macd(12, 26, 9), adx: new Adx(14), rv_20: new RealizedVol(20), parkinson: new ParkinsonVol(20), atr: new Atr(14),
    bb: new Bollinger(20, 2), rsi: new Rsi(14), rsiMom: new LagDiff(5), rsiDiv: new MeanDeviation(10),
    volRatio: new VolumeRatio(20), vwapZ: new VwapZ(20), ofi: new OrderFlowImbalance(), ofi6: new RollingMean(6),
  };
}

/** The columns of writeInto, in its order. */
export const SIGNAL_BAR_FEATURE_NAMES = [
  'ret_3', 'ret_9', 'ret_5', 'ret_10', 'ret_20', 'mom_accel_5_10', 'mom_accel_10_20',
  'macd_line', 'macd_signal', 'macd_hist', 'adx_14', 'regime_score', 'rv_20', 'parkinson_20',
  'atr_14', 'atr_14_pct', 'bb_width_20', 'rsi_mom_5', 'rsi_div_10', 'vol_ratio_20',
  'vol_price_confirm', 'vwap_dev_20', 'vwap_z_20', 'ofi', 'ofi_6',
] as const;

const SQRT10 = Math.sqrt(10);
const SQRT20 = Math.sqrt(20);

const div = (a: number | null, b: number | null): number | null => (a === null || b === null || b === 0 ? null : finiteOrNull(a / b));

/**
 * The signal-interval (5m) bar features of full-v1 that are not in the multi-timeframe block
 * (ret_1, rsi_14, rv_10, bb_pctb_20 come from the 5m MultiTimeframeBlock; writeInto takes ret_1, rv_10).
 * Derived values, documented in full-feature-defs.ts:
 *   mom_accel_a_b = ret_a/a - ret_b/b;  regime_score = adx/100 · (rv_10/√10) / (rv_20/√20);
 *   vol_price_confirm = sign(ret_1) · ln(vol_ratio_20);  vwap_dev_20 = close / rolling VWAP - 1.
 */
export class SignalBarFeatures {
  private ind = makeIndicators();
  private close: number | null = null;

  add(bar: Bar): void {
    const i = this.ind;
    this.close = bar.close;
    const c = bar.close;
    i.ret_3.add(c);
    i.ret_5.add(c);
    i.ret_9.add(c);
    i.ret_10.add(c);
    i.ret_20.add(c);
    i.macd.add(c);
    i.rv_20.add(c);
    i.bb.add(c);
    i.adx.add(bar);
    i.parkinson.add(bar);
    i.atr.add(bar);
    const rsi = i.rsi.add(bar.close);
    i.rsiMom.add(rsi);
    i.rsiDiv.add(rsi);
    i.volRatio.add(bar.volume);
    i.vwapZ.add(bar);
    i.ofi6.add(i.ofi.add(bar));
  }

  /**
   * Writes the features, in SIGNAL_BAR_FEATURE_NAMES order, into dst at cols[k] (-1 = not
   * wanted), null as NaN; ret1/rv10 are the signal interval's block values (null when stale).
   * No objects per call (decision D51).
   */
  writeInto(dst: Float64Array, cols: Int32Array, ret1: number | null, rv10: number | null): void {
    const i = this.ind;
    const close = this.close;
    const r5 = i.ret_5.getResult(), r10 = i.ret_10.getResult(), r20 = i.ret_20.getResult();
    const macd = i.macd.getResult();
    const adx = i.adx.getResult();
    const rv20 = i.rv_20.getResult();
    const atr = i.atr.getResult();
    const vr = i.volRatio.getResult();
    const vwap = i.vwapZ.rollingVwap;
    const volRegime = div(rv10 === null ? null : rv10 / SQRT10, rv20 === null ? null : rv20 / SQRT20);
    put(dst, cols[0] as number, i.ret_3.getResult());
    put(dst, cols[1] as number, i.ret_9.getResult());
    put(dst, cols[2] as number, r5);
    put(dst, cols[3] as number, r10);
    put(dst, cols[4] as number, r20);
    put(dst, cols[5] as number, r5 === null || r10 === null ? null : finiteOrNull(r5 / 5 - r10 / 10));
    put(dst, cols[6] as number, r10 === null || r20 === null ? null : finiteOrNull(r10 / 10 - r20 / 20));
    put(dst, cols[7] as number, div(macd?.line ?? null, close));
    put(dst, cols[8] as number, div(macd?.signal ?? null, close));
    put(dst, cols[9] as number, div(macd?.histogram ?? null, close));
    put(dst, cols[10] as number, adx);
    put(dst, cols[11] as number, adx === null || volRegime === null ? null : finiteOrNull((adx / 100) * volRegime));
    put(dst, cols[12] as number, rv20);
    put(dst, cols[13] as number, i.parkinson.getResult());
    put(dst, cols[14] as number, atr);
    put(dst, cols[15] as number, div(atr, close));
    put(dst, cols[16] as number, i.bb.getResult()?.width ?? null);
    put(dst, cols[17] as number, i.rsiMom.getResult());
    put(dst, cols[18] as number, i.rsiDiv.getResult());
    put(dst, cols[19] as number, vr);
    put(dst, cols[20] as number, vr === null || !(vr > 0) || ret1 === null ? null : finiteOrNull(Math.sign(ret1) * Math.log(vr)));
    put(dst, cols[21] as number, vwap === null || close === null ? null : div(close - vwap, vwap));
    put(dst, cols[22] as number, i.vwapZ.getResult());
    put(dst, cols[23] as number, i.ofi.getResult());
    put(dst, cols[24] as number, i.ofi6.getResult());
  }

  snapshot(): { close: number | null; ind: Record<string, unknown> } {
    const ind: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(this.ind)) ind[k] = x.snapshot();
    return { close: this.close, ind };
  }

  restore(state: unknown): void {
    const s = asRecord(state, 'SignalBarFeatures');
    const close = nullableFinite(s.close, 'SignalBarFeatures.close');
    const ind = asRecord(s.ind, 'SignalBarFeatures.ind');
    const fresh = makeIndicators();
    for (const [k, x] of Object.entries(fresh)) {
      if (!(k in ind)) throw new TypeError(`SignalBarFeatures.ind: missing ${k}`);
      x.restore(ind[k]);
    }
    this.ind = fresh;
    this.close = close;
  }
}
