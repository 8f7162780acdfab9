import { ModelError } from './errors.ts';
import { lbfgs } from './lbfgs.ts';
import { standardizedMatrix } from './logistic.ts';
import type { Standardization } from './standardization.ts';

/**
 * Forward-return heads, shared by every family (D31): on the same standardized features as the
 * classifier, four linear regressions of the dataset's `fwdReturn` (the label's own forward log
 * return over the horizon): the conditional mean (squared loss) and the conditional quantiles 10,
 * 50 and 90 % (pinball loss). Fitted on the train rows by L-BFGS from a fixed start with a fixed
 * iteration cap, every sum in row then feature order, so the same rows give the same bits.
 * The pinball loss is not differentiable at 0; it is smoothed on |u| <= delta (in units of the
 * train standard deviation of fwdReturn) by a quadratic that meets it with the same slope (a
 * Huberized check loss), which moves the fitted quantile towards the median by about
 * (2 tau - 1) delta / 2; so delta follows a fixed continuation schedule (each fit starts from the
 * previous one) down to 0.002, where that bias is far below the estimation error.
 * Quantiles never cross: the three are sorted at prediction (monotone rearrangement, Chernozhukov,
 * Fernández-Val and Galichon, Econometrica 2010; it never increases the pinball loss).
 */
export const QUANTILES = [0.1, 0.5, 0.9] as const;

/** Output order of the heads: mean, q10, q50, q90. */
const OUT = 1 + QUANTILES.length;

export interface HeadsConfig {
  /** L2 penalty on the weights (objective: mean loss + l2/2 |w|^2), in target-std units. */
  l2: number;
  /** Half-widths of the quadratic part of the smoothed pinball loss, in target-std units, fitted in turn. */
  smoothing: number[];
  maxIterations: number;
}

export const DEFAULT_HEADS: HeadsConfig = { l2: 1e-4, smoothing: [0.05, 0.01, 0.002], maxIterations: 300 };

/** Saved parameters: d x 4 kernel (row-major) and 4 intercepts on standardized inputs, in return units. */
export interface HeadsParams {
  kernel: number[];
  bias: number[];
}

export interface ReturnHeads {
  expectedReturn: number;
  q10: number;
  q50: number;
  q90: number;
}

export interface HeadsReport {
  n: number;
  expectedReturn: { mae: number; baselineMae: number };
  quantiles: { coverage10: number; coverage50: number; coverage90: number; pinball: number; baselinePinball: number };
  /** Price-regression metrics of the heads beside persistence and drift (regressionMetrics); absent in older manifests. */
  regression?: RegressionReport;
}

/** Point-forecast errors of one forecaster of the forward log return r (see regressionMetrics). */
export interface PointErrors {
  /** Mean |r_hat - r|. */
  mae: number;
  /** sqrt(mean (r_hat - r)^2). */
  rmse: number;
  /** Mean |P_hat - P| / P of the implied price P = close * exp(r): |expm1(r_hat - r)| (close cancels); a fraction, not %. */
  mapePrice: number;
  /** Share of rows with r != 0 whose sign r_hat gets right; r_hat = 0 counts 1/2. null when every realized r is 0. */
  directionalAccuracy: number | null;
}

export interface RegressionReport {
  target: 'fwdReturn';
  n: number;
  /** Rows with a nonzero realized return: the denominator of directionalAccuracy. */
  directionalRows: number;
  model: PointErrors;
  /** Price unchanged: r_hat = 0 for every row (directional accuracy 1/2 by the tie rule). */
  persistence: PointErrors;
  /** The train split's mean forward return for every row. */
  drift: PointErrors;
  /** Model MAE and RMSE both strictly below persistence's. */
  beatsPersistence: boolean;
  /** Model MAE and RMSE both strictly below drift's. */
  beatsDrift: boolean;
  /** Share of rows with q10 <= r <= q90 (nominal 0.8), model and train-quantile baseline. */
  interval: { nominal: number; coverage: number; baselineCoverage: number };
  /** Mean pinball loss per quantile level, model and train-quantile baseline. */
  pinball: { q10: number; q50: number; q90: number };
  baselinePinball: { q10: number; q50: number; q90: number };
}

/** One test row's forecasts for regressionMetrics: mean, q10, q50, q90 of the forward log return. */
export interface RegressionForecast {
  mean: number;
  q10: number;
  q50: number;
  q90: number;
}

function pointErrors(pred: (i: number) => number, y: ArrayLike<number>): PointErrors {
  const n = y.length;
  let abs = 0;
  let sq = 0;
  let ape = 0;
  let hits = 0;
  let dirRows = 0;
  for (let i = 0; i < n; i++) {
    const yi = y[i] as number;
    const e = pred(i) - yi;
    abs += Math.abs(e);
    sq += e * e;
    ape += Math.abs(Math.expm1(e));
    if (yi !== 0) {
      dirRows++;
      const p = pred(i);
      hits += p === 0 ? 0.5 : Math.sign(p) === Math.sign(yi) ? 1 : 0;
    }
  }
  const d = Math.max(n, 1);
  return { mae: abs / d, rmse: Math.sqrt(sq / d), mapePrice: ape / d, directionalAccuracy: dirRows === 0 ? null : hits / dirRows };
}

/**
 * Regression metrics of the forward-return heads on realized log returns y (row order; every sum
 * in that order): MAE/RMSE of the return, MAPE of the implied price close * exp(r) (the close
 * cancels: |exp(r_hat - r) - 1|), directional accuracy (rows with r = 0 left out, a forecast of
 * exactly 0 scores 1/2), each beside persistence (r_hat = 0) and drift (trainMean); q10-q90
 * interval coverage (inclusive) and pinball loss per quantile beside the train quantiles `base`.
 */
export function regressionMetrics(forecasts: readonly RegressionForecast[], y: ArrayLike<number>, trainMean: number, base: readonly [number, number, number]): RegressionReport {
  const n = y.length;
  if (forecasts.length !== n) throw new ModelError('TRAINING_FAILED', `regression metrics: ${forecasts.length} forecasts for ${n} returns`);
  const model = pointErrors((i) => (forecasts[i] as RegressionForecast).mean, y);
  const persistence = pointErrors(() => 0, y);
  const drift = pointErrors(() => trainMean, y);
  let dirRows = 0;
  let inside = 0;
  let baseInside = 0;
  const pin = [0, 0, 0];
  const basePin = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const yi = y[i] as number;
    const f = forecasts[i] as RegressionForecast;
    if (yi !== 0) dirRows++;
    if (f.q10 <= yi && yi <= f.q90) inside++;
    if (base[0] <= yi && yi <= base[2]) baseInside++;
    const q = [f.q10, f.q50, f.q90];
    for (let k = 0; k < 3; k++) {
      const tau = QUANTILES[k] as number;
      pin[k] = (pin[k] as number) + pinball(yi - (q[k] as number), tau);
      basePin[k] = (basePin[k] as number) + pinball(yi - (base[k] as number), tau);
    }
  }
  const d = Math.max(n, 1);
  return {
    target: 'fwdReturn',
    n,
    directionalRows: dirRows,
    model,
    persistence,
    drift,
    beatsPersistence: model.mae < persistence.mae && model.rmse < persistence.rmse,
    beatsDrift: model.mae < drift.mae && model.rmse < drift.rmse,
    interval: { nominal: (QUANTILES[2] as number) - (QUANTILES[0] as number), coverage: inside / d, baselineCoverage: baseInside / d },
    pinball: { q10: (pin[0] as number) / d, q50: (pin[1] as number) / d, q90: (pin[2] as number) / d },
    baselinePinball: { q10: (basePin[0] as number) / d, q50: (basePin[1] as number) / d, q90: (basePin[2] as number) / d },
  };
}

export interface HeadsFit {
  params: HeadsParams;
  /** L-BFGS iterations per head (mean, q10, q50, q90) and whether each converged. */
  iterations: number[];
  converged: boolean[];
}

/** Pinball (check) loss of residual u = y - q at level tau. */
export function pinball(u: number, tau: number): number {
  return u >= 0 ? tau * u : (tau - 1) * u;
}

/** Empirical quantile, linear interpolation between order statistics (Hyndman and Fan type 7). */
export function quantileOf(sorted: ArrayLike<number>, tau: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * tau;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

/** One linear head: loss 'squared' or pinball at tau, on standardized x (n x d) and scaled y. */
function fitHead(x: Float64Array, y: Float64Array, dim: number, start: number, tau: number | null, cfg: HeadsConfig): { w: Float64Array; iterations: number; converged: boolean } {
  const w0 = new Float64Array(dim + 1);
  w0[dim] = start;
  let w: Float64Array = w0;
  let iterations = 0;
  let converged = true;
  for (const delta of tau === null ? [0] : cfg.smoothing) {
    const r = lbfgs(headObjective(x, y, dim, tau, delta, cfg.l2), w, { maxIterations: cfg.maxIterations, gradientTolerance: 1e-9, functionTolerance: 0 });
    w = r.x;
    iterations += r.iterations;
    converged = r.converged;
  }
  return { w, iterations, converged };
}

function headObjective(x: Float64Array, y: Float64Array, dim: number, tau: number | null, delta: number, l2: number): (w: Float64Array, grad: Float64Array) => number {
  const n = y.length;
  return (w: Float64Array, grad: Float64Array): number => {
    grad.fill(0);
    let loss = 0;
    for (let i = 0; i < n; i++) {
      const base = i * dim;
      let f = w[dim] as number;
      for (let j = 0; j < dim; j++) f += (x[base + j] as number) * (w[j] as number);
      const u = (y[i] as number) - f;
      let dldf: number;
      if (tau === null) {
        loss += 0.5 * u * u;
        dldf = -u;
      } else if (u >= 0) {
        loss += tau * (u <= delta ? (u * u) / (2 * delta) : u - delta / 2);
        dldf = -tau * Math.min(u / delta, 1);
      } else {
        const v = -u;
        loss += (1 - tau) * (v <= delta ? (v * v) / (2 * delta) : v - delta / 2);
        dldf = (1 - tau) * Math.min(v / delta, 1);
      }
      grad[dim] = (grad[dim] as number) + dldf;
      for (let j = 0; j < dim; j++) grad[j] = (grad[j] as number) + dldf * (x[base + j] as number);
    }
    let penalty = 0;
    for (let j = 0; j <= dim; j++) grad[j] = (grad[j] as number) / n;
    for (let j = 0; j < dim; j++) {
      const wj = w[j] as number;
      penalty += wj * wj;
      grad[j] = (grad[j] as number) + l2 * wj;
    }
    return loss / n + 0.5 * l2 * penalty;
  };
}

/** Fits the four heads on the train rows that have a finite fwdReturn. */
export function fitHeads(features: Float64Array, dim: number, fwdReturn: Float64Array, trainRows: Uint32Array, s: Standardization, config: Partial<HeadsConfig> = {}): HeadsFit {
  const cfg = { ...DEFAULT_HEADS, ...config };
  const rows = trainRows.filter((r) => Number.isFinite(fwdReturn[r]));
  const n = rows.length;
  if (n === 0) throw new ModelError('TRAINING_FAILED', 'forward-return heads need at least one train row with a finite fwdReturn');
  const yRaw = Float64Array.from(rows, (r) => fwdReturn[r] as number);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yRaw[i] as number;
  mean /= n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((yRaw[i] as number) - mean) ** 2;
  const sd = Math.sqrt(ss / n);
  const scale = sd > 0 && Number.isFinite(sd) ? sd : 1;
  const y = Float64Array.from(yRaw, (v) => v / scale);
  const sorted = Float64Array.from(y).sort();
  const x = standardizedMatrix(features, dim, rows, s);
  const kernel = new Array<number>(dim * OUT).fill(0);
  const bias = new Array<number>(OUT).fill(0);
  const iterations: number[] = [];
  const converged: boolean[] = [];
  const taus: (number | null)[] = [null, ...QUANTILES];
  taus.forEach((tau, k) => {
    const h = fitHead(x, y, dim, tau === null ? mean / scale : quantileOf(sorted, tau), tau, cfg);
    for (let j = 0; j < dim; j++) kernel[j * OUT + k] = (h.w[j] as number) * scale;
    bias[k] = (h.w[dim] as number) * scale;
    iterations.push(h.iterations);
    converged.push(h.converged);
  });
  return { params: { kernel, bias }, iterations, converged };
}

/** Float64 scoring of the heads from saved parameters; quantiles sorted (never crossing). */
export class HeadsModel {
  readonly inputDim: number;
  private readonly kernel: Float64Array;
  private readonly bias: Float64Array;
  private readonly mean: Float64Array;
  private readonly std: Float64Array;
  private readonly out = new Float64Array(OUT);

  constructor(params: HeadsParams, s: Standardization) {
    const dim = params.bias.length === OUT ? params.kernel.length / OUT : Number.NaN;
    if (!Number.isInteger(dim) || s.mean.length !== dim || s.std.length !== dim) {
      throw new ModelError('MANIFEST_INVALID', `heads: kernel of ${params.kernel.length} and ${params.bias.length} intercepts do not fit ${OUT} outputs and ${s.mean.length} features`);
    }
    this.inputDim = dim;
    this.kernel = Float64Array.from(params.kernel);
    this.bias = Float64Array.from(params.bias);
    this.mean = Float64Array.from(s.mean);
    this.std = Float64Array.from(s.std);
  }

  /** [mean, q10, q50, q90] for one raw row; a scratch buffer. NaN in gives NaN out. */
  scoreInto(row: ArrayLike<number>): Float64Array {
    const o = this.out;
    o.set(this.bias);
    for (let j = 0; j < this.inputDim; j++) {
      const z = ((row[j] as number) - (this.mean[j] as number)) / (this.std[j] as number);
      const b = j * OUT;
      o[0] = (o[0] as number) + z * (this.kernel[b] as number);
      o[1] = (o[1] as number) + z * (this.kernel[b + 1] as number);
      o[2] = (o[2] as number) + z * (this.kernel[b + 2] as number);
      o[3] = (o[3] as number) + z * (this.kernel[b + 3] as number);
    }
    // Sorting network for three values: q10 <= q50 <= q90.
    let a = o[1] as number;
    let b = o[2] as number;
    let c = o[3] as number;
    if (a > b) [a, b] = [b, a];
    if (b > c) [b, c] = [c, b];
    if (a > b) [a, b] = [b, a];
    o[1] = a;
    o[2] = b;
    o[3] = c;
    return o;
  }

  predict(row: ArrayLike<number>): ReturnHeads {
    const o = this.scoreInto(row);
    return { expectedReturn: o[0] as number, q10: o[1] as number, q50: o[2] as number, q90: o[3] as number };
  }
}

/**
 * Test-split report of the heads beside baselines from the train split: the train mean for the
 * expected return (mean absolute error), the train's unconditional quantiles for the quantiles
 * (mean pinball loss over the three levels, and the share of rows at or below each quantile).
 */
export function evaluateHeads(model: HeadsModel, features: Float64Array, dim: number, fwdReturn: Float64Array, trainRows: Uint32Array, testRows: Uint32Array): HeadsReport {
  const train = Float64Array.from(trainRows, (r) => fwdReturn[r] as number).filter(Number.isFinite);
  const rows = testRows.filter((r) => Number.isFinite(fwdReturn[r]));
  let trainMean = 0;
  for (let i = 0; i < train.length; i++) trainMean += train[i] as number;
  trainMean /= Math.max(train.length, 1);
  const sorted = train.sort();
  const base = QUANTILES.map((t) => quantileOf(sorted, t));
  const n = rows.length;
  let mae = 0;
  let baselineMae = 0;
  let pin = 0;
  let basePin = 0;
  const covered = [0, 0, 0];
  const forecasts: RegressionForecast[] = [];
  const realized = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i] as number;
    const y = fwdReturn[r] as number;
    const o = model.scoreInto(features.subarray(r * dim, (r + 1) * dim));
    forecasts.push({ mean: o[0] as number, q10: o[1] as number, q50: o[2] as number, q90: o[3] as number });
    realized[i] = y;
    mae += Math.abs(y - (o[0] as number));
    baselineMae += Math.abs(y - trainMean);
    for (let q = 0; q < QUANTILES.length; q++) {
      const tau = QUANTILES[q] as number;
      const pred = o[q + 1] as number;
      pin += pinball(y - pred, tau);
      basePin += pinball(y - (base[q] as number), tau);
      if (y <= pred) covered[q] = (covered[q] as number) + 1;
    }
  }
  const d = Math.max(n, 1);
  const dq = d * QUANTILES.length;
  return {
    n,
    expectedReturn: { mae: mae / d, baselineMae: baselineMae / d },
    quantiles: { coverage10: (covered[0] as number) / d, coverage50: (covered[1] as number) / d, coverage90: (covered[2] as number) / d, pinball: pin / dq, baselinePinball: basePin / dq },
    regression: regressionMetrics(forecasts, realized, trainMean, [base[0] as number, base[1] as number, base[2] as number]),
  };
}
