import { CLASSES } from '../processors/types.ts';
import { meanLogLoss, reliability, brierScore, type ReliabilityPoint } from './metrics.ts';

const K = CLASSES.length;
/** Isotonic outputs are floored here before renormalising, so no class gets probability 0. */
const ISOTONIC_FLOOR = 1e-6;

export type CalibrationMethod = 'none' | 'temperature' | 'isotonic';

export interface CalibrationParams {
  method: CalibrationMethod;
  /** temperature: p_k -> p_k^(1/T), renormalised (logits divided by T). */
  temperature?: number | undefined;
  /** isotonic: per class, breakpoints of a non-decreasing piecewise-linear map (clipped at the ends). */
  isotonic?: { x: number[]; y: number[] }[] | undefined;
}

/** Maps probabilities in place (row of K). */
export function applyCalibration(c: CalibrationParams, p: Float64Array): Float64Array {
  if (c.method === 'temperature') {
    const t = c.temperature as number;
    let max = -Infinity;
    for (let k = 0; k < p.length; k++) {
      p[k] = Math.log(p[k] as number) / t;
      max = Math.max(max, p[k] as number);
    }
    let sum = 0;
    for (let k = 0; k < p.length; k++) {
      p[k] = Math.exp((p[k] as number) - max);
      sum += p[k] as number;
    }
    for (let k = 0; k < p.length; k++) p[k] = (p[k] as number) / sum;
  } else if (c.method === 'isotonic') {
    const maps = c.isotonic as { x: number[]; y: number[] }[];
    let sum = 0;
    for (let k = 0; k < p.length; k++) {
      p[k] = Math.max(ISOTONIC_FLOOR, interpolate(maps[k] as { x: number[]; y: number[] }, p[k] as number));
      sum += p[k] as number;
    }
    for (let k = 0; k < p.length; k++) p[k] = (p[k] as number) / sum;
  }
  return p;
}

function interpolate(m: { x: number[]; y: number[] }, v: number): number {
  const { x, y } = m;
  if (Number.isNaN(v)) return v;
  if (v <= (x[0] as number)) return y[0] as number;
  if (v >= (x.at(-1) as number)) return y.at(-1) as number;
  let lo = 0;
  let hi = x.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >>> 1;
    if ((x[mid] as number) <= v) lo = mid;
    else hi = mid;
  }
  const x0 = x[lo] as number;
  const x1 = x[hi] as number;
  const y0 = y[lo] as number;
  return x1 === x0 ? y0 : y0 + (((y[hi] as number) - y0) * (v - x0)) / (x1 - x0);
}

/** Temperature minimising the log loss, by golden-section search on ln T in [ln 0.05, ln 20]. */
export function fitTemperature(probs: Float64Array, labels: ArrayLike<number>): number {
  const loss = (lnT: number): number => meanLogLoss(calibrateAll({ method: 'temperature', temperature: Math.exp(lnT) }, probs), labels);
  let a = Math.log(0.05);
  let b = Math.log(20);
  const phi = (Math.sqrt(5) - 1) / 2;
  let c = b - phi * (b - a);
  let d = a + phi * (b - a);
  let fc = loss(c);
  let fd = loss(d);
  for (let i = 0; i < 60; i++) {
    if (fc <= fd) {
      b = d;
      d = c;
      fd = fc;
      c = b - phi * (b - a);
      fc = loss(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + phi * (b - a);
      fd = loss(d);
    }
  }
  return Math.exp((a + b) / 2);
}

/**
 * One-vs-rest isotonic regression (pool adjacent violators on the class-k probability against
 * [y = k], equal scores pooled first), kept as breakpoints at each block's ends.
 */
export function fitIsotonic(probs: Float64Array, labels: ArrayLike<number>): { x: number[]; y: number[] }[] {
  const n = labels.length;
  return Array.from({ length: K }, (_, k) => {
    const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => (probs[i * K + k] as number) - (probs[j * K + k] as number) || i - j);
    // blocks: [xMin, xMax, sum of targets, count]
    const xs: number[] = [];
    const xe: number[] = [];
    const sum: number[] = [];
    const cnt: number[] = [];
    for (const i of order) {
      const v = probs[i * K + k] as number;
      const t = (labels[i] as number) === k ? 1 : 0;
      if (xs.length > 0 && xe.at(-1) === v) {
        sum[sum.length - 1] = (sum.at(-1) as number) + t;
        cnt[cnt.length - 1] = (cnt.at(-1) as number) + 1;
      } else {
        xs.push(v);
        xe.push(v);
        sum.push(t);
        cnt.push(1);
      }
      while (sum.length > 1 && (sum.at(-2) as number) / (cnt.at(-2) as number) >= (sum.at(-1) as number) / (cnt.at(-1) as number)) {
        const s = sum.pop() as number;
        const c = cnt.pop() as number;
        const e = xe.pop() as number;
        xs.pop();
        sum[sum.length - 1] = (sum.at(-1) as number) + s;
        cnt[cnt.length - 1] = (cnt.at(-1) as number) + c;
        xe[xe.length - 1] = e;
      }
    }
    const x: number[] = [];
    const y: number[] = [];
    for (let b = 0; b < xs.length; b++) {
      const v = (sum[b] as number) / (cnt[b] as number);
      x.push(xs[b] as number);
      y.push(v);
      if ((xe[b] as number) !== (xs[b] as number)) {
        x.push(xe[b] as number);
        y.push(v);
      }
    }
    return { x, y };
  });
}

export function calibrateAll(c: CalibrationParams, probs: Float64Array): Float64Array {
  const out = Float64Array.from(probs);
  for (let i = 0; i < out.length; i += K) applyCalibration(c, out.subarray(i, i + K));
  return out;
}

export interface CalibrationReport {
  method: CalibrationMethod;
  eceBefore: number;
  eceAfter: number;
  brierBefore: number;
  brierAfter: number;
  logLossBefore: number;
  logLossAfter: number;
  /** Log loss of each method fitted on one chronological half of validation and scored on the other, summed over both ways. */
  selectionLogLoss: { temperature: number; isotonic: number };
  reliabilityBefore: ReliabilityPoint[];
  reliabilityAfter: ReliabilityPoint[];
  /**
   * D108: absent, the validation split (every manifest before D108, and single families);
   * 'out-of-fold': the out-of-fold predictions of train + validation (`auto`, `stack`).
   * The figures above (before/after, reliability) are of the rows it was fitted on.
   */
  fittedOn?: 'out-of-fold';
  /** Rows the calibrator was fitted on (present with fittedOn). */
  rows?: number;
}

function fitMethod(method: 'temperature' | 'isotonic', probs: Float64Array, labels: ArrayLike<number>): CalibrationParams {
  return method === 'temperature' ? { method, temperature: fitTemperature(probs, labels) } : { method, isotonic: fitIsotonic(probs, labels) };
}

/**
 * Fits temperature scaling and isotonic regression on the validation rows (in time order) and
 * keeps the one with the lower validation log loss. Isotonic regression fitted and scored on the
 * same rows would always look better, so the comparison is cross-fitted: each method is fitted
 * on the first half of validation and scored on the second, and the other way round; the
 * winner is then refitted on all of validation.
 */
export function fitCalibration(probs: Float64Array, labels: Uint8Array): { params: CalibrationParams; report: CalibrationReport } {
  const n = labels.length;
  const half = Math.floor(n / 2);
  const a = { p: probs.subarray(0, half * K), y: labels.subarray(0, half) };
  const b = { p: probs.subarray(half * K), y: labels.subarray(half) };
  const crossLoss = (method: 'temperature' | 'isotonic'): number =>
    half < 10
      ? meanLogLoss(calibrateAll(fitMethod(method, probs, labels), probs), labels)
      : meanLogLoss(calibrateAll(fitMethod(method, a.p, a.y), b.p), b.y) * b.y.length + meanLogLoss(calibrateAll(fitMethod(method, b.p, b.y), a.p), a.y) * a.y.length;
  return finishCalibration(probs, labels, { temperature: crossLoss('temperature') / n, isotonic: crossLoss('isotonic') / n });
}

/**
 * D108: the calibrator fitted on OUT-OF-FOLD predictions of train + validation (`auto` and
 * `stack`: model/stack.ts `outOfFold`, every row scored by a model that did not train on it), as
 * scikit-learn's CalibratedClassifierCV(ensemble=False) does: about 5.7 times the rows of the
 * validation split, spread over the whole train + validation period instead of its last 15 %.
 * The method is chosen by the same folds: for each fold, each method is fitted on the other folds'
 * rows and scores the fold's rows (summed over folds, divided by the rows); the winner is refitted
 * on all rows. `testPositions` are the folds' test positions into probs/labels (each position in
 * exactly one fold). Rows of the test split never reach here: the folds cover train + validation.
 */
export function fitCalibrationOutOfFold(probs: Float64Array, labels: Uint8Array, testPositions: readonly Uint32Array[]): { params: CalibrationParams; report: CalibrationReport } {
  const n = labels.length;
  const inFold = new Int32Array(n).fill(-1);
  testPositions.forEach((t, f) => {
    for (const i of t) {
      if (i >= n || inFold[i] !== -1) throw new RangeError(`out-of-fold calibration: position ${i} outside the rows or in two folds`);
      inFold[i] = f;
    }
  });
  if (inFold.includes(-1) || testPositions.length < 2) throw new RangeError('out-of-fold calibration: the folds must cover every row, in at least 2 folds');
  const pick = (positions: ArrayLike<number>): { p: Float64Array; y: Uint8Array } => {
    const p = new Float64Array(positions.length * K);
    const y = new Uint8Array(positions.length);
    for (let j = 0; j < positions.length; j++) {
      const i = positions[j] as number;
      p.set(probs.subarray(i * K, i * K + K), j * K);
      y[j] = labels[i] as number;
    }
    return { p, y };
  };
  const parts = testPositions.map((t, f) => {
    const others: number[] = [];
    for (let i = 0; i < n; i++) if (inFold[i] !== f) others.push(i);
    return { fit: pick(others), score: pick(t) };
  });
  const crossLoss = (method: 'temperature' | 'isotonic'): number => {
    let sum = 0;
    for (const { fit, score } of parts) sum += meanLogLoss(calibrateAll(fitMethod(method, fit.p, fit.y), score.p), score.y) * score.y.length;
    return sum / n;
  };
  const fitted = finishCalibration(probs, labels, { temperature: crossLoss('temperature'), isotonic: crossLoss('isotonic') });
  return { params: fitted.params, report: { ...fitted.report, fittedOn: 'out-of-fold', rows: n } };
}

function finishCalibration(probs: Float64Array, labels: Uint8Array, selectionLogLoss: { temperature: number; isotonic: number }): { params: CalibrationParams; report: CalibrationReport } {
  const method = selectionLogLoss.isotonic < selectionLogLoss.temperature ? 'isotonic' : 'temperature';
  const params = fitMethod(method, probs, labels);
  const after = calibrateAll(params, probs);
  const rb = reliability(probs, labels);
  const ra = reliability(after, labels);
  return {
    params,
    report: {
      method,
      eceBefore: rb.ece,
      eceAfter: ra.ece,
      brierBefore: brierScore(probs, labels),
      brierAfter: brierScore(after, labels),
      logLossBefore: meanLogLoss(probs, labels),
      logLossAfter: meanLogLoss(after, labels),
      selectionLogLoss,
      reliabilityBefore: rb.points,
      reliabilityAfter: ra.points,
    },
  };
}
