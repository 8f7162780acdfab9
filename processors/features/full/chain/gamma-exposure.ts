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
// Scratch of gammaFlip, grown on demand and reused (the kernel is single-threaded; nothing keeps
// them across calls): per-contract terms, and per grid level its spot, log spot and Σ w·φ.
let termA = new Float64Array(64), termB = new Float64Array(64), termW = new Float64Array(64);
let levelS = new Float64Array(41), levelLn = new Float64Array(41), levelSum = new Float64Array(41);

export function gammaFlip(rs: readonly ResolvedContract[], spot: number, p: PricingAssumptions, grid: GammaFlipGrid = GAMMA_FLIP_GRID): number | null {
  if (!(spot > 0)) return null;
  // γ(S) = e^{-qT} φ(d1) / (S σ √T), d1 = (ln S - a) / b with a = ln K - (r - q + σ²/2) T, b = σ√T.
  // Every value is computed as before (D139), in the same order (D162): each level's sum still adds
  // the contracts' terms w·φ in contract order starting from 0, but the loops are swapped (contracts
  // outside, levels inside) so a contract's a, b, w are loaded once, and no arrays are allocated per call.
  if (termA.length < rs.length) {
    termA = new Float64Array(rs.length);
    termB = new Float64Array(rs.length);
    termW = new Float64Array(rs.length);
  }
  const a = termA, b = termB, w = termW;
  let n = 0;
  for (let k = 0; k < rs.length; k++) {
    const r = rs[k] as ResolvedContract;
    if (r.sigma === null || r.c.openInterest === 0) continue;
    const sd = r.sigma * Math.sqrt(r.t);
    a[n] = Math.log(r.c.strike) - (p.rate - p.dividendYield + 0.5 * r.sigma * r.sigma) * r.t;
    b[n] = sd;
    const sign = r.c.right === 'C' ? 1 : -1;
    w[n] = (sign * Math.exp(-p.dividendYield * r.t) * r.c.openInterest * p.multiplier) / sd;
    n++;
  }
  if (n === 0) return null;
  const m = grid.steps + 1;
  if (levelS.length < m) {
    levelS = new Float64Array(m);
    levelLn = new Float64Array(m);
    levelSum = new Float64Array(m);
  }
  const levels = levelS, ln = levelLn, sums = levelSum;
  for (let i = 0; i < m; i++) {
    const s = spot * (1 - grid.range + (2 * grid.range * i) / grid.steps);
    levels[i] = s;
    ln[i] = Math.log(s);
    sums[i] = 0;
  }
  for (let j = 0; j < n; j++) {
    const aj = a[j] as number, bj = b[j] as number, wj = w[j] as number;
    for (let i = 0; i < m; i++) {
      const x = ((ln[i] as number) - aj) / bj;
      sums[i] = (sums[i] as number) + wj * normPdf(x);
    }
  }
  let best: number | null = null;
  // Σ w·φ / S is net gamma; × S² × 0.01 gives GEX.
  let g0 = (sums[0] as number) * (levels[0] as number) * 0.01;
  for (let i = 0; i < grid.steps; i++) {
    const s0 = levels[i] as number, s1 = levels[i + 1] as number;
    const g1 = (sums[i + 1] as number) * s1 * 0.01;
    let cross: number | null = null;
    if (g0 === 0 && g1 === 0) {
      g0 = g1;
      continue; // no gamma at all here (e.g. underflow far from every strike)
    }
    if (g0 === 0) cross = s0;
    else if (g1 === 0) cross = s1;
    else if (g0 < 0 !== g1 < 0) cross = s0 + ((s1 - s0) * g0) / (g0 - g1);
    if (cross !== null && Number.isFinite(cross) && (best === null || Math.abs(cross - spot) < Math.abs(best - spot))) best = cross;
    g0 = g1;
  }
  return best;
}
