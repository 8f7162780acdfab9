import type { Action, TimeframeView } from '../../schemas/index.ts';
import { decide, type SignalRuleConfig } from '../signal/signal-rule.ts';

/** A timeframe's latest closed-bar probabilities (UP, FLAT, DOWN), as the fusion sees them. */
export interface TimeframeProbs {
  barEnd: number;
  pUp: number;
  pFlat: number;
  pDown: number;
}

/** One configured timeframe: its interval, model and, if it has given one yet, its view. */
export interface TimeframeInput {
  interval: string;
  modelId: string;
  view: TimeframeProbs | null;
}

export interface FusionConfig {
  /** One weight per timeframe, in the bundle's order (finite; may be 0 or negative when learned). */
  weights: readonly number[];
  /** At least this many timeframes must agree with a BUY or SELL, or it becomes HOLD. */
  k: number;
  rule: SignalRuleConfig;
}

export interface Fused {
  pUp: number;
  pFlat: number;
  pDown: number;
  action: Action;
  confidence: number;
  /** Why a BUY/SELL became HOLD (too few timeframes agree); null otherwise. */
  reason: string | null;
  timeframes: TimeframeView[];
}

/** Probabilities are clamped here before the log (a calibrated 0 would otherwise give -Infinity). */
export const MIN_PROB = 1e-12;

/**
 * Fuses timeframe views by log-odds addition (a weighted product of experts): the fused logit of
 * each class is sum_j w_j ln p_j(class), summed in the bundle's timeframe order, then a softmax.
 * So the fused directional log-odds ln(pUp / pDown) is exactly sum_j w_j ln(pUp_j / pDown_j), and
 * with weights summing to 1 and identical views the fused probabilities are the views'. A timeframe
 * without a view yet adds nothing (and does not agree). The action is the signal rule's on the fused
 * probabilities; a BUY needs at least k timeframes with pUp_j > pDown_j (SELL: pDown_j > pUp_j),
 * else HOLD with a reason. Ties are explicit: a view with pUp_j == pDown_j agrees with neither
 * side; with no view weighing anything the fused probabilities are 1/3 each.
 */
export function fuseTimeframes(inputs: readonly TimeframeInput[], cfg: FusionConfig): Fused {
  if (cfg.weights.length !== inputs.length) throw new TypeError(`fuseTimeframes: ${cfg.weights.length} weights for ${inputs.length} timeframes`);
  let zUp = 0;
  let zFlat = 0;
  let zDown = 0;
  for (let j = 0; j < inputs.length; j++) {
    const v = (inputs[j] as TimeframeInput).view;
    if (v === null) continue;
    const w = cfg.weights[j] as number;
    zUp += w * Math.log(Math.max(v.pUp, MIN_PROB));
    zFlat += w * Math.log(Math.max(v.pFlat, MIN_PROB));
    zDown += w * Math.log(Math.max(v.pDown, MIN_PROB));
  }
  const m = Math.max(zUp, zFlat, zDown);
  const eUp = Math.exp(zUp - m);
  const eFlat = Math.exp(zFlat - m);
  const eDown = Math.exp(zDown - m);
  const sum = eUp + eFlat + eDown;
  const pUp = eUp / sum;
  const pFlat = eFlat / sum;
  const pDown = eDown / sum;
  const decided = decide(pUp, pFlat, pDown, cfg.rule);
  const timeframes: TimeframeView[] = inputs.map((t, j) => {
    const v = t.view;
    const logOdds = v === null ? null : Math.log(Math.max(v.pUp, MIN_PROB)) - Math.log(Math.max(v.pDown, MIN_PROB));
    const agrees = logOdds !== null && ((decided.action === 'BUY' && logOdds > 0) || (decided.action === 'SELL' && logOdds < 0));
    return { interval: t.interval, modelId: t.modelId, barEnd: v?.barEnd ?? null, pUp: v?.pUp ?? null, pFlat: v?.pFlat ?? null, pDown: v?.pDown ?? null, weight: cfg.weights[j] as number, logOdds, agrees };
  });
  if (decided.action !== 'HOLD') {
    const n = timeframes.filter((t) => t.agrees).length;
    if (n < cfg.k) {
      return { pUp, pFlat, pDown, action: 'HOLD', confidence: pFlat, reason: `agreement: ${n} of ${inputs.length} timeframes agree with ${decided.action}, k=${cfg.k}`, timeframes };
    }
  }
  return { pUp, pFlat, pDown, action: decided.action, confidence: decided.confidence, reason: null, timeframes };
}
