/** Shapes of what runBacktest returns. Every number is plain JSON (no NaN, no Infinity). */

export type Side = 'LONG' | 'SHORT';

/** horizon: close of the last held bar; signal: next open after an opposite signal; end: data ran out. */
export type ExitReason = 'horizon' | 'signal' | 'end';

export interface TradeRecord {
  symbol: string;
  side: Side;
  /** Start (open time) of the entry bar, epoch ms. */
  entryTime: number;
  /** Raw market price at entry (the entry bar's open), before slippage. */
  entryPrice: number;
  /** Open time of the exit bar for 'signal' exits, its end (close time) otherwise. */
  exitTime: number;
  /** Raw market price at exit (an open or a close), before slippage. */
  exitPrice: number;
  exitReason: ExitReason;
  /** Market move in the trade's direction: side * (exitPrice / entryPrice - 1), no costs. */
  grossReturn: number;
  /** Return on the capital put in, after slippage and fees on both sides (see trade-costs.ts). */
  netReturn: number;
}

export interface EquityPoint {
  t: number;
  equity: number;
}

export interface BacktestMetrics {
  trades: number;
  /** Last equity - 1. */
  totalReturn: number;
  /** Annualized, see BacktestConfig. */
  sharpe: number;
  /** Largest peak-to-trough fall of the equity curve, as a positive fraction of the peak. */
  maxDrawdown: number;
  /** Share of trades with netReturn > 0; null without trades. */
  winRate: number | null;
  /** Sum of positive netReturns / |sum of negative netReturns|; null when no trade lost. */
  profitFactor: number | null;
  /** Share of (symbol, bar) pairs during which a position was held. */
  exposure: number;
  /** Mean netReturn; null without trades. */
  avgTradeReturn: number | null;
}

export interface BacktestReport {
  trades: TradeRecord[];
  /** A first point {t: earliest bar start, equity: 1}, then one point per distinct bar close. */
  equityCurve: EquityPoint[];
  metrics: BacktestMetrics;
}
