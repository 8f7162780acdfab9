import type { OptionContract } from '../../../schemas/option-chain-snapshot.ts';

/**
 * Put/call ratio of one field over the given contracts (the nearest live expiry):
 * Σ puts / Σ calls, dimensionless. Null when the call sum is 0 (or not finite).
 */
function putCallRatio(contracts: readonly OptionContract[], field: 'openInterest' | 'volume'): number | null {
  let puts = 0;
  let calls = 0;
  for (const c of contracts) {
    if (c.right === 'P') puts += c[field];
    else calls += c[field];
  }
  if (calls === 0) return null;
  const r = puts / calls;
  return Number.isFinite(r) ? r : null;
}

/** pcr_oi: Σ put open interest / Σ call open interest. */
export function pcrOi(contracts: readonly OptionContract[]): number | null {
  return putCallRatio(contracts, 'openInterest');
}

/** pcr_volume: Σ put volume / Σ call volume. */
export function pcrVolume(contracts: readonly OptionContract[]): number | null {
  return putCallRatio(contracts, 'volume');
}
