import { Rng } from '../../processors/math/rng.ts';
import { ModelError } from '../errors.ts';

/**
 * Circular block bootstrap (Politis & Romano 1992) for statistics of time-ordered rows.
 *
 * Rows of a dataset are serially dependent: neighbouring labels share most of their price window.
 * An iid bootstrap would treat 2,500 such rows as 2,500 independent draws and give intervals too
 * narrow. Resampling contiguous blocks at least as long as the label horizon keeps that dependence
 * inside each block. A replicate is ceil(n / L) blocks of L consecutive rows (wrapping around the
 * end), each starting at a uniform position, truncated to n rows; the interval is the percentile
 * interval of the replicated statistic (type-7 quantiles). Seeded: the same inputs and seed give
 * the same interval on every machine.
 */
export interface BootstrapOptions {
  /** Rows per block (>= 1); see blockLengthForHorizon. */
  blockLength: number;
  /** Default 1000. */
  replicates?: number;
  /** Default 1. */
  seed?: number;
  /** Confidence level, default 0.95. */
  level?: number;
}

export const DEFAULT_BOOTSTRAP = { replicates: 1000, seed: 1, level: 0.95 } as const;

export interface Interval {
  /** The statistic on the rows as they are (null when undefined, e.g. a class is absent). */
  estimate: number | null;
  /** [lo, hi] percentile interval; null when fewer than half of the replicates were defined. */
  ci95: [number, number] | null;
  blockLength: number;
  /** Replicates whose statistic was defined. */
  replicates: number;
}

/** A statistic of a resample, given as row indices into the original rows (with repeats). */
export type Statistic = (rows: Uint32Array) => number | null;

/**
 * Smallest block length (in rows) that spans the label horizon anywhere in the data: the largest
 * number of rows whose barEnd falls in any window [t, t + horizonMs]. barEnd must be non-decreasing.
 */
export function blockLengthForHorizon(barEnd: ArrayLike<number>, horizonMs: number): number {
  let best = 1;
  let j = 0;
  for (let i = 0; i < barEnd.length; i++) {
    if (j < i) j = i;
    while (j + 1 < barEnd.length && (barEnd[j + 1] as number) <= (barEnd[i] as number) + horizonMs) j++;
    best = Math.max(best, j - i + 1);
  }
  return best;
}

/** Type-7 quantile (R's default, numpy's 'linear') of sorted values. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return (sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number));
}

/** Fills `out` with one circular-block resample of 0..n-1. */
export function resampleBlocks(n: number, blockLength: number, rng: Rng, out: Uint32Array): Uint32Array {
  let k = 0;
  while (k < n) {
    const start = Math.floor(rng.next() * n);
    for (let j = 0; j < blockLength && k < n; j++) out[k++] = (start + j) % n;
  }
  return out;
}

export function blockBootstrap(n: number, statistic: Statistic, options: BootstrapOptions): Interval {
  const replicates = options.replicates ?? DEFAULT_BOOTSTRAP.replicates;
  const level = options.level ?? DEFAULT_BOOTSTRAP.level;
  const L = options.blockLength;
  if (!Number.isInteger(L) || L < 1) throw new ModelError('SPLIT_INVALID', `blockLength must be an integer >= 1, got ${L}`);
  if (!Number.isInteger(replicates) || replicates < 1) throw new ModelError('SPLIT_INVALID', `replicates must be an integer >= 1, got ${replicates}`);
  if (!(level > 0 && level < 1)) throw new ModelError('SPLIT_INVALID', `level must be in (0, 1), got ${level}`);
  if (n === 0) return { estimate: null, ci95: null, blockLength: L, replicates: 0 };
  const identity = Uint32Array.from({ length: n }, (_, i) => i);
  const estimate = statistic(identity);
  const rng = new Rng(options.seed ?? DEFAULT_BOOTSTRAP.seed);
  const idx = new Uint32Array(n);
  const values: number[] = [];
  for (let b = 0; b < replicates; b++) {
    const v = statistic(resampleBlocks(n, Math.min(L, n), rng, idx));
    if (v !== null && Number.isFinite(v)) values.push(v);
  }
  values.sort((a, b) => a - b);
  const alpha = (1 - level) / 2;
  const ci95: [number, number] | null = values.length * 2 >= replicates ? [quantileSorted(values, alpha), quantileSorted(values, 1 - alpha)] : null;
  return { estimate, ci95, blockLength: L, replicates: values.length };
}
