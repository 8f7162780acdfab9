import type { Action } from '../../schemas/index.ts';
import type { ContractRule } from './contract.ts';

/**
 * The cost-aware decision policy: turns calibrated class probabilities (and, when the model has
 * them, its expected-return and quantile heads) into an action, a position size, exit levels and
 * a timeout. Pure: everything it needs is in its arguments; fitted on the validation split by
 * fit-policy.ts and stored in the model's manifest (`policy`).
 *
 * Expected move E (forward log return over the label horizon):
 *   the model's `expectedReturn` head when the policy was fitted on it (moveSource 'head'), else sum_c p_c * classMoves[c], where
 *   classMoves[c] is the mean forward return of the validation rows whose true class is c
 *   (calibrated probabilities make this the conditional mean, up to the spread inside a class).
 * Net edge of a long = E - roundTripCost, of a short = -E - roundTripCost. BUY when the long's net
 * edge exceeds minNetEdge (>= 0, chosen on the validation split), SELL likewise, else HOLD with a
 * reason. minNetEdge null = no threshold made money on validation: every signal is HOLD.
 *
 * Size: fractional Kelly on the directional bet, p = P(right side | not FLAT) = pUp / (pUp + pDown)
 * for a long, b = win/loss payoff ratio from classMoves (|m_UP| / |m_DOWN| for a long);
 * size = min(maxSize, kellyFraction * (p - (1 - p) / b)), HOLD when it is not positive.
 *
 * Exits (prices, from the bar's close c): with q10/q90 heads, a long's stop is c*exp(q10) and its
 * target c*exp(q90) (a short's: c*exp(q90) and c*exp(q10)) when they lie on the right sides of c;
 * otherwise stopAtr / targetAtr multiples of the ATR (the `atr_14_pct` feature, a fraction of c).
 * null multiples = no such exit. Timeout: expiresAt = barEnd + timeoutBars * barIntervalMs.
 */
export interface DecisionPolicy {
  version: 1;
  /**
   * Where the expected move comes from: 'classes' = sum_c p_c * classMoves[c]; 'head' = the
   * model's expectedReturn head (the source the threshold was fitted on; a head missing at a
   * bar falls back to the classes).
   */
  moveSource: 'classes' | 'head';
  /** Round-trip cost as a fraction of notional: 2 * (fee + slippage) of the costs it was fitted for. */
  roundTripCost: number;
  /** Trade only when the net edge exceeds this; null = never trade (no edge on validation). */
  minNetEdge: number | null;
  /** Mean forward log return of the validation rows by true class, in CLASSES order (UP, FLAT, DOWN). */
  classMoves: [number, number, number];
  /** Fraction of the full Kelly bet (0.5 = half Kelly). */
  kellyFraction: number;
  /** Largest fraction of equity one position may take (the account's, shared cash D54; the symbol's sleeve with sleeves). */
  maxSize: number;
  /** Stop / target in multiples of the ATR when the model has no quantile heads; null = none. */
  stopAtr: number | null;
  targetAtr: number | null;
  /** A position lasts at most this many bars (the label horizon by default). */
  timeoutBars: number;
  barIntervalMs: number;
  /**
   * The option contract rule (processors/decision/contract.ts). Absent in manifests written
   * before it existed: such a model names no contract, so its signals replay as recorded.
   */
  contract?: ContractRule | undefined;
}

/** What the model says about one bar. Heads are absent (undefined or null) when the model has none. */
export interface PolicyInput {
  pUp: number;
  pFlat: number;
  pDown: number;
  expectedReturn?: number | null | undefined;
  q10?: number | null | undefined;
  q90?: number | null | undefined;
}

/** The bar the signal is made at: its close, its ATR as a fraction of the close (null = unknown). */
export interface PolicyMarket {
  barEnd: number;
  close: number | null;
  atrPct: number | null;
}

export interface PolicyDecision {
  action: Action;
  confidence: number;
  /** Fraction of equity the position commits (the account's in the shared-cash backtest, D54), 0 for HOLD. */
  size: number;
  stop: number | null;
  target: number | null;
  expiresAt: number | null;
  /** Why HOLD (null when trading). */
  reason: string | null;
  /** The expected move the decision used (log return over the horizon). */
  expectedMove: number;
}

const finite = (x: number | null | undefined): x is number => typeof x === 'number' && Number.isFinite(x);

/** The expected move: the model's head when it has one, else the class-weighted validation moves. */
export function expectedMove(policy: DecisionPolicy, p: PolicyInput): number {
  if (policy.moveSource === 'head' && finite(p.expectedReturn)) return p.expectedReturn;
  const [mUp, mFlat, mDown] = policy.classMoves;
  return p.pUp * mUp + p.pFlat * mFlat + p.pDown * mDown;
}

/** Fractional Kelly size of a bet won with probability p at payoff ratio b, capped at maxSize; 0 when negative. */
export function kellySize(p: number, b: number, kellyFraction: number, maxSize: number): number {
  if (!(b > 0) || !(p > 0)) return 0;
  const full = p - (1 - p) / b;
  if (!(full > 0)) return 0;
  return Math.min(maxSize, kellyFraction * full);
}

/** Stop below and target above the close for a long (mirrored for a short), or null where unknown. */
export function exitPrices(policy: DecisionPolicy, dir: 1 | -1, p: PolicyInput, m: PolicyMarket): { stop: number | null; target: number | null } {
  const c = m.close;
  if (c === null || !(c > 0)) return { stop: null, target: null };
  const lo = finite(p.q10) ? c * Math.exp(p.q10) : null;
  const hi = finite(p.q90) ? c * Math.exp(p.q90) : null;
  const qStop = dir === 1 ? lo : hi;
  const qTarget = dir === 1 ? hi : lo;
  const atr = finite(m.atrPct) && m.atrPct > 0 ? m.atrPct * c : null;
  const byAtr = (mult: number | null, sign: 1 | -1): number | null => (mult === null || atr === null ? null : c + sign * dir * mult * atr);
  const stop = qStop !== null && dir * (c - qStop) > 0 ? qStop : byAtr(policy.stopAtr, -1);
  const target = qTarget !== null && dir * (qTarget - c) > 0 ? qTarget : byAtr(policy.targetAtr, 1);
  return { stop, target };
}

/** The policy's call for one bar (see DecisionPolicy). */
export function decidePolicy(policy: DecisionPolicy, p: PolicyInput, m: PolicyMarket): PolicyDecision {
  const e = expectedMove(policy, p);
  const hold = (reason: string): PolicyDecision => ({ action: 'HOLD', confidence: p.pFlat, size: 0, stop: null, target: null, expiresAt: null, reason, expectedMove: e });
  if (policy.minNetEdge === null) return hold('no edge after costs on validation');
  const dir: 1 | -1 = e >= 0 ? 1 : -1;
  const net = dir * e - policy.roundTripCost;
  if (!(net > policy.minNetEdge)) {
    return hold(net <= 0 ? 'cost exceeds expected move' : 'net edge below threshold');
  }
  const [mUp, , mDown] = policy.classMoves;
  const pSide = dir === 1 ? p.pUp : p.pDown;
  const pOther = dir === 1 ? p.pDown : p.pUp;
  const win = dir === 1 ? mUp : -mDown;
  const loss = dir === 1 ? -mDown : mUp;
  const size = kellySize(pSide + pOther > 0 ? pSide / (pSide + pOther) : 0, loss > 0 ? win / loss : 0, policy.kellyFraction, policy.maxSize);
  if (!(size > 0)) return hold('no Kelly edge');
  const { stop, target } = exitPrices(policy, dir, p, m);
  return {
    action: dir === 1 ? 'BUY' : 'SELL',
    confidence: pSide,
    size,
    stop,
    target,
    expiresAt: m.barEnd + policy.timeoutBars * policy.barIntervalMs,
    reason: null,
    expectedMove: e,
  };
}
