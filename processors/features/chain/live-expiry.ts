import { chainColumns, COL, contractsExpiring, CONTRACT_STRIDE } from '../../../schemas/option-chain-columns.ts';
import type { OptionChainSnapshot, OptionContract } from '../../../schemas/option-chain-snapshot.ts';

/**
 * The nearest expiry still alive at the snapshot time: the smallest expiry > snapshot.tsEvent.
 * An expiry equal to tsEvent has expired (its contracts settle at that instant), and a chain
 * source may keep listing expired contracts for a while, so they are excluded. Null if none.
 */
export function nearestLiveExpiry(snapshot: OptionChainSnapshot): number | null {
  let best: number | null = null;
  // A chain from the replay's direct reader (D173): the expiry column, no contract records made.
  const columns = chainColumns(snapshot);
  if (columns !== null) {
    for (let at = COL.expiry; at < columns.length; at += CONTRACT_STRIDE) {
      const expiry = columns[at] as number;
      if (expiry > snapshot.tsEvent && (best === null || expiry < best)) best = expiry;
    }
    return best;
  }
  for (const c of snapshot.contracts) {
    if (c.expiry > snapshot.tsEvent && (best === null || c.expiry < best)) best = c.expiry;
  }
  return best;
}

/** Contracts of the nearest live expiry (empty when there is none). All chain features use these. */
export function nearestExpiryContracts(snapshot: OptionChainSnapshot): OptionContract[] {
  const expiry = nearestLiveExpiry(snapshot);
  if (expiry === null) return [];
  // The same records, only those of that expiry made from a ColumnarChain's columns (D173).
  return contractsExpiring(snapshot, expiry);
}
