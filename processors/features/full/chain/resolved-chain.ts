import type { OptionChainSnapshot, OptionContract } from '../../../../schemas/option-chain-snapshot.ts';
import { bsGreeks, impliedVol } from '../../../math/black-scholes.ts';

/** Year length for times to expiry: ACT/365 (calendar days, as NSE and most vendors quote IV). */
export const YEAR_MS = 365 * 86_400_000;

/** Pricing assumptions where a chain lacks IV or greeks. Rates are continuous, annualized fractions. */
export interface PricingAssumptions {
  /** Risk-free rate r. */
  readonly rate: number;
  /** Continuous dividend (or carry) yield q. */
  readonly dividendYield: number;
  /** Units of the underlying per contract (e.g. an index lot size); 1 = per unit of underlying. */
  readonly multiplier: number;
}

/** One live contract with what the chain features need, resolved once per snapshot. */
export interface ResolvedContract {
  readonly c: OptionContract;
  /** Years to expiry from the snapshot time (> 0: expired contracts are left out). */
  readonly t: number;
  /** IV as quoted (> 0), else solved from the mid (bid/ask both > 0) or last price; null if neither. */
  readonly sigma: number | null;
  /** Gamma as quoted (finite, >= 0), else Black-Scholes gamma at spot with sigma; null if neither. */
  readonly gamma: number | null;
}

function quotedPrice(c: OptionContract): number | null {
  if (c.bid !== null && c.ask !== null && c.bid > 0 && c.ask >= c.bid) return (c.bid + c.ask) / 2;
  return c.last !== null && c.last > 0 ? c.last : null;
}

/**
 * The snapshot's live contracts (expiry > tsEvent) with IV and gamma filled in where the source
 * left them out: IV by the Black-Scholes solver (`impliedVol`, null when no volatility fits the
 * price), gamma by `bsGreeks` at the snapshot's spot. Nothing is resolved when spot is unusable.
 */
export function resolveChain(snap: OptionChainSnapshot, p: PricingAssumptions): ResolvedContract[] {
  const out: ResolvedContract[] = [];
  const S = snap.spot;
  if (!(Number.isFinite(S) && S > 0)) return out;
  for (const c of snap.contracts) {
    if (!(c.expiry > snap.tsEvent) || !(c.strike > 0)) continue;
    const t = (c.expiry - snap.tsEvent) / YEAR_MS;
    let sigma: number | null = c.iv !== null && Number.isFinite(c.iv) && c.iv > 0 ? c.iv : null;
    if (sigma === null) {
      const price = quotedPrice(c);
      if (price !== null) sigma = impliedVol(c.right, price, S, c.strike, t, p.rate, p.dividendYield);
    }
    let gamma: number | null = c.gamma !== null && Number.isFinite(c.gamma) && c.gamma >= 0 ? c.gamma : null;
    if (gamma === null && sigma !== null) {
      const g = bsGreeks(c.right, S, c.strike, t, p.rate, sigma, p.dividendYield).gamma;
      gamma = Number.isFinite(g) ? g : null;
    }
    out.push({ c, t, sigma, gamma });
  }
  return out;
}

/** The distinct expiries of resolved contracts, ascending. */
export function expiriesOf(rs: readonly ResolvedContract[]): number[] {
  // A chain lists a handful of expiries: a linear look-up per contract is cheaper than a Set and
  // its spread (D162). includes() compares as a Set does (SameValueZero).
  const out: number[] = [];
  for (let i = 0; i < rs.length; i++) {
    const e = (rs[i] as ResolvedContract).c.expiry;
    if (!out.includes(e)) out.push(e);
  }
  return out.sort((a, b) => a - b);
}
