/**
 * D109: the least-squares projection of a known per-row quantity (on synthetic markets, the
 * generator's known drift) on a dataset's features, fitted on one set of rows (the train split)
 * and applied to others (the test split). The bench's feature-achievable oracle scores each test
 * row with the generator's class probabilities at the PROJECTED drift, its residual variance added
 * to the forward return's noise: what the best model of these features could know about the drift
 * when the drift is linear in what the features are linear in (the planted one is), honest in that
 * the projection never sees a test row.
 *
 * Ordinary least squares with an intercept on the columns standardized over the fit rows (a
 * column constant there gets weight 0); a NaN feature counts as the column's fit mean (0
 * standardized), rows whose target is not finite are left out of the fit. Normal equations summed
 * in row order, solved by Cholesky with a ridge of 1e-12 × the rows on the diagonal (for columns
 * that are exact combinations of others): deterministic, float64.
 */
export interface Projection {
  /** Column means and standard deviations over the fit rows (std 0: the column is ignored). */
  mean: number[];
  std: number[];
  /** Intercept, then one weight per standardized column. */
  coef: number[];
  /** Mean squared residual over the fit rows (divided by rows − parameters). */
  residualVariance: number;
  /** 1 − residual sum of squares / total sum of squares over the fit rows. */
  r2: number;
  rows: number;
}

export function fitProjection(features: Float64Array, dim: number, target: ArrayLike<number>, rows: ArrayLike<number>): Projection {
  const use: number[] = [];
  for (let i = 0; i < rows.length; i++) if (Number.isFinite(target[rows[i] as number])) use.push(rows[i] as number);
  const n = use.length;
  if (n <= dim + 1) throw new RangeError(`feature projection: ${n} rows with a finite target for ${dim} features`);
  const mean = new Array<number>(dim).fill(0);
  const cnt = new Array<number>(dim).fill(0);
  for (const r of use) {
    for (let j = 0; j < dim; j++) {
      const v = features[r * dim + j] as number;
      if (Number.isFinite(v)) {
        mean[j] = (mean[j] as number) + v;
        cnt[j] = (cnt[j] as number) + 1;
      }
    }
  }
  for (let j = 0; j < dim; j++) mean[j] = (cnt[j] as number) > 0 ? (mean[j] as number) / (cnt[j] as number) : 0;
  const std = new Array<number>(dim).fill(0);
  for (const r of use) {
    for (let j = 0; j < dim; j++) {
      const v = features[r * dim + j] as number;
      if (Number.isFinite(v)) std[j] = (std[j] as number) + (v - (mean[j] as number)) ** 2;
    }
  }
  for (let j = 0; j < dim; j++) std[j] = (cnt[j] as number) > 1 ? Math.sqrt((std[j] as number) / (cnt[j] as number)) : 0;
  const p = dim + 1;
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p);
  const x = new Float64Array(p);
  for (const r of use) {
    standardizedRow(features, dim, r, mean, std, x);
    const y = target[r] as number;
    for (let a = 0; a < p; a++) {
      const xa = x[a] as number;
      xty[a] = (xty[a] as number) + xa * y;
      for (let b = 0; b <= a; b++) xtx[a * p + b] = (xtx[a * p + b] as number) + xa * (x[b] as number);
    }
  }
  for (let a = 0; a < p; a++) xtx[a * p + a] = (xtx[a * p + a] as number) + 1e-12 * n;
  const coef = Array.from(choleskySolve(xtx, xty, p));
  let rss = 0;
  let tMean = 0;
  for (const r of use) tMean += target[r] as number;
  tMean /= n;
  let tss = 0;
  for (const r of use) {
    const e = (target[r] as number) - predictStandardized(features, dim, r, mean, std, coef, x);
    rss += e * e;
    tss += ((target[r] as number) - tMean) ** 2;
  }
  return { mean, std, coef, residualVariance: rss / (n - p), r2: tss > 0 ? 1 - rss / tss : 1, rows: n };
}

/** The projection's value at one dataset row. */
export function projectRow(proj: Projection, features: Float64Array, dim: number, row: number): number {
  return predictStandardized(features, dim, row, proj.mean, proj.std, proj.coef, new Float64Array(dim + 1));
}

function standardizedRow(features: Float64Array, dim: number, r: number, mean: number[], std: number[], out: Float64Array): void {
  out[0] = 1;
  for (let j = 0; j < dim; j++) {
    const v = features[r * dim + j] as number;
    const s = std[j] as number;
    out[j + 1] = s > 0 && Number.isFinite(v) ? (v - (mean[j] as number)) / s : 0;
  }
}

function predictStandardized(features: Float64Array, dim: number, r: number, mean: number[], std: number[], coef: number[], x: Float64Array): number {
  standardizedRow(features, dim, r, mean, std, x);
  let s = 0;
  for (let a = 0; a <= dim; a++) s += (coef[a] as number) * (x[a] as number);
  return s;
}

/** Solves A c = b for a symmetric positive definite A given by its lower triangle (row-major p × p). */
function choleskySolve(a: Float64Array, b: Float64Array, p: number): Float64Array {
  const l = new Float64Array(p * p);
  for (let i = 0; i < p; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * p + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * p + k] as number) * (l[j * p + k] as number);
      if (i === j) {
        // A column with no variance (std 0) is all zeros: its pivot is the ridge alone.
        l[i * p + i] = Math.sqrt(Math.max(s, Number.MIN_VALUE));
      } else l[i * p + j] = s / (l[j * p + j] as number);
    }
  }
  const z = new Float64Array(p);
  for (let i = 0; i < p; i++) {
    let s = b[i] as number;
    for (let k = 0; k < i; k++) s -= (l[i * p + k] as number) * (z[k] as number);
    z[i] = s / (l[i * p + i] as number);
  }
  const c = new Float64Array(p);
  for (let i = p - 1; i >= 0; i--) {
    let s = z[i] as number;
    for (let k = i + 1; k < p; k++) s -= (l[k * p + i] as number) * (c[k] as number);
    c[i] = s / (l[i * p + i] as number);
  }
  return c;
}
