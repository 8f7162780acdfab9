import { defineCommand } from '../command-spec.ts';
import { num, oneOf, SIGNAL_INTERVAL_NAMES, text } from '../flags.ts';
import { checkLogSource, readLogFlags } from './log-source.ts';

/** Literal copies of PATTERN_STATS_DEFAULTS (parsing loads no processor code); test/unit/cli pins them. */
export const PATTERNS_DEFAULT_HORIZON = '6';
export const PATTERNS_DEFAULT_MIN_COUNT = '30';

export const PATTERNS = defineCommand({
  name: 'patterns',
  summary: 'Replays the log and prints the candlestick / price pattern statistics per symbol, interval, pattern and context (trend, volatility regime): what followed each pattern over the horizon, from outcomes known at each bar (docs/patterns.md).',
  output: '{"horizonBars":N,"minCount":N,"priorStrength":N,"dropped":N,"rows":[{"symbol":"…","interval":"5m","pattern":"hammer","context":"5m|trend:down|vol:high","count":N,"winRate":x,"meanReturn":x,"t":x|null,"shrunk":x|null,"ic":x|null,"baselineMean":x,"trend":"down","vol":"high"},…]} (pattern "all_bars": every bar, the baseline)',
  flags: {
    ...readLogFlags(),
    symbol: text({ help: 'only this symbol (default: every symbol with bars)', arg: 'symbol' }),
    interval: oneOf(SIGNAL_INTERVAL_NAMES, { help: 'only this bar interval (default: 5m and its multi-timeframe intervals 1m, 15m, 1h)' }),
    horizon: num({ help: 'forward-return horizon in bars of the interval', int: true, min: 1, max: 10_000, default: PATTERNS_DEFAULT_HORIZON }),
    'min-count': num({ help: 'fewer past occurrences in a context than this give no t and no shrunk estimate', int: true, min: 2, max: 1_000_000, default: PATTERNS_DEFAULT_MIN_COUNT }),
  },
  check: (v) => checkLogSource(v),
});
