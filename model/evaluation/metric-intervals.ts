import { macroAucRows } from '../../processors/math/auc.ts';
import { argmax, meanLogLoss } from '../metrics.ts';
import { blockBootstrap, type BootstrapOptions, type Interval } from './block-bootstrap.ts';

const K = 3;

/**
 * A metric of row-major n x 3 probabilities (CLASSES order) against class labels; null where
 * undefined. Any metric with this shape plugs into the bootstrap (the model lab's ECE and Brier
 * score included).
 */
export type MetricFn = (probs: Float64Array, labels: Uint8Array) => number | null;

/** Which way is better, for baselines and gates. */
export interface NamedMetric {
  fn: MetricFn;
  higherIsBetter: boolean;
}

/** Macro one-vs-rest AUC (processors/math/auc.ts macroAucRows: macroAuc's number, without row views; the bootstrap calls it 4,000 times per evaluation). */
export const aucMetric: MetricFn = (probs, labels) => macroAucRows(probs.subarray(0, labels.length * K), labels, K);

export const accuracyMetric: MetricFn = (probs, labels) => {
  if (labels.length === 0) return null;
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (argmax(probs, i * K) === labels[i]) correct++;
  return correct / labels.length;
};

export const logLossMetric: MetricFn = (probs, labels) => (labels.length === 0 ? null : meanLogLoss(probs, labels));

/** The metrics every evaluation reports; the model lab's ECE and Brier join through `extra`. */
export const STANDARD_METRICS: Readonly<Record<string, NamedMetric>> = {
  auc: { fn: aucMetric, higherIsBetter: true },
  accuracy: { fn: accuracyMetric, higherIsBetter: true },
  logLoss: { fn: logLossMetric, higherIsBetter: false },
};

/** The statistic a metric gives on the resampled rows (reusing one buffer pair). */
export function metricStatistic(fn: MetricFn, probs: Float64Array, labels: Uint8Array): (rows: Uint32Array) => number | null {
  const p = new Float64Array(probs.length);
  const y = new Uint8Array(labels.length);
  return (rows) => {
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as number;
      y[i] = labels[r] as number;
      p[i * K] = probs[r * K] as number;
      p[i * K + 1] = probs[r * K + 1] as number;
      p[i * K + 2] = probs[r * K + 2] as number;
    }
    return fn(p, y);
  };
}

export function metricInterval(fn: MetricFn, probs: Float64Array, labels: Uint8Array, options: BootstrapOptions): Interval {
  return blockBootstrap(labels.length, metricStatistic(fn, probs, labels), options);
}

/** A metric with its interval beside the baseline's, and the interval of the paired difference. */
export interface MetricReport {
  value: number | null;
  ci95: [number, number] | null;
  baseline: { value: number | null; ci95: [number, number] | null };
  /** model - baseline on the same resampled rows. */
  delta: { value: number | null; ci95: [number, number] | null };
}

/**
 * Every metric on the same rows for a model and a baseline (e.g. the majority baseline: every row
 * the train class frequencies), each with a block-bootstrap interval. The same seed gives the same
 * resamples to each metric, so the model's and the baseline's intervals are paired.
 */
export function compareWithBaseline(
  metrics: Readonly<Record<string, NamedMetric>>,
  probs: Float64Array,
  baselineProbs: Float64Array,
  labels: Uint8Array,
  options: BootstrapOptions,
): Record<string, MetricReport> {
  const out: Record<string, MetricReport> = {};
  for (const [name, { fn }] of Object.entries(metrics)) {
    const model = metricStatistic(fn, probs, labels);
    const base = metricStatistic(fn, baselineProbs, labels);
    const m = blockBootstrap(labels.length, model, options);
    const b = blockBootstrap(labels.length, base, options);
    const d = blockBootstrap(
      labels.length,
      (rows) => {
        const mv = model(rows);
        const bv = base(rows);
        return mv === null || bv === null ? null : mv - bv;
      },
      options,
    );
    out[name] = {
      value: m.estimate,
      ci95: m.ci95,
      baseline: { value: b.estimate, ci95: b.ci95 },
      delta: { value: d.estimate, ci95: d.ci95 },
    };
  }
  return out;
}

/** Baseline probabilities: every row gets the given class frequencies. */
export function constantProbs(freq: ArrayLike<number>, n: number): Float64Array {
  const p = new Float64Array(n * K);
  for (let i = 0; i < n; i++) for (let c = 0; c < K; c++) p[i * K + c] = freq[c] as number;
  return p;
}

/**
 * Share of the achievable edge a model reaches: (AUC - 0.5) / (bayesAuc - 0.5), where bayesAuc is
 * the best AUC any model could reach on the market (the synthetic generator computes it). Null when
 * either is unknown or nothing is achievable (bayesAuc <= 0.5).
 */
export function edgeFraction(auc: number | null, bayesAuc: number | null): number | null {
  if (auc === null || bayesAuc === null || !(bayesAuc > 0.5)) return null;
  return (auc - 0.5) / (bayesAuc - 0.5);
}
