import type { RingWindow } from './ring-window.ts';

export interface MeanStd {
  mean: number;
  /** Population standard deviation (divides by n, not n - 1). */
  std: number;
}

/**
 * Mean and population standard deviation of a window, two-pass (sum of squared deviations from
 * the mean, which is numerically stabler than E[x²] - E[x]²). When every value is equal the
 * result is exactly { mean: value, std: 0 }: a computed mean can be off by one ulp and would
 * leave ~1e-17 of noise, turning a "null when std is 0" rule into a huge z-score.
 */
export function populationMeanStd(w: RingWindow<number>): MeanStd {
  const n = w.length;
  if (n === 0) throw new RangeError('populationMeanStd of an empty window');
  const first = w.at(0);
  let sum = 0;
  let allEqual = true;
  for (let i = 0; i < n; i++) {
    const x = w.at(i);
    sum += x;
    if (x !== first) allEqual = false;
  }
  if (allEqual) return { mean: first, std: 0 };
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = w.at(i) - mean;
    ss += d * d;
  }
  return { mean, std: Math.sqrt(ss / n) };
}
