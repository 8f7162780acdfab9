/**
 * Fusion weights by logistic regression without intercept: P(UP | UP or DOWN) = sigmoid(sum_j w_j x_j)
 * on per-timeframe log-odds x_j = ln(pUp_j / pDown_j) (0 for a timeframe without a view), with an L2
 * penalty l2/2 * |w|^2, fitted by Newton's method (IRLS). The fused directional log-odds of
 * fuseTimeframes is exactly sum_j w_j x_j, so these weights are the ones that make it a calibrated
 * log-odds of UP against DOWN on the fit rows. Written here (not a library): a handful of weights,
 * a d x d solve, and a fixed, explicit summation order for exact reproducibility (docs/decisions.md D59).
 */
export interface WeightFit {
  weights: number[];
  rows: number;
  iterations: number;
  converged: boolean;
}

export function fitFusionWeights(x: readonly (readonly number[])[], up: readonly boolean[], opts: { l2?: number; maxIterations?: number } = {}): WeightFit {
  const l2 = opts.l2 ?? 1;
  const maxIt = opts.maxIterations ?? 50;
  const n = x.length;
  const d = x[0]?.length ?? 0;
  if (n === 0 || d === 0) throw new RangeError('fitFusionWeights: no rows to fit (no UP or DOWN label in the fit window)');
  if (up.length !== n) throw new RangeError(`fitFusionWeights: ${up.length} labels for ${n} rows`);
  const w = new Array<number>(d).fill(0);
  let it = 0;
  let converged = false;
  while (it < maxIt && !converged) {
    it++;
    const g = new Array<number>(d).fill(0);
    const h = Array.from({ length: d }, () => new Array<number>(d).fill(0));
    for (let i = 0; i < n; i++) {
      const xi = x[i] as readonly number[];
      let z = 0;
      for (let j = 0; j < d; j++) z += (w[j] as number) * (xi[j] as number);
      const p = 1 / (1 + Math.exp(-z));
      const r = (up[i] ? 1 : 0) - p;
      const s = p * (1 - p);
      for (let j = 0; j < d; j++) {
        g[j] = (g[j] as number) + r * (xi[j] as number);
        const hj = h[j] as number[];
        for (let k = 0; k < d; k++) hj[k] = (hj[k] as number) + s * (xi[j] as number) * (xi[k] as number);
      }
    }
    for (let j = 0; j < d; j++) {
      g[j] = (g[j] as number) - l2 * (w[j] as number);
      (h[j] as number[])[j] = ((h[j] as number[])[j] as number) + l2;
    }
    const step = solve(h, g);
    let max = 0;
    for (let j = 0; j < d; j++) {
      w[j] = (w[j] as number) + (step[j] as number);
      max = Math.max(max, Math.abs(step[j] as number));
    }
    converged = max < 1e-10;
  }
  return { weights: w, rows: n, iterations: it, converged };
}

/** Solves A s = b (A symmetric positive definite here) by Gaussian elimination with partial pivoting. */
function solve(a: number[][], b: number[]): number[] {
  const d = b.length;
  const m = a.map((row, i) => [...row, b[i] as number]);
  for (let c = 0; c < d; c++) {
    let piv = c;
    for (let r = c + 1; r < d; r++) if (Math.abs((m[r] as number[])[c] as number) > Math.abs((m[piv] as number[])[c] as number)) piv = r;
    [m[c], m[piv]] = [m[piv] as number[], m[c] as number[]];
    const mc = m[c] as number[];
    for (let r = c + 1; r < d; r++) {
      const mr = m[r] as number[];
      const f = (mr[c] as number) / (mc[c] as number);
      for (let k = c; k <= d; k++) mr[k] = (mr[k] as number) - f * (mc[k] as number);
    }
  }
  const s = new Array<number>(d).fill(0);
  for (let r = d - 1; r >= 0; r--) {
    const mr = m[r] as number[];
    let v = mr[d] as number;
    for (let k = r + 1; k < d; k++) v -= (mr[k] as number) * (s[k] as number);
    s[r] = v / (mr[r] as number);
  }
  return s;
}
