import type { Standardization } from './standardization.ts';

/**
 * Model families. Every family obeys one contract: it fits on the train rows with the validation
 * rows for model selection (early stopping, penalty choice) and a seed; it scores one raw feature
 * row in float64 JavaScript, bit-identical on every machine; it saves its parameters into the
 * model directory, where loadPredictor finds them through the manifest's `family`. A manifest
 * without `family` was written before families existed and is an MLP.
 */
export const FAMILIES = ['logistic', 'gbdt', 'mlp', 'stack', 'sequence'] as const;
export type Family = (typeof FAMILIES)[number];

/** The families the stacking ensemble combines (each fits on its own; the stack fits on them). */
export const BASE_FAMILIES = ['logistic', 'gbdt', 'mlp'] as const;
export type BaseFamily = (typeof BASE_FAMILIES)[number];

/** Families fitted on their own (fitFamily): the stack's bases and the sequence family (D57: neither `auto` nor the stack considers it). */
export type SingleFamily = BaseFamily | 'sequence';

/** What `train --family` accepts: a family or `auto`. */
export const FAMILY_CHOICES = ['auto', 'logistic', 'gbdt', 'mlp', 'sequence', 'stack'] as const;
export type FamilyChoice = (typeof FAMILY_CHOICES)[number];

/** Simplest first: `auto` breaks cross-validated log-loss ties towards the earlier family. */
export const SIMPLICITY_ORDER: readonly Family[] = ['logistic', 'gbdt', 'mlp', 'stack'];

/** Parameters file of the logistic and GBDT families (canonical JSON, hashed into the modelId). */
export const PARAMS_JSON = 'params.json';

/** Raw (unstandardized) feature row -> class probabilities in CLASSES order. */
export interface RowModel {
  readonly inputDim: number;
  /** Sequence family: steps per input (the row is `window` feature rows, oldest first); absent: 1. */
  readonly window?: number;
  /** The result is a scratch buffer, valid until the next call. NaN in gives NaN out. */
  score(row: ArrayLike<number>): Float64Array;
  /**
   * Sequence family: a new, empty incremental scorer of one symbol's window (D76), whose score()
   * after the window's last push is bit-identical to score() of the concatenated window.
   */
  readonly stream?: (() => WindowStream) | undefined;
}

/** One symbol's window, fed one raw feature row at a time (model/sequence.ts, D76). */
export interface WindowStream {
  /** Takes the next raw feature row (dim values); true once `window` rows are in. */
  push(row: ArrayLike<number>): boolean;
  /** Class probabilities of the last `window` rows (a scratch buffer); only after push returned true. */
  score(): Float64Array;
}

/** The training data a family sees: the whole dataset plus the row indices of each split. */
export interface FitInput {
  /** Raw features, row-major rows x dim. */
  features: Float64Array;
  dim: number;
  labels: Uint8Array;
  train: Uint32Array;
  validation: Uint32Array;
  /** Fitted on the train rows. */
  standardization: Standardization;
  seed: number;
  /**
   * Per-class loss weights (CLASSES order) for the train rows only, from model/class-weights.ts;
   * absent or null: unweighted. Validation rows are never weighted.
   */
  classWeights?: readonly number[] | null;
}

/** Scores the given dataset rows, rows.length x outputDim, row after row. */
export function scoreRows(model: RowModel, features: Float64Array, rows: ArrayLike<number>, k = 3): Float64Array {
  const d = model.inputDim;
  const out = new Float64Array(rows.length * k);
  for (let r = 0; r < rows.length; r++) {
    const base = (rows[r] as number) * d;
    out.set(model.score(features.subarray(base, base + d)), r * k);
  }
  return out;
}
