/**
 * Feature binning for histogram trees (as LightGBM and scikit-learn's HistGradientBoosting do):
 * each feature gets at most maxBins bins from its values on the training rows. Bin b holds the
 * values x with thresholds[b-1] < x <= thresholds[b], so "bin <= b" is exactly "x <= thresholds[b]"
 * and a tree trained on bins predicts on raw values with the same comparisons.
 */
export interface Binning {
  /** Per feature, ascending thresholds; feature j has thresholds[j].length + 1 bins. */
  thresholds: Float64Array[];
}

/**
 * With at most maxBins distinct values, thresholds are the midpoints between neighbours; else the
 * distinct values at the quantiles k/maxBins of the sorted column (k = 1..maxBins-1).
 */
export function fitBinning(features: Float64Array, dim: number, rows: ArrayLike<number>, maxBins = 255): Binning {
  const n = rows.length;
  const col = new Float64Array(n);
  const thresholds: Float64Array[] = [];
  for (let j = 0; j < dim; j++) {
    for (let r = 0; r < n; r++) col[r] = features[(rows[r] as number) * dim + j] as number;
    col.sort();
    const distinct: number[] = [];
    for (let r = 0; r < n; r++) if (r === 0 || (col[r] as number) !== (col[r - 1] as number)) distinct.push(col[r] as number);
    const t: number[] = [];
    if (distinct.length <= maxBins) {
      for (let i = 1; i < distinct.length; i++) t.push(((distinct[i - 1] as number) + (distinct[i] as number)) / 2);
    } else {
      for (let k = 1; k < maxBins; k++) {
        const v = col[Math.floor((k * n) / maxBins)] as number;
        if (t.length === 0 || v > (t.at(-1) as number)) t.push(v);
      }
      // The largest value must fall in the last bin, never beyond it.
      if (t.length > 0 && (t.at(-1) as number) >= (col[n - 1] as number)) t.pop();
    }
    thresholds.push(Float64Array.from(t));
  }
  return { thresholds };
}

/** Number of thresholds below x: the bin of x (binary search). */
export function binOf(t: Float64Array, x: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((t[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Bins of the given rows, row-major rows.length x dim (at most 256 bins, so one byte each). */
export function binRows(features: Float64Array, dim: number, rows: ArrayLike<number>, binning: Binning): Uint8Array {
  const out = new Uint8Array(rows.length * dim);
  for (let r = 0; r < rows.length; r++) {
    const base = (rows[r] as number) * dim;
    for (let j = 0; j < dim; j++) out[r * dim + j] = binOf(binning.thresholds[j] as Float64Array, features[base + j] as number);
  }
  return out;
}
