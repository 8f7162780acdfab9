import type { BootstrapOptions } from './block-bootstrap.ts';
import { blockBootstrap } from './block-bootstrap.ts';
import { metricStatistic, type NamedMetric } from './metric-intervals.ts';
import type { FoldPlan } from './purged-folds.ts';

const K = 3;

/** Rows a model is fitted on and scored against (the dataset's columns, row-major features). */
export interface TrainingData {
  features: Float64Array;
  dim: number;
  /** Class indices (CLASSES order). */
  labels: Uint8Array;
  /** Epoch ms, non-decreasing. */
  barEnd: Float64Array;
  /** Per-row label ends (triple-barrier datasets): the folds purge on them (model/evaluation/purged-folds.ts). */
  labelEnd?: Float64Array;
}

/** A fitted model: one feature row in, 3 class probabilities out (CLASSES order). */
export interface FittedModel {
  predict(row: Float64Array): ArrayLike<number>;
  dispose?(): void;
}

/**
 * Fits a model family on the given rows (ascending indices into data) with a seed. The family may
 * carve its own early-stopping slice out of those rows (chronologically); it must not look at any
 * other row.
 */
export type FitFn = (data: TrainingData, rows: Uint32Array, seed: number) => FittedModel | Promise<FittedModel>;

export interface FoldScore {
  trainRows: number;
  testRows: number;
  purged: number;
  embargoed: number;
  /** Metric name -> value on this fold's test rows. */
  scores: Record<string, number | null>;
}

export interface CvSummaryEntry {
  /** Mean of the fold scores (folds where the metric is defined). */
  mean: number | null;
  /** Block-bootstrap interval of the metric on the pooled out-of-fold predictions. */
  ci95: [number, number] | null;
}

export interface CvResult {
  scheme: FoldPlan['scheme'];
  folds: number;
  perFold: FoldScore[];
  /** Metric name -> summary. */
  summary: Record<string, CvSummaryEntry>;
  /** Out-of-fold predictions: tested rows (ascending, as the folds lie in time) and their probabilities. */
  oof: { rows: Uint32Array; probs: Float64Array };
}

export interface CrossValidateOptions {
  metrics: Readonly<Record<string, NamedMetric>>;
  /** Fold f is fitted with seed + f. */
  seed: number;
  bootstrap: BootstrapOptions;
  onFold?: (fold: number, of: number) => void;
}

/** Predicts every listed row; row-major n x 3. */
export function predictRows(model: FittedModel, data: TrainingData, rows: Uint32Array): Float64Array {
  const out = new Float64Array(rows.length * K);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as number;
    const p = model.predict(data.features.subarray(r * data.dim, (r + 1) * data.dim));
    out[i * K] = p[0] as number;
    out[i * K + 1] = p[1] as number;
    out[i * K + 2] = p[2] as number;
  }
  return out;
}

/** Fits one model per fold, scores its test rows, pools the out-of-fold predictions. */
export async function crossValidate(data: TrainingData, plan: FoldPlan, fit: FitFn, options: CrossValidateOptions): Promise<CvResult> {
  const perFold: FoldScore[] = [];
  const oofRows: Uint32Array[] = [];
  const oofProbs: Float64Array[] = [];
  for (const [f, fold] of plan.folds.entries()) {
    options.onFold?.(f, plan.folds.length);
    const model = await fit(data, fold.train, options.seed + f);
    try {
      const probs = predictRows(model, data, fold.test);
      const labels = Uint8Array.from(fold.test, (r) => data.labels[r] as number);
      const scores: Record<string, number | null> = {};
      for (const [name, m] of Object.entries(options.metrics)) scores[name] = m.fn(probs, labels);
      perFold.push({ trainRows: fold.train.length, testRows: fold.test.length, purged: fold.purged, embargoed: fold.embargoed, scores });
      oofRows.push(fold.test);
      oofProbs.push(probs);
    } finally {
      model.dispose?.();
    }
  }
  const rows = concatU32(oofRows);
  const probs = concatF64(oofProbs);
  const labels = Uint8Array.from(rows, (r) => data.labels[r] as number);
  const summary: Record<string, CvSummaryEntry> = {};
  for (const [name, m] of Object.entries(options.metrics)) {
    const defined = perFold.map((p) => p.scores[name]).filter((v): v is number => v !== null && v !== undefined);
    const mean = defined.length === 0 ? null : defined.reduce((s, v) => s + v, 0) / defined.length;
    summary[name] = { mean, ci95: blockBootstrap(labels.length, metricStatistic(m.fn, probs, labels), options.bootstrap).ci95 };
  }
  return { scheme: plan.scheme, folds: plan.folds.length, perFold, summary, oof: { rows, probs } };
}

function concatU32(parts: Uint32Array[]): Uint32Array {
  const out = new Uint32Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function concatF64(parts: Float64Array[]): Float64Array {
  const out = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
