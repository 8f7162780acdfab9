import { normPdf } from '../../../math/black-scholes.ts';
import type { PricingAssumptions, ResolvedContract } from './resolved-chain.ts';

/**
 * Dealer gamma exposure, with the convention that dealers are LONG the calls and SHORT the puts
 * that customers hold open (customers write calls and buy puts; the SqueezeMetrics convention):
 *   GEX = Σ_contracts sign · γ · OI · multiplier · S² · 0.01,   sign = +1 call, -1 put,
 * in currency per 1 % move of the underlying: the change of the dealers' delta-hedge notional when
 * spot moves 1 %. Positive GEX: dealers sell rallies and buy dips (moves damped); negative: they
 * chase moves (moves amplified).
 */
export interface GammaExposure {
  /** GEX over every live expiry. */
  total: number;
  /** GEX of the nearest live expiry only. */
  nearest: number;
  /** Σ sign·γ·OI·multiplier (underlying units per 1 unit of price move), every live expiry. */
  netGamma: number;
  /** Σ γ·OI·multiplier over out-of-the-money puts (strike < spot), every live expiry. */
  otmPutGamma: number;
  /** Σ γ·OI·multiplier over out-of-the-money calls (strike > spot), every live expiry. */
  otmCallGamma: number;
}

export function gammaExposure(rs: readonly ResolvedContract[], spot: number, nearestExpiry: number | null, p: PricingAssumptions): GammaExposure {
  const scale = spot * spot * 0.01;
  let net = 0, near = 0, otmPut = 0, otmCall = 0;
  for (const r of rs) {
    if (r.gamma === null) continue;
    const g = r.gamma * r.c.openInterest * p.multiplier;
    const signed = r.c.right === 'C' ? g : -g;
    net += signed;
    if (r.c.expiry === nearestExpiry) near += signed;
    if (r.c.right === 'P' && r.c.strike < spot) otmPut += g;
    if (r.c.right === 'C' && r.c.strike > spot) otmCall += g;
  }
  return { total: net * scale, nearest: near * scale, netGamma: net, otmPutGamma: otmPut, otmCallGamma: otmCall };
}

export interface GammaFlipGrid {
  /** Half-width of the spot grid as a fraction of spot. */
  readonly range: number;
  /** Number of intervals of the grid (steps + 1 levels). */
  readonly steps: number;
}

/** Default spot grid of the gamma-flip search: ±10 % in 0.5 % steps. */
export const GAMMA_FLIP_GRID: GammaFlipGrid = Object.freeze({ range: 0.1, steps: 40 });

/**
 * Gamma flip: the spot level where total GEX, re-evaluated with Black-Scholes gamma (each contract
 * at its resolved IV, time and OI held fixed) as spot moves over the grid spot·(1 ± range), changes
 * sign. Linear interpolation between the two grid points around a sign change; with several
 * changes, the one nearest to spot. Contracts without an IV are left out (they have no model
 * gamma away from spot). Null when GEX keeps one sign over the whole grid.
 */
export function gammaFlip(rs: readonly ResolvedContract[], spot: number, p: PricingAssumptions, grid: GammaFlipGrid = GAMMA_FLIP_GRID): number | null {
  if (!(spot > 0)) return null;
  // γ(S) = e^{-qT} φ(d1) / (S σ √T), d1 = (ln S - a) / b with a = ln K - (r - q + σ²/2) T, b = σ√T.
  // Typed arrays and no closure per level (D139); every value is computed as before, in the same order.
  const a = new Float64Array(rs.length), b = new Float64Array(rs.length), w = new Float64Array(rs.length);
  let n = 0;
  for (const r of rs) {
    if (r.sigma === null || r.c.openInterest === 0) continue;
    const sd = r.sigma * Math.sqrt(r.t);
    a[n] = Math.log(r.c.strike) - (p.rate - p.dividendYield + 0.5 * r.sigma * r.sigma) * r.t;
    b[n] = sd;
    const sign = r.c.right === 'C' ? 1 : -1;
    w[n] = (sign * Math.exp(-p.dividendYield * r.t) * r.c.openInterest * p.multiplier) / sd;
    n++;
  }
  if (n === 0) return null;
  const levels = new Float64Array(grid.steps + 1);
  const values = new Float64Array(grid.steps + 1);
  for (let i = 0; i <= grid.steps; i++) {
    const s = spot * (1 - grid.range + (2 * grid.range * i) / grid.steps);
    const ls = Math.log(s);
    let sum = 0;
    for (let j = 0; j < n; j++) sum += (w[j] as number) * normPdf((ls - (a[j] as number)) / (b[j] as number));
    levels[i] = s;
    // Σ w·φ / S is net gamma; × S² × 0.01 gives GEX.
    values[i] = sum * s * 0.01;
  }
  let best: number | null = null;
  for (let i = 0; i < grid.steps; i++) {
    const s0 = levels[i] as number, s1 = levels[i + 1] as number;
    const g0 = values[i] as number, g1 = values[i + 1] as number;
    let cross: number | null = null;
    if (g0 === 0 && g1 === 0) continue; // no gamma at all here (e.g. underflow far from every strike)
    if (g0 === 0) cross = s0;
    else if (g1 === 0) cross = s1;
    else if (g0 < 0 !== g1 < 0) cross = s0 + ((s1 - s0) * g0) / (g0 - g1);
    if (cross !== null && Number.isFinite(cross) && (best === null || Math.abs(cross - spot) < Math.abs(best - spot))) best = cross;
  }
  return best;
}
