import type { Predictor } from '../types.ts';

/** One timeframe of a confluence bundle: its signal interval and the model trained on it. */
export interface ConfluenceMember {
  interval: string;
  predictor: Predictor;
}

/**
 * A confluence bundle as the graph sees it (model/confluence loads one): a Predictor whose identity
 * and features are its base (first, finest) timeframe's, so every host and check that takes a model
 * takes it too; buildGraph sees `confluence` and runs one sub-graph per member (processors/confluence).
 * predict() is the base model's: the fused probabilities exist only in the graph (they need the
 * other timeframes' views).
 */
export interface ConfluenceModel extends Predictor {
  readonly confluence: {
    readonly members: readonly ConfluenceMember[];
    /** One per member, same order. */
    readonly weights: readonly number[];
    readonly k: number;
  };
}

export function isConfluence(p: Predictor | null | undefined): p is ConfluenceModel {
  return p !== null && p !== undefined && 'confluence' in p && typeof (p as { confluence?: unknown }).confluence === 'object';
}

/** Builds the Predictor face of a bundle from its members (base first), weights and k. */
export function confluenceModel(modelId: string, members: readonly ConfluenceMember[], weights: readonly number[], k: number): ConfluenceModel {
  const base = members[0];
  if (base === undefined) throw new TypeError('a confluence bundle needs at least one timeframe');
  if (weights.length !== members.length) throw new TypeError(`${weights.length} weights for ${members.length} timeframes`);
  if (!Number.isInteger(k) || k < 1 || k > members.length) throw new TypeError(`k must be an integer in 1..${members.length}, got ${k}`);
  const bp = base.predictor;
  return {
    modelId,
    featureSetHash: bp.featureSetHash,
    featureNames: bp.featureNames,
    predict: (row) => bp.predict(row),
    confluence: { members: Object.freeze([...members]), weights: Object.freeze([...weights]), k },
  };
}
