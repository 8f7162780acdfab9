export { runBacktest, type BacktestInput } from './run-backtest.ts';
export { DEFAULT_BACKTEST_CONFIG, resolveBacktestConfig, type BacktestConfig } from './backtest-config.ts';
export type {
  BaselineCurve,
  RandomEntryBaseline,
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
export { barsPerYear, detectCalendar } from './annualisation.ts';
export { parseTrialsLedger, probabilisticSharpe, deflatedSharpe, type TrialStats } from './sharpe-significance.ts';
export { evaluateGates, parseGates, DEFAULT_GATES, type BacktestGates, type GateVerdict } from './backtest-gates.ts';
export { netTradeReturn } from './trade-costs.ts';
export { renderTearSheet, type TearSheetModel } from './tear-sheet.ts';
