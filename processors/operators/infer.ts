import { createHash } from 'node:crypto';
import type { OperatorFunction } from 'rxjs';
import type { Signal } from '../../schemas/index.ts';
import { checkFeatureSet } from '../check-feature-set.ts';
import type { Flow, GraphStats } from '../graph-events.ts';
import { decide, type SignalRuleConfig } from '../signal/signal-rule.ts';
import type { Predictor } from '../types.ts';
import { syncFlatMap } from './sync-flat-map.ts';

/** Deterministic signal id: the same bar, model and feature set always give the same id. */
export function signalId(symbol: string, barEnd: number, modelId: string, featureSetHash: string): string {
  return createHash('sha256').update(`${symbol}|${barEnd}|${modelId}|${featureSetHash}`).digest('hex').slice(0, 32);
}

/**
 * FeatureVectors → model probabilities → Signal (after the vector). A vector with any feature
 * still warming up (null) gets no signal: absent, not guessed.
 */
export function infer(predictor: Predictor, rule: SignalRuleConfig, stats: GraphStats): OperatorFunction<Flow, Flow> {
  const names = predictor.featureNames;
  const row = new Float64Array(names.length);
  return syncFlatMap<Flow, Flow>((e, emit) => {
    emit(e);
    if (e.kind !== 'features') return;
    const v = e.vector;
    checkFeatureSet(predictor, { hash: v.featureSetHash, id: v.featureSetId });
    for (let i = 0; i < names.length; i++) {
      const x = v.features[names[i] as string];
      if (x === null || x === undefined) return;
      row[i] = x;
    }
    const [pUp, pFlat, pDown] = predictor.predict(row);
    const { action, confidence } = decide(pUp, pFlat, pDown, rule);
    const signal: Signal = {
      id: signalId(v.symbol, v.barEnd, predictor.modelId, v.featureSetHash),
      tsEvent: v.barEnd,
      tsInit: v.tsInit,
      symbol: v.symbol,
      interval: v.interval,
      barEnd: v.barEnd,
      pUp,
      pFlat,
      pDown,
      action,
      confidence,
      modelId: predictor.modelId,
      featureSetHash: v.featureSetHash,
      inputs: e.inputs,
    };
    stats.signals++;
    emit({ kind: 'signal', signal });
  });
}
