import { DEFAULT_CONTRACT_RULE, type ContractRule } from './contract.ts';
import type { DecisionPolicy } from './policy.ts';
import { expectedMove } from './policy.ts';

/** The knobs of a policy that are not fitted (defaults: DEFAULT_POLICY_OPTIONS). */
export interface PolicyOptions {
  /** Costs the policy must beat, per side, in basis points (the backtest's defaults: 5 + 2). */
  feeBps: number;
  slippageBps: number;
  kellyFraction: number;
  maxSize: number;
  stopAtr: number | null;
  targetAtr: number | null;
  /** null = the label horizon. */
  timeoutBars: number | null;
  /** Fewest validation rows a threshold must trade to be chosen (fewer say nothing). */
  minTrades: number;
  /** Which option contract a signal names on an underlying with chains (stored in the policy). */
  contract: ContractRule;
}

export const DEFAULT_POLICY_OPTIONS: Readonly<PolicyOptions> = Object.freeze({
  feeBps: 5,
  slippageBps: 2,
  kellyFraction: 0.5,
  maxSize: 1,
  stopAtr: 3,
  targetAtr: 4,
  timeoutBars: null,
  minTrades: 30,
  contract: DEFAULT_CONTRACT_RULE,
});

/** The validation split as the policy fit sees it. */
export interface PolicyFitData {
  /** Calibrated probabilities, rows x 3 in CLASSES order. */
  probs: Float64Array;
  /** Forward log return over the label horizon. */
  fwdReturn: Float64Array;
  /** True class (0 UP, 1 FLAT, 2 DOWN). */
  labels: Uint8Array;
  /** The model's expectedReturn head on the same rows, if it has one. */
  expectedReturn?: Float64Array | null;
}

export interface PolicyFitSummary {
  rows: number;
  /** Validation rows the chosen threshold trades, and their summed / mean net return (after costs). */
  trades: number;
  netSum: number;
  netMean: number | null;
}

/**
 * Fits the policy on the validation split: classMoves = mean forward return by true class, then
 * the threshold on the net edge (|E| - cost) that maximises the summed net return of the rows it
 * trades (sign(E) * fwdReturn - cost each), among thresholds >= 0 that trade at least minTrades
 * rows. Rows overlap in time (every bar, a multi-bar horizon), so the sum is a score for ranking
 * thresholds, not a P&L. No threshold with a positive sum: minNetEdge null (the policy holds).
 * Deterministic: rows are ranked by edge, ties by row order; sums run in that order.
 */
export function fitPolicy(data: PolicyFitData, horizonBars: number, barIntervalMs: number, options: Partial<PolicyOptions> = {}): { policy: DecisionPolicy; summary: PolicyFitSummary } {
  const o = { ...DEFAULT_POLICY_OPTIONS, ...options };
  const n = data.fwdReturn.length;
  const sums = [0, 0, 0];
  const counts = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    const c = data.labels[i] as number;
    sums[c] = (sums[c] as number) + (data.fwdReturn[i] as number);
    counts[c] = (counts[c] as number) + 1;
  }
  const classMoves = [0, 1, 2].map((c) => ((counts[c] as number) > 0 ? (sums[c] as number) / (counts[c] as number) : 0)) as [number, number, number];
  const heads = data.expectedReturn ?? null;
  const policy: DecisionPolicy = {
    version: 1,
    moveSource: heads === null ? 'classes' : 'head',
    roundTripCost: (2 * (o.feeBps + o.slippageBps)) / 10_000,
    minNetEdge: null,
    classMoves,
    kellyFraction: o.kellyFraction,
    maxSize: o.maxSize,
    stopAtr: o.stopAtr,
    targetAtr: o.targetAtr,
    timeoutBars: o.timeoutBars ?? horizonBars,
    barIntervalMs,
    contract: { ...o.contract },
  };
  const edge = new Float64Array(n);
  const net = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const p = { pUp: data.probs[i * 3] as number, pFlat: data.probs[i * 3 + 1] as number, pDown: data.probs[i * 3 + 2] as number, expectedReturn: heads === null ? null : (heads[i] as number) };
    const e = expectedMove(policy, p);
    const dir = e >= 0 ? 1 : -1;
    edge[i] = dir * e - policy.roundTripCost;
    net[i] = dir * (data.fwdReturn[i] as number) - policy.roundTripCost;
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => (edge[b] as number) - (edge[a] as number) || a - b);
  // Trading the top k rows = threshold "edge > edge of row k" (the first one left out, floored at
  // 0); only k where row k's edge is strictly below row k-1's is a threshold.
  let best = { k: 0, sum: 0 };
  let sum = 0;
  for (let k = 1; k <= n; k++) {
    const i = order[k - 1] as number;
    if (!((edge[i] as number) > 0)) break;
    sum += net[i] as number;
    const next = k < n ? (edge[order[k] as number] as number) : -Infinity;
    if (next === edge[i]) continue;
    if (k >= o.minTrades && sum > best.sum) best = { k, sum };
  }
  if (best.k > 0) {
    const next = best.k < n ? (edge[order[best.k] as number] as number) : 0;
    policy.minNetEdge = Math.max(0, next);
  }
  return { policy, summary: { rows: n, trades: best.k, netSum: best.sum, netMean: best.k > 0 ? best.sum / best.k : null } };
}
