export { runBacktest, type BacktestInput } from './run-backtest.ts';
export { DEFAULT_BACKTEST_CONFIG, resolveBacktestConfig, type BacktestConfig } from './backtest-config.ts';
export type {
  BacktestMetrics,
  BacktestReport,
  EquityPoint,
  ExitReason,
  Side,
  TradeRecord,
} from './backtest-report.ts';
export { canonicalJson } from '../../lib/canonical-json.ts';
export { reportSha256 } from './report-sha256.ts';
export { maxDrawdown, sharpeRatio } from './metrics.ts';
export { netTradeReturn } from './trade-costs.ts';
