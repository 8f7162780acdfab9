import { Rng } from '../../processors/math/rng.ts';
import { reliability } from '../metrics.ts';

/**
 * The ECE a perfectly calibrated model would show on this holdout by chance: labels are drawn from
 * the model's own probabilities (consistency resampling, Bröcker & Smith 2007, "Increasing the
 * reliability of reliability diagrams", Weather and Forecasting 22) and the ECE of each draw is
 * taken; the `level` quantile of those ECEs is returned. With a few hundred holdout rows this is
 * about 0.03-0.05 (10 bins), so an absolute ECE bound alone would fail well calibrated models on
 * small holdouts; the ECE gate uses the larger of the two. Seeded, deterministic.
 */
export function eceNoiseQuantile(probs: Float64Array, seed: number, draws = 200, level = 0.95, k = 3): number {
  const eces = consistencyEces(probs, seed, draws, k);
  eces.sort();
  return eces[Math.min(draws - 1, Math.ceil(level * draws) - 1)] as number;
}

/** The ECE of each of `draws` label sets drawn from the probabilities themselves, in draw order (seeded). */
export function consistencyEces(probs: Float64Array, seed: number, draws: number, k = 3): Float64Array {
  const n = probs.length / k;
  const rng = new Rng(seed);
  const labels = new Uint8Array(n);
  const eces = new Float64Array(draws);
  for (let d = 0; d < draws; d++) {
    for (let i = 0; i < n; i++) {
      let u = rng.next();
      let c = 0;
      while (c < k - 1 && u >= (probs[i * k + c] as number)) {
        u -= probs[i * k + c] as number;
        c++;
      }
      labels[i] = c;
    }
    eces[d] = reliability(probs, labels).ece;
  }
  return eces;
}
