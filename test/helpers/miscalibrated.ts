import { Rng } from '../../processors/math/rng.ts';

/**
 * A miscalibrated fixture: labels drawn from true probabilities softmax(z), while the "model"
 * reports softmax(sharpen z): over-confident for sharpen > 1 (as a network trained too long is),
 * under-confident below 1. Used by the calibration tests (validation and out-of-fold fits).
 */
export function miscalibrated(n: number, seed: number, sharpen: number): { probs: Float64Array; labels: Uint8Array } {
  const rng = new Rng(seed);
  const probs = new Float64Array(n * 3);
  const labels = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const z = [rng.normal(), rng.normal() * 0.5, rng.normal()];
    const soft = (s: number): number[] => {
      const e = z.map((v) => Math.exp(v * s));
      const sum = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / sum);
    };
    const truth = soft(1);
    const u = rng.next();
    labels[i] = u < (truth[0] as number) ? 0 : u < (truth[0] as number) + (truth[1] as number) ? 1 : 2;
    probs.set(soft(sharpen), i * 3);
  }
  return { probs, labels };
}
