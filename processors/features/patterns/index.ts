export { BREAKOUT_BARS, detectPatterns, PATTERN_NAMES, PATTERN_WINDOW, PATTERNS, STAR_PENETRATION, type PatternDef } from './candle-patterns.ts';
export { CANDLE_SETTINGS, candleAverage, type Candle, type CandleSetting } from './candle-settings.ts';
export { ContextTracker, CONTEXT_BARS, TREND_Z, TRENDS, VOL_REGIME_BARS, VOL_REGIMES, type PatternContext } from './pattern-context.ts';
export { ALL_BARS, PatternStatsEngine, type PatternBarResult, type PatternTableRow } from './pattern-engine.ts';
export { PATTERNS_FEATURE_SET, PATTERNS_FEATURE_SET_ID, patternFeatureNames, patternIntervals, patternsFeatureSet } from './patterns-feature-set.ts';
export { PATTERN_STATS_DEFAULTS, RunningStats, type PatternStatsOptions, type StatsSummary } from './running-stats.ts';
