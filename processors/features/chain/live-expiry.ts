import type { OptionChainSnapshot, OptionContract } from '../../../schemas/option-chain-snapshot.ts';

/**
 * The nearest expiry still alive at the snapshot time: the smallest expiry > snapshot.tsEvent.
 * An expiry equal to tsEvent has expired (its contracts settle at that instant), and a chain
 * source may keep listing expired contracts for a while, so they are excluded. Null if none.
 */
export function nearestLiveExpiry(snapshot: OptionChainSnapshot): number | null {
  let best: number | null = null;
  for (const c of snapshot.contracts) {
    if (c.expiry > snapshot.tsEvent && (best === null || c.expiry < best)) best = c.expiry;
  }
  return best;
}

/** Contracts of the nearest live expiry (empty when there is none). All chain features use these. */
export function nearestExpiryContracts(snapshot: OptionChainSnapshot): OptionContract[] {
  const expiry = nearestLiveExpiry(snapshot);
  return expiry === null ? [] : snapshot.contracts.filter((c) => c.expiry === expiry);
}
