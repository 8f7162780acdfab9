export { bayesAuc, bayesDataset, type BayesAucOptions, type BayesDataset } from './bayes-auc.ts';
export type { MarketEvent } from './market-event.ts';
export {
  DEFAULT_SYMBOLS, DEFAULT_SYNTHETIC_CONFIG, syntheticConfig,
  type LatencyConfig, type OptionChainConfig, type RegimeConfig, type SymbolSpec, type SyntheticConfig, type SyntheticConfigInput,
} from './synthetic-config.ts';
export { MarketStream, SyntheticMarket } from './synthetic-market.ts';
export type { SymbolTruth, SyntheticTruth } from './synthetic-truth.ts';
export { HISTORY_BATCH, writeSyntheticHistory, type HistorySerde, type WriteHistoryResult } from './write-history.ts';
