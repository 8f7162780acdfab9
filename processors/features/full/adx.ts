import { StepIndicator } from '../step-indicator.ts';
import type { Bar } from '../../../schemas/bar.ts';
import { asRecord, assertPeriod, count, finiteNumber, nullableFinite } from '../state-guards.ts';

interface AdxState {
  /** Bars seen. */
  n: number;
  prevHigh: number | null;
  prevLow: number | null;
  prevClose: number | null;
  /** Wilder running sums of TR, +DM, -DM (seeded by the plain sum of the first n). */
  tr: number;
  pdm: number;
  mdm: number;
  /** Sum of the first n DX values (seed of ADX). */
  sumDx: number;
  adx: number | null;
}

const EMPTY: AdxState = { n: 0, prevHigh: null, prevLow: null, prevClose: null, tr: 0, pdm: 0, mdm: 0, sumDx: 0, adx: null };

/**
 * Wilder's Average Directional Index ADX(n) (Wilder 1978; StockCharts ChartSchool), index 0..100.
 * From the 2nd bar: up = H_t - H_{t-1}, down = L_{t-1} - L_t; +DM = up if up > down and up > 0
 * else 0; -DM = down if down > up and down > 0 else 0; TR = max(H-L, |H-C_{t-1}|, |L-C_{t-1}|).
 * TR_n, +DM_n, -DM_n: sum of the first n values, then S_t = S_{t-1} - S_{t-1}/n + x_t.
 * ±DI = 100·±DM_n / TR_n (0 when TR_n = 0); DX = 100·|+DI - -DI| / (+DI + -DI) (0 when both 0).
 * ADX = mean of the first n DX, then ADX_t = (ADX_{t-1}·(n-1) + DX_t)/n.
 * First DX at bar n+1, first ADX at bar 2n (= warm-up, 28 for n = 14).
 */
export class Adx extends StepIndicator<Bar, AdxState> {
  readonly warmUp: number;

  constructor(readonly period = 14) {
    assertPeriod(period);
    super(EMPTY, 'Adx');
    this.warmUp = 2 * period;
  }

  get isStable(): boolean {
    return this.state.adx !== null;
  }

  getResult(): number | null {
    const a = this.state.adx;
    return a !== null && Number.isFinite(a) ? a : null;
  }

  protected parseState(x: unknown, what: string): AdxState {
    return parseState(x, what);
  }

  protected step(bar: Bar): void {
    const s = this.state;
    const p = this.period;
    const { high, low, close } = bar;
    s.n++;
    if (s.prevHigh !== null && s.prevLow !== null && s.prevClose !== null) {
      const up = high - s.prevHigh;
      const down = s.prevLow - low;
      const pdm = up > down && up > 0 ? up : 0;
      const mdm = down > up && down > 0 ? down : 0;
      const tr = Math.max(high - low, Math.abs(high - s.prevClose), Math.abs(low - s.prevClose));
      const k = s.n - 1; // index (1-based) of this directional movement
      if (k <= p) {
        s.tr += tr;
        s.pdm += pdm;
        s.mdm += mdm;
      } else {
        s.tr = s.tr - s.tr / p + tr;
        s.pdm = s.pdm - s.pdm / p + pdm;
        s.mdm = s.mdm - s.mdm / p + mdm;
      }
      if (k >= p) {
        const pdi = s.tr === 0 ? 0 : (100 * s.pdm) / s.tr;
        const mdi = s.tr === 0 ? 0 : (100 * s.mdm) / s.tr;
        const dx = pdi + mdi === 0 ? 0 : (100 * Math.abs(pdi - mdi)) / (pdi + mdi);
        const j = k - p + 1; // index (1-based) of this DX
        if (j < p) s.sumDx += dx;
        else if (j === p) s.adx = (s.sumDx + dx) / p;
        else s.adx = ((s.adx as number) * (p - 1) + dx) / p;
      }
    }
    s.prevHigh = high;
    s.prevLow = low;
    s.prevClose = close;
  }
}

function parseState(x: unknown, what: string): AdxState {
  const r = asRecord(x, what);
  return {
    n: count(r.n, `${what}.n`),
    prevHigh: nullableFinite(r.prevHigh, `${what}.prevHigh`),
    prevLow: nullableFinite(r.prevLow, `${what}.prevLow`),
    prevClose: nullableFinite(r.prevClose, `${what}.prevClose`),
    tr: finiteNumber(r.tr, `${what}.tr`),
    pdm: finiteNumber(r.pdm, `${what}.pdm`),
    mdm: finiteNumber(r.mdm, `${what}.mdm`),
    sumDx: finiteNumber(r.sumDx, `${what}.sumDx`),
    adx: nullableFinite(r.adx, `${what}.adx`),
  };
}
