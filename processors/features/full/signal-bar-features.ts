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
import { ParkinsonVol } from './parkinson-vol.ts';

function makeIndicators() {
  return {
    ret_3: new LogReturn(3), ret_5: new LogReturn(5), ret_9: new LogReturn(9), ret_10: new LogReturn(10), ret_20: new LogReturn(20),
    macd: new Macd(12, 26, 9), adx: new Adx(14), rv_20: new RealizedVol(20), parkinson: new ParkinsonVol(20), atr: new Atr(14),
    bb: new Bollinger(20, 2), rsi: new Rsi(14), rsiMom: new LagDiff(5), rsiDiv: new MeanDeviation(10),
    volRatio: new VolumeRatio(20), vwapZ: new VwapZ(20), ofi: new OrderFlowImbalance(), ofi6: new RollingMean(6),
  };
}

const SQRT10 = Math.sqrt(10);
const SQRT20 = Math.sqrt(20);

const div = (a: number | null, b: number | null): number | null => (a === null || b === null || b === 0 ? null : finiteOrNull(a / b));

/**
 * The signal-interval (5m) bar features of full-v1 that are not in the multi-timeframe block
 * (ret_1, rsi_14, rv_10, bb_pctb_20 come from the 5m MultiTimeframeBlock; `base` passes them in).
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
    for (const r of [i.ret_3, i.ret_5, i.ret_9, i.ret_10, i.ret_20, i.macd, i.rv_20, i.bb]) r.add(bar.close);
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

  values(base: { ret_1: number | null; rv_10: number | null }): Record<string, number | null> {
    const i = this.ind;
    const close = this.close;
    const r5 = i.ret_5.getResult(), r10 = i.ret_10.getResult(), r20 = i.ret_20.getResult();
    const macd = i.macd.getResult();
    const adx = i.adx.getResult();
    const rv20 = i.rv_20.getResult();
    const atr = i.atr.getResult();
    const vr = i.volRatio.getResult();
    const vwap = i.vwapZ.rollingVwap;
    const volRegime = div(base.rv_10 === null ? null : base.rv_10 / SQRT10, rv20 === null ? null : rv20 / SQRT20);
    return {
      ret_3: i.ret_3.getResult(),
      ret_9: i.ret_9.getResult(),
      ret_5: r5,
      ret_10: r10,
      ret_20: r20,
      mom_accel_5_10: r5 === null || r10 === null ? null : finiteOrNull(r5 / 5 - r10 / 10),
      mom_accel_10_20: r10 === null || r20 === null ? null : finiteOrNull(r10 / 10 - r20 / 20),
      macd_line: div(macd?.line ?? null, close),
      macd_signal: div(macd?.signal ?? null, close),
      macd_hist: div(macd?.histogram ?? null, close),
      adx_14: adx,
      regime_score: adx === null || volRegime === null ? null : finiteOrNull((adx / 100) * volRegime),
      rv_20: rv20,
      parkinson_20: i.parkinson.getResult(),
      atr_14: atr,
      atr_14_pct: div(atr, close),
      bb_width_20: i.bb.getResult()?.width ?? null,
      rsi_mom_5: i.rsiMom.getResult(),
      rsi_div_10: i.rsiDiv.getResult(),
      vol_ratio_20: vr,
      vol_price_confirm: vr === null || !(vr > 0) || base.ret_1 === null ? null : finiteOrNull(Math.sign(base.ret_1) * Math.log(vr)),
      vwap_dev_20: vwap === null || close === null ? null : div(close - vwap, vwap),
      vwap_z_20: i.vwapZ.getResult(),
      ofi: i.ofi.getResult(),
      ofi_6: i.ofi6.getResult(),
    };
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
