import { TickflowError } from '../lib/errors.ts';

/** The feature set some features were computed with: its hash, and its id where the caller knows it. */
export interface OfferedFeatureSet {
  hash: string;
  id?: string;
}

/**
 * A model was offered features of another feature set than the one it was trained on. Not
 * retriable: the model or the features must change. `code` matches the model layer's codes, so the
 * CLI reports it as the user's mistake (a model file for another feature set).
 */
export class FeatureSetMismatch extends TickflowError {
  readonly code = 'FEATURE_SET_MISMATCH';

  constructor(
    readonly modelId: string,
    readonly trainedOn: string,
    readonly offered: OfferedFeatureSet,
  ) {
    const what = offered.id === undefined ? offered.hash : `${offered.id} (${offered.hash})`;
    super(`model ${modelId} was trained on feature set ${trainedOn} but the features offered are ${what}; retrain on this feature set or compute the features the model expects`);
  }
}

/**
 * The one feature-set check: a model scores only features of the feature set it was trained on
 * (compared by hash). Used where a graph is built with a model (buildGraph), on every vector the
 * model scores (infer), and by the model layer (model/predictor.ts re-exports it).
 */
export function checkFeatureSet(model: { readonly modelId: string; readonly featureSetHash: string }, offered: OfferedFeatureSet | string): void {
  const o = typeof offered === 'string' ? { hash: offered } : offered;
  if (model.featureSetHash !== o.hash) throw new FeatureSetMismatch(model.modelId, model.featureSetHash, o);
}
