import { CLASSES } from '../processors/types.ts';
import { DenseStack, type DenseActivation } from './dense-stack.ts';
import { ModelError } from './errors.ts';
import { BASE_FAMILIES, type BaseFamily, type RowModel } from './family.ts';
import { GbdtModel, type GbdtParams } from './gbdt-model.ts';
import { fitLogisticRegression, logisticModel, standardizedMatrix, type LogisticParams } from './logistic.ts';
import { meanLogLoss } from './metrics.ts';
import { RowScorer } from './row-scorer.ts';
import { fitStandardization, type Standardization } from './standardization.ts';
import type { FitFn, TrainingData } from './evaluation/cross-validate.ts';
import { predictRows } from './evaluation/cross-validate.ts';
import { planFolds } from './evaluation/purged-folds.ts';

const K = CLASSES.length;
/** Base probabilities are floored here before the log (the meta-learner's inputs stay finite). */
const LOG_FLOOR = 1e-15;
/** L2 of the meta-learner (mean cross-entropy + l2/2 |W|^2 on standardized log-probabilities). */
export const META_L2 = 1e-2;
/** Purged folds of the out-of-fold predictions (train + validation) when none are asked for. */
export const DEFAULT_STACK_FOLDS = 5;

/**
 * Stacking ensemble (Wolpert 1992; López de Prado's purged k-fold for the folds): a multinomial
 * logistic meta-learner on the log-probabilities of the base families. The meta-learner is fitted
 * only on out-of-fold predictions: the train + validation rows are cut into purged, embargoed
 * k-fold blocks (model/evaluation/purged-folds.ts), every base family is fitted on the other
 * blocks and scores the held-out one, so no base model scores a row it was trained on, nor one
 * whose label window overlaps its training rows'. For serving, the bases are refitted on train +
 * validation; the calibrator is fitted on the stack's own out-of-fold predictions of the
 * validation rows (the meta-learner, too, cross-validated on the same folds).
 */
export interface StackParams {
  inputDim: number;
  /** The bases' standardization (logistic and MLP), fitted on the refit rows. */
  standardization: Standardization;
  bases: { family: BaseFamily; params: unknown }[];
  meta: { params: LogisticParams; standardization: Standardization };
}

interface MlpParams {
  layers: { inDim: number; outDim: number; activation: DenseActivation; kernel: number[]; bias: number[] }[];
}

/** A base family's float64 scorer from its saved parameters (as loadPredictor builds them). */
export function baseRowModel(family: BaseFamily, params: unknown, standardization: Standardization): RowModel {
  if (family === 'logistic') return logisticModel(params as LogisticParams, standardization);
  if (family === 'gbdt') return new GbdtModel(params as GbdtParams);
  if (family === 'mlp') {
    const stack = new DenseStack(
      (params as MlpParams).layers.map((l) => ({ inDim: l.inDim, outDim: l.outDim, activation: l.activation, kernel: Float64Array.from(l.kernel), bias: Float64Array.from(l.bias) })),
    );
    const scorer = new RowScorer(stack, standardization);
    return { inputDim: stack.inputDim, score: (row) => scorer.score(row) };
  }
  throw new ModelError('MANIFEST_INVALID', `stack: unknown base family ${JSON.stringify(family)}`);
}

/** Meta-learner input of one row: log of each base's K probabilities, bases in order. */
function logInto(p: ArrayLike<number>, out: Float64Array, at: number): void {
  for (let k = 0; k < K; k++) out[at + k] = Math.log(Math.max(p[k] as number, LOG_FLOOR)); // NaN stays NaN
}

export class StackModel implements RowModel {
  readonly inputDim: number;
  private readonly bases: RowModel[];
  private readonly meta: RowModel;
  private readonly z: Float64Array;

  constructor(readonly params: StackParams) {
    this.inputDim = params.inputDim;
    if (params.bases.length === 0) throw new ModelError('MANIFEST_INVALID', 'stack: no base models');
    this.bases = params.bases.map((b) => baseRowModel(b.family, b.params, params.standardization));
    for (const [i, b] of this.bases.entries()) {
      if (b.inputDim !== params.inputDim) throw new ModelError('MANIFEST_INVALID', `stack: base ${i} takes ${b.inputDim} features, the stack ${params.inputDim}`);
    }
    this.meta = logisticModel(params.meta.params, params.meta.standardization);
    if (this.meta.inputDim !== K * this.bases.length) throw new ModelError('MANIFEST_INVALID', `stack: meta-learner takes ${this.meta.inputDim} inputs for ${this.bases.length} bases`);
    this.z = new Float64Array(K * this.bases.length);
  }

  score(row: ArrayLike<number>): Float64Array {
    for (let b = 0; b < this.bases.length; b++) logInto((this.bases[b] as RowModel).score(row), this.z, b * K);
    return this.meta.score(this.z);
  }
}

/** Out-of-fold predictions of every base on the given rows. */
export interface OutOfFold {
  /** Dataset rows, ascending (train + validation). */
  rows: Uint32Array;
  /** Positions into `rows`: each fold's (purged, embargoed) training and test positions. */
  folds: { train: Uint32Array; test: Uint32Array }[];
  /** Per base, rows.length x K: row i scored by the model of the fold that tested it. */
  probs: Float64Array[];
  labels: Uint8Array;
}

export interface OutOfFoldOptions {
  folds: number;
  horizonMs: number;
  embargoMs: number;
  /** Fold f is fitted with seed + f (every base). */
  seed: number;
  onFold?: (fold: number, of: number) => void;
}

/** One fit of the out-of-fold predictions: base `base` on fold `fold`'s training rows, scoring its test rows. */
export interface FoldJob {
  base: number;
  fold: number;
  /** Dataset rows. */
  trainRows: Uint32Array;
  testRows: Uint32Array;
  seed: number;
}

/**
 * A second thread that takes jobs of an out-of-fold run (model/fold-helper.ts). A shared counter
 * hands out job indices to both threads (each job runs exactly once); the helper returns each job's test
 * probabilities. Which thread fits which job does not change a bit of the result: every job is
 * the same pure function of its data, rows and seed in either thread (the same code, the same
 * tfjs wasm kernels), and each result lands at its own rows.
 */
export interface FoldHelper {
  /**
   * Starts the helper on these jobs; it claims job indices with Atomics.add(counter, 0, 1) (as
   * this thread does) until one is past the end, and resolves with its results by job index.
   */
  run(data: TrainingData, jobs: readonly FoldJob[], counter: Int32Array): Promise<Map<number, Float64Array>>;
}

/** The jobs of a purged k-fold plan, slowest base first (so two threads finish close together). */
function foldJobs(rows: Uint32Array, folds: OutOfFold['folds'], bases: number, seed: number, order: readonly number[]): FoldJob[] {
  const jobs: FoldJob[] = [];
  for (const b of order.length === bases ? order : Array.from({ length: bases }, (_, i) => i)) {
    for (const [f, fold] of folds.entries()) {
      jobs.push({ base: b, fold: f, trainRows: Uint32Array.from(fold.train, (i) => rows[i] as number), testRows: Uint32Array.from(fold.test, (i) => rows[i] as number), seed: seed + f });
    }
  }
  return jobs;
}

/**
 * Purged k-fold over `rows` (no holdout: the caller's test split is not among them); every base
 * FitFn is fitted on each fold's training rows and scores only that fold's test rows. With a
 * `helper` (a worker thread that builds the same bases), the fits are shared between this thread
 * and the helper; the predictions are the same bits either way.
 */
export async function outOfFold(data: TrainingData, rows: Uint32Array, fits: readonly FitFn[], o: OutOfFoldOptions & { helper?: FoldHelper; slowestFirst?: readonly number[] }): Promise<OutOfFold> {
  const barEnd = Float64Array.from(rows, (r) => data.barEnd[r] as number);
  const plan = planFolds(barEnd, { scheme: 'purged-kfold', folds: o.folds, horizonMs: o.horizonMs, embargoMs: o.embargoMs, holdoutFraction: 0 });
  const probs = fits.map(() => new Float64Array(rows.length * K).fill(Number.NaN));
  const folds = plan.folds.map((f) => ({ train: f.train, test: f.test }));
  const place = (job: FoldJob, p: Float64Array): void => {
    const out = probs[job.base] as Float64Array;
    const test = (folds[job.fold] as { test: Uint32Array }).test;
    for (let i = 0; i < test.length; i++) out.set(p.subarray(i * K, i * K + K), (test[i] as number) * K);
  };
  const local = async (job: FoldJob): Promise<void> => {
    const model = await (fits[job.base] as FitFn)(data, job.trainRows, job.seed);
    try {
      place(job, predictRows(model, data, job.testRows));
    } finally {
      model.dispose?.();
    }
  };
  if (o.helper === undefined) {
    for (const [f, fold] of folds.entries()) {
      o.onFold?.(f, folds.length);
      const trainRows = Uint32Array.from(fold.train, (i) => rows[i] as number);
      const testRows = Uint32Array.from(fold.test, (i) => rows[i] as number);
      for (const b of fits.keys()) await local({ base: b, fold: f, trainRows, testRows, seed: o.seed + f });
    }
  } else {
    const jobs = foldJobs(rows, folds, fits.length, o.seed, o.slowestFirst ?? []);
    // One counter for both threads (Atomics): each job index is handed out once.
    const counter = new Int32Array(new SharedArrayBuffer(4));
    const claim = (): number => Atomics.add(counter, 0, 1);
    const helped = o.helper.run(data, jobs, counter).catch(() => new Map<number, Float64Array>());
    const mine = new Set<number>();
    for (let j = claim(); j < jobs.length; j = claim()) {
      mine.add(j);
      await local(jobs[j] as FoldJob);
    }
    const theirs = await helped;
    for (const [j, p] of theirs) place(jobs[j] as FoldJob, p);
    // A job the helper claimed but did not return (it failed or exited): fitted here.
    for (const [j, job] of jobs.entries()) if (!mine.has(j) && !theirs.has(j)) await local(job);
    for (const f of folds.keys()) o.onFold?.(f, folds.length);
  }
  return { rows, folds, probs, labels: Uint8Array.from(rows, (r) => data.labels[r] as number) };
}

/** Meta-learner inputs (log-probabilities of every base) of the given positions, row-major. */
function metaInputs(oof: OutOfFold, positions: ArrayLike<number>): Float64Array {
  const m = K * oof.probs.length;
  const x = new Float64Array(positions.length * m);
  for (let i = 0; i < positions.length; i++) {
    const pos = positions[i] as number;
    for (let b = 0; b < oof.probs.length; b++) logInto((oof.probs[b] as Float64Array).subarray(pos * K, pos * K + K), x, i * m + b * K);
  }
  return x;
}

/** Fits the meta-learner on the out-of-fold predictions of the given positions. */
export function fitMeta(oof: OutOfFold, positions: ArrayLike<number>): StackParams['meta'] {
  const m = K * oof.probs.length;
  const x = metaInputs(oof, positions);
  const all = Uint32Array.from({ length: positions.length }, (_, i) => i);
  const standardization = fitStandardization(x, m, all);
  const y = Uint8Array.from(positions, (p) => oof.labels[p] as number);
  const fit = fitLogisticRegression(standardizedMatrix(x, m, all, standardization), y, m, META_L2);
  return { params: fit.params, standardization };
}

/**
 * The stack's own out-of-fold predictions (rows.length x K): for each fold, a meta-learner fitted
 * on the base predictions of that fold's (purged) training positions scores its test positions.
 * Both levels out of fold, so their log loss compares fairly with the bases' out-of-fold log loss.
 */
export function metaOutOfFold(oof: OutOfFold): Float64Array {
  const out = new Float64Array(oof.rows.length * K).fill(Number.NaN);
  for (const fold of oof.folds) {
    const meta = fitMeta(oof, fold.train);
    const model = logisticModel(meta.params, meta.standardization);
    const x = metaInputs(oof, fold.test);
    const m = K * oof.probs.length;
    for (let i = 0; i < fold.test.length; i++) out.set(model.score(x.subarray(i * m, i * m + m)), (fold.test[i] as number) * K);
  }
  return out;
}

/** Mean log loss of out-of-fold probabilities (positions never tested are an error). */
export function oofLogLoss(probs: Float64Array, labels: Uint8Array): number {
  for (let i = 0; i < probs.length; i++) if (Number.isNaN(probs[i])) throw new ModelError('TRAINING_FAILED', `row ${Math.floor(i / K)} has no out-of-fold prediction`);
  return meanLogLoss(probs, labels);
}

export { BASE_FAMILIES };
