export { atmIv, atmStrike } from './atm-iv.ts';
export { chainFeatures, NO_CHAIN_FEATURES, type ChainFeatures } from './chain-features.ts';
export { nearestExpiryContracts, nearestLiveExpiry } from './live-expiry.ts';
export { maxPainDist, maxPainStrike } from './max-pain.ts';
export { pcrOi, pcrVolume } from './put-call-ratio.ts';
