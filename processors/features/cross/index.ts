export { CROSS_DEFAULTS, CROSS_FEATURE_SET, CROSS_FEATURE_SET_ID, crossFeatureNames, crossFeatureSet, DEFAULT_REFERENCE, type CrossOptions } from './cross-feature-set.ts';
export { corrBeta, percentileRankOfLast, product, stdOfPresent } from './cross-math.ts';
