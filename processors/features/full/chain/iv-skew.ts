import type { ResolvedContract } from './resolved-chain.ts';

/** Moneyness of the skew wings: puts at spot·(1 - m), calls at spot·(1 + m). */
export const SKEW_MONEYNESS = 0.05;

/**
 * IV of one right at a target strike, linearly interpolated in strike between the two listed
 * strikes around it (exact when listed). Null when the target lies outside the strikes of that
 * right with an IV (no extrapolation).
 */
export function ivAtStrike(rs: readonly ResolvedContract[], right: 'C' | 'P', strike: number): number | null {
  let lo: ResolvedContract | null = null;
  let hi: ResolvedContract | null = null;
  for (const r of rs) {
    if (r.c.right !== right || r.sigma === null) continue;
    const k = r.c.strike;
    if (k <= strike && (lo === null || k > lo.c.strike)) lo = r;
    if (k >= strike && (hi === null || k < hi.c.strike)) hi = r;
  }
  if (lo === null || hi === null) return null;
  const klo = lo.c.strike, khi = hi.c.strike;
  const vlo = lo.sigma as number, vhi = hi.sigma as number;
  if (khi === klo) return vlo;
  return vlo + ((vhi - vlo) * (strike - klo)) / (khi - klo);
}

/**
 * iv_skew_5: OTM put IV at strike spot·0.95 minus OTM call IV at strike spot·1.05 (not the
 * 25-delta risk reversal), nearest live expiry, in IV fraction units (0.02 = 2 vol points).
 * Positive = downside protection priced richer. Null when either wing is not covered by strikes.
 */
export function ivSkew(nearest: readonly ResolvedContract[], spot: number, m = SKEW_MONEYNESS): number | null {
  if (!(spot > 0)) return null;
  const put = ivAtStrike(nearest, 'P', spot * (1 - m));
  const call = ivAtStrike(nearest, 'C', spot * (1 + m));
  if (put === null || call === null) return null;
  const d = put - call;
  return Number.isFinite(d) ? d : null;
}
