import type { OptionChainSnapshot } from '../../../schemas/option-chain-snapshot.ts';
import { atmIv } from './atm-iv.ts';
import { nearestExpiryContracts } from './live-expiry.ts';
import { maxPainDist } from './max-pain.ts';
import { pcrOi, pcrVolume } from './put-call-ratio.ts';

export interface ChainFeatures {
  pcr_oi: number | null;
  pcr_volume: number | null;
  atm_iv: number | null;
  max_pain_dist: number | null;
}

export const NO_CHAIN_FEATURES: Readonly<ChainFeatures> = Object.freeze({
  pcr_oi: null,
  pcr_volume: null,
  atm_iv: null,
  max_pain_dist: null,
});

/**
 * The option-chain features of one snapshot, all computed on the nearest expiry still alive at
 * the snapshot time (expiry > tsEvent). Stateless: the caller picks the snapshot (as-of join on
 * availability time). Null snapshot or no live expiry → all null.
 */
export function chainFeatures(snapshot: OptionChainSnapshot | null): ChainFeatures {
  if (snapshot === null) return { ...NO_CHAIN_FEATURES };
  const contracts = nearestExpiryContracts(snapshot);
  if (contracts.length === 0) return { ...NO_CHAIN_FEATURES };
  return {
    pcr_oi: pcrOi(contracts),
    pcr_volume: pcrVolume(contracts),
    atm_iv: atmIv(contracts, snapshot.spot),
    max_pain_dist: maxPainDist(contracts, snapshot.spot),
  };
}
