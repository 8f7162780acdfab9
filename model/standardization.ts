/** Per-feature mean and standard deviation, fitted on the train split only. */
export interface Standardization {
  mean: number[];
  std: number[];
}

/**
 * Two-pass float64 mean and population std over the given rows. A feature that is constant on the
 * train split gets std 1 (it then standardizes to x - mean, 0 on train) instead of a division by 0.
 */
export function fitStandardization(features: Float64Array, dim: number, rows: ArrayLike<number>): Standardization {
  const n = rows.length;
  if (n === 0) throw new RangeError('cannot fit a standardization on zero rows');
  const mean = new Float64Array(dim);
  for (let r = 0; r < n; r++) {
    const base = (rows[r] as number) * dim;
    for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) + (features[base + j] as number);
  }
  for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) / n;
  const sq = new Float64Array(dim);
  for (let r = 0; r < n; r++) {
    const base = (rows[r] as number) * dim;
    for (let j = 0; j < dim; j++) {
      const d = (features[base + j] as number) - (mean[j] as number);
      sq[j] = (sq[j] as number) + d * d;
    }
  }
  const std = Array.from(sq, (s) => {
    const v = Math.sqrt(s / n);
    return v > 1e-12 && Number.isFinite(v) ? v : 1;
  });
  return { mean: Array.from(mean), std };
}

/** (x - mean) / std in float64, written into `out` (used by the predictor on every row). */
export function standardizeInto(row: ArrayLike<number>, mean: Float64Array, std: Float64Array, out: Float64Array): Float64Array {
  for (let j = 0; j < out.length; j++) out[j] = ((row[j] as number) - (mean[j] as number)) / (std[j] as number);
  return out;
}

/** Standardized rows gathered into a float32 matrix (rows.length x dim) for tfjs. */
export function standardizeRows(features: Float64Array, dim: number, rows: ArrayLike<number>, s: Standardization): Float32Array {
  const out = new Float32Array(rows.length * dim);
  for (let r = 0; r < rows.length; r++) {
    const base = (rows[r] as number) * dim;
    for (let j = 0; j < dim; j++) {
      out[r * dim + j] = ((features[base + j] as number) - (s.mean[j] as number)) / (s.std[j] as number);
    }
  }
  return out;
}
