import type { OptionChainSnapshot, Trade } from '../../schemas/index.ts';

/** One record of a market-data feed: its topic, its key (symbol / underlying) and its value. */
export type MarketEvent =
  | { topic: 'trades'; key: string; value: Trade }
  | { topic: 'options'; key: string; value: OptionChainSnapshot };
