import { createHash } from 'node:crypto';
import type { OperatorFunction } from 'rxjs';
import type { Bar, Signal } from '../../schemas/index.ts';
import { decidePolicy } from '../decision/policy.ts';
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
  // The policy prices its stop and target off the close of the vector's bar, which computeFeatures
  // emits right before the vector (same input, same frame): no state outlives that pair.
  let lastBar: Bar | null = null;
  return syncFlatMap<Flow, Flow>((e, emit) => {
    emit(e);
    if (e.kind === 'bar') lastBar = e.bar;
    if (e.kind !== 'features') return;
    const v = e.vector;
    if (v.featureSetHash !== predictor.featureSetHash) {
      throw new Error(`model ${predictor.modelId} was trained on feature set ${predictor.featureSetHash}, got ${v.featureSetHash}`);
    }
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
    const policy = predictor.policy;
    if (policy !== undefined && rule.holdOnly !== true) {
      const bar = lastBar !== null && lastBar.symbol === v.symbol && lastBar.end === v.barEnd && lastBar.interval === v.interval ? lastBar : null;
      const heads = signal as { expectedReturn?: number | null; q10?: number | null; q90?: number | null };
      const atr = v.features['atr_14_pct'];
      const d = decidePolicy(policy, { pUp, pFlat, pDown, expectedReturn: heads.expectedReturn, q10: heads.q10, q90: heads.q90 }, { barEnd: v.barEnd, close: bar?.close ?? null, atrPct: atr ?? null });
      Object.assign(signal, { action: d.action, confidence: d.confidence, size: d.size, stop: d.stop, target: d.target, expiresAt: d.expiresAt, reason: d.reason });
    }
    lastBar = null;
    stats.signals++;
    emit({ kind: 'signal', signal });
  });
}
