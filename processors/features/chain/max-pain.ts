import type { OptionContract } from '../../../schemas/option-chain-snapshot.ts';

/**
 * Max pain: the listed strike K* that minimizes the total intrinsic value paid to option holders
 * if the underlying settled at K*:
 *   pain(K*) = Σ_calls OI·max(0, K* - K) + Σ_puts OI·max(0, K - K*)   (in OI-contracts × price)
 * over the given contracts (the nearest live expiry). Ties → the lower strike. Null when there are
 * no contracts or the total open interest is 0 (every strike would tie at 0: no information).
 * O(strikes × contracts): a few hundred contracts per expiry is ~10^5 operations per snapshot.
 */
export function maxPainStrike(contracts: readonly OptionContract[]): number | null {
  let totalOi = 0;
  for (const c of contracts) totalOi += c.openInterest;
  if (!(totalOi > 0 && Number.isFinite(totalOi))) return null;
  const strikes = [...new Set(contracts.map((c) => c.strike))].sort((a, b) => a - b);
  let best: number | null = null;
  let bestPain = Infinity;
  for (const s of strikes) {
    let pain = 0;
    for (const c of contracts) {
      if (c.right === 'C') pain += c.openInterest * Math.max(0, s - c.strike);
      else pain += c.openInterest * Math.max(0, c.strike - s);
    }
    // Strict < while scanning ascending strikes keeps the lower strike on ties.
    if (pain < bestPain) {
      bestPain = pain;
      best = s;
    }
  }
  return best;
}

/** max_pain_dist = (maxPainStrike - spot) / spot, a fraction of spot; null if either is unusable. */
export function maxPainDist(contracts: readonly OptionContract[], spot: number): number | null {
  if (!(Number.isFinite(spot) && spot > 0)) return null;
  const k = maxPainStrike(contracts);
  if (k === null) return null;
  const d = (k - spot) / spot;
  return Number.isFinite(d) ? d : null;
}
