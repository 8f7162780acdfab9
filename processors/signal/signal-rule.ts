import type { Action } from '../../schemas/index.ts';

/**
 * Turns class probabilities into an action. BUY when P(UP) >= minProbability and beats P(DOWN) by
 * at least minEdge; SELL symmetrically; otherwise HOLD. Confidence is the probability of the class
 * behind the action (P(FLAT) for HOLD).
 */
export interface SignalRuleConfig {
  minProbability: number;
  minEdge: number;
  /**
   * Every signal is HOLD (the probabilities are still carried): for a model that failed its
   * validation gates, which would otherwise trade on noise.
   */
  holdOnly?: boolean;
}

export const DEFAULT_SIGNAL_RULE: SignalRuleConfig = { minProbability: 0.42, minEdge: 0.1 };

export function decide(pUp: number, pFlat: number, pDown: number, cfg: SignalRuleConfig = DEFAULT_SIGNAL_RULE): { action: Action; confidence: number } {
  if (cfg.holdOnly === true) return { action: 'HOLD', confidence: pFlat };
  if (pUp >= cfg.minProbability && pUp - pDown >= cfg.minEdge) return { action: 'BUY', confidence: pUp };
  if (pDown >= cfg.minProbability && pDown - pUp >= cfg.minEdge) return { action: 'SELL', confidence: pDown };
  return { action: 'HOLD', confidence: pFlat };
}
