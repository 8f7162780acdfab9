import type { OptionContract } from '../../../../schemas/option-chain-snapshot.ts';

/**
 * pcr_premium: Σ last·OI over puts / Σ last·OI over calls (the money held in open puts vs calls),
 * dimensionless, over the given contracts (the nearest live expiry). Contracts without a last
 * price are left out. Null when the call side sums to 0.
 */
export function pcrPremium(contracts: readonly OptionContract[]): number | null {
  let puts = 0, calls = 0;
  for (const c of contracts) {
    if (c.last === null || !Number.isFinite(c.last)) continue;
    if (c.right === 'P') puts += c.last * c.openInterest;
    else calls += c.last * c.openInterest;
  }
  if (!(calls > 0)) return null;
  const r = puts / calls;
  return Number.isFinite(r) ? r : null;
}
