import { Rng } from '../../../processors/math/rng.ts';

export const BAR_MS = 5 * 60_000;
export const T0 = Date.UTC(2024, 0, 2, 14, 30);

export interface Martingale {
  rows: number;
  dim: number;
  /** Row-major rows x dim: the last `dim` one-bar log returns up to and including the row's bar. */
  features: Float64Array;
  /** Log return over the next `horizon` bars (the label's return). */
  fwdReturn: Float64Array;
  /** UP 0 / FLAT 1 / DOWN 2 by the FLAT band. */
  labels: Uint8Array;
  barEnd: Float64Array;
  horizon: number;
  band: number;
}

/**
 * A driftless Gaussian random walk of log prices (a martingale: E[p(t+h) | past] = p(t)), so no
 * function of the past predicts the direction of the future and the best achievable AUC is 0.5.
 * One-bar log returns are i.i.d. N(0, sigma^2). Each row's features are its `dim` latest one-bar
 * returns; its label is the direction of the next `horizon` bars' return with a FLAT band of
 * `bandSigmas` standard deviations of that return (0.84 makes FLAT about 60 % of rows, UP and
 * DOWN about 20 % each: P(|Z| < 0.84) = 0.599).
 */
export function martingale(opts: { rows: number; dim?: number; horizon?: number; sigma?: number; bandSigmas?: number; seed: number }): Martingale {
  const dim = opts.dim ?? 6;
  const horizon = opts.horizon ?? 6;
  const sigma = opts.sigma ?? 1e-3;
  const band = (opts.bandSigmas ?? 0.84) * sigma * Math.sqrt(horizon);
  const rng = new Rng(opts.seed);
  const total = dim + opts.rows + horizon;
  const r = Float64Array.from({ length: total }, () => sigma * rng.normal());
  const n = opts.rows;
  const features = new Float64Array(n * dim);
  const fwdReturn = new Float64Array(n);
  const labels = new Uint8Array(n);
  const barEnd = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = dim - 1 + i; // the row's own bar; its features are r[t], r[t-1], ..., r[t-dim+1]
    for (let j = 0; j < dim; j++) features[i * dim + j] = r[t - j] as number;
    let f = 0;
    for (let h = 1; h <= horizon; h++) f += r[t + h] as number;
    fwdReturn[i] = f;
    labels[i] = f > band ? 0 : f < -band ? 2 : 1;
    barEnd[i] = T0 + i * BAR_MS;
  }
  return { rows: n, dim, features, fwdReturn, labels, barEnd, horizon, band };
}
