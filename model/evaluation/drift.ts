import { z } from 'zod';
import { binOf, psi } from '../../processors/health/model-health.ts';
import { quantileSorted } from './block-bootstrap.ts';

export { binOf, psi, PSI_FLOOR } from '../../processors/health/model-health.ts';

/**
 * Feature drift by the population stability index (PSI; Siddiqi, "Credit Risk Scorecards", 2006):
 * PSI = sum over bins of (a - e) * ln(a / e), where e and a are a feature's bin frequencies in the
 * training rows and in a recent window. Conventional reading: < 0.1 stable, 0.1-0.25 some shift,
 * > 0.25 a major shift. Bins are the training deciles, so each holds about a tenth of the training
 * rows; proportions are floored at 1e-4 so an empty bin does not give an infinite PSI.
 */
export const featureDistributionSchema = z.strictObject({
  name: z.string(),
  /** Interior cut points, ascending and distinct; bin i holds edges[i-1] <= v < edges[i]. */
  edges: z.array(z.number()),
  /** Training frequency of each bin (edges.length + 1 of them, summing to 1). */
  freq: z.array(z.number()),
  /**
   * PSI of the later half of the training rows against the earlier half, on these bins: how much
   * the feature wanders by itself. A feature above STABLE_PSI cannot tell drift from its own
   * wandering, so it does not count as important for drift (absent in older manifests).
   */
  halfPsi: z.number().optional(),
});
export const driftReferenceSchema = z.strictObject({ bins: z.number().int(), features: z.array(featureDistributionSchema) });

export type FeatureDistribution = z.infer<typeof featureDistributionSchema>;
export type DriftReference = z.infer<typeof driftReferenceSchema>;

export const DEFAULT_PSI_THRESHOLD = 0.25;
/** Conventional "no significant shift" reading of a PSI: features with a halfPsi at or below it are watched for drift. */
export const STABLE_PSI = 0.1;

/** Quantile bins of the finite values and their frequencies. */
export function featureDistribution(name: string, values: ArrayLike<number>, bins = 10): FeatureDistribution {
  const sorted = Array.from(values).filter(Number.isFinite).sort((a, b) => a - b);
  const edges: number[] = [];
  if (sorted.length > 0) {
    for (let q = 1; q < bins; q++) {
      const e = quantileSorted(sorted, q / bins);
      if (edges.length === 0 || e > (edges.at(-1) as number)) edges.push(e);
    }
  }
  return { name, edges, freq: frequencies(edges, sorted) };
}

export function frequencies(edges: readonly number[], values: ArrayLike<number>): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) continue;
    const b = binOf(edges, v);
    counts[b] = (counts[b] as number) + 1;
    n++;
  }
  return counts.map((c) => (n === 0 ? 0 : c / n));
}

/** Training distributions of every feature over the given rows (row-major features, rows in time order). */
export function driftReference(names: readonly string[], features: Float64Array, rows: Uint32Array, bins = 10): DriftReference {
  const dim = names.length;
  const col = new Float64Array(rows.length);
  const half = rows.length >> 1;
  return {
    bins,
    features: names.map((name, j) => {
      for (let i = 0; i < rows.length; i++) col[i] = features[(rows[i] as number) * dim + j] as number;
      const d = featureDistribution(name, col, bins);
      return { ...d, halfPsi: psi(frequencies(d.edges, col.subarray(0, half)), frequencies(d.edges, col.subarray(half))) };
    }),
  };
}

/** Features that count for drift: those whose training halves agree (halfPsi <= STABLE_PSI); all when not recorded. */
export function stableFeatures(reference: DriftReference): string[] {
  return reference.features.filter((f) => f.halfPsi === undefined || f.halfPsi <= STABLE_PSI).map((f) => f.name);
}

export interface DriftReport {
  rows: number;
  /** Feature name -> PSI of the window against training. */
  psi: Record<string, number>;
  recommendation: { retrain: true; reason: string; priority: 'high' | 'medium'; features: string[] } | null;
}

/**
 * A rolling window of the last `window` feature rows (in the order they arrive), its PSI per
 * feature against the training reference, and a retrain recommendation when the PSI of an
 * important feature exceeds the threshold (priority high when half or more of them do). Holds no
 * clock and no randomness: the same rows give the same reports.
 */
export class DriftMonitor {
  private readonly buf: Float64Array;
  private count = 0;
  private readonly important: Set<string>;
  private readonly threshold: number;

  constructor(
    readonly reference: DriftReference,
    readonly window = 500,
    options: { important?: readonly string[]; threshold?: number } = {},
  ) {
    this.buf = new Float64Array(window * reference.features.length);
    this.important = new Set(options.important ?? reference.features.map((f) => f.name));
    this.threshold = options.threshold ?? DEFAULT_PSI_THRESHOLD;
  }

  add(row: ArrayLike<number>): void {
    const d = this.reference.features.length;
    const at = (this.count % this.window) * d;
    for (let j = 0; j < d; j++) this.buf[at + j] = row[j] as number;
    this.count++;
  }

  /** Null until the window is full (a PSI of a few rows is noise). */
  report(): DriftReport | null {
    if (this.count < this.window) return null;
    const d = this.reference.features.length;
    const col = new Float64Array(this.window);
    const out: Record<string, number> = {};
    const drifted: string[] = [];
    this.reference.features.forEach((f, j) => {
      for (let i = 0; i < this.window; i++) col[i] = this.buf[i * d + j] as number;
      const v = psi(f.freq, frequencies(f.edges, col));
      out[f.name] = v;
      if (v > this.threshold && this.important.has(f.name)) drifted.push(f.name);
    });
    const recommendation: DriftReport['recommendation'] =
      drifted.length === 0
        ? null
        : {
            retrain: true as const,
            reason: `PSI above ${this.threshold} on ${drifted.map((n) => `${n} (${(out[n] as number).toFixed(3)})`).join(', ')} over the last ${this.window} feature vectors`,
            priority: drifted.length * 2 >= this.important.size ? 'high' : 'medium',
            features: drifted,
          };
    return { rows: this.count, psi: out, recommendation };
  }
}
