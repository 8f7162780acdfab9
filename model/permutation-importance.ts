import { Rng } from '../processors/math/rng.ts';
import { meanLogLoss } from './metrics.ts';

export interface PermutationImportance {
  repeats: number;
  rows: number;
  seed: number;
  baselineLogLoss: number;
  /** Largest increase first; ties by feature name. */
  features: { feature: string; logLossIncrease: number; std: number }[];
}

export interface PermutationOptions {
  seed: number;
  /** Permutations per feature (default 3). */
  repeats?: number;
  /** At most this many rows, evenly strided over the given rows in order (default 5000). */
  maxRows?: number;
}

/**
 * Permutation feature importance (Breiman 2001; scikit-learn's permutation_importance): the mean
 * increase of log loss when one feature's column is shuffled across the rows, breaking its link
 * with the label while keeping its distribution. `predict` is the model as deployed (calibrated).
 * Seeded: one Rng per (feature, repeat) forked in feature then repeat order from Rng(seed), a
 * Fisher-Yates shuffle each, so the result depends only on the seed, the rows and the model.
 */
export function permutationImportance(
  predict: (row: Float64Array) => ArrayLike<number>,
  features: Float64Array,
  dim: number,
  labels: Uint8Array,
  rows: Uint32Array,
  names: readonly string[],
  options: PermutationOptions,
): PermutationImportance {
  const repeats = options.repeats ?? 3;
  const maxRows = options.maxRows ?? 5000;
  const stride = Math.max(1, Math.ceil(rows.length / maxRows));
  const picked = rows.filter((_, i) => i % stride === 0);
  const n = picked.length;
  const x = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    const r = picked[i] as number;
    x.set(features.subarray(r * dim, (r + 1) * dim), i * dim);
  }
  const y = Uint8Array.from(picked, (r) => labels[r] as number);
  const probs = new Float64Array(n * 3);
  const loss = (): number => {
    for (let i = 0; i < n; i++) probs.set(predict(x.subarray(i * dim, (i + 1) * dim)), i * 3);
    return meanLogLoss(probs, y);
  };
  const baselineLogLoss = loss();
  const root = new Rng(options.seed);
  const column = new Float64Array(n);
  const order = new Uint32Array(n);
  const out: PermutationImportance['features'] = [];
  for (let j = 0; j < dim; j++) {
    for (let i = 0; i < n; i++) column[i] = x[i * dim + j] as number;
    const increases: number[] = [];
    for (let rep = 0; rep < repeats; rep++) {
      const rng = root.fork();
      for (let i = 0; i < n; i++) order[i] = i;
      for (let i = n - 1; i > 0; i--) {
        const k = Math.floor(rng.next() * (i + 1));
        const t = order[i] as number;
        order[i] = order[k] as number;
        order[k] = t;
      }
      for (let i = 0; i < n; i++) x[i * dim + j] = column[order[i] as number] as number;
      increases.push(loss() - baselineLogLoss);
    }
    for (let i = 0; i < n; i++) x[i * dim + j] = column[i] as number;
    let mean = 0;
    for (const v of increases) mean += v;
    mean /= repeats;
    let ss = 0;
    for (const v of increases) ss += (v - mean) ** 2;
    out.push({ feature: names[j] as string, logLossIncrease: mean, std: Math.sqrt(ss / repeats) });
  }
  out.sort((a, b) => b.logLossIncrease - a.logLossIncrease || (a.feature < b.feature ? -1 : a.feature > b.feature ? 1 : 0));
  return { repeats, rows: n, seed: options.seed, baselineLogLoss, features: out };
}
