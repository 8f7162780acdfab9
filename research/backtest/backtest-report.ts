/** Shapes of what runBacktest returns. Every number is plain JSON (no NaN, no Infinity). */

export type Side = 'LONG' | 'SHORT';

/**
 * horizon: close of the last held bar; signal: next open after an opposite signal; end: data ran
 * out; stop / target: the stop or target price was touched inside a bar (exit at that price, or at
 * the open when the bar gapped through it).
 */
export type ExitReason = 'horizon' | 'signal' | 'end' | 'stop' | 'target';

export interface TradeRecord {
  symbol: string;
  side: Side;
  /** Start (open time) of the entry bar, epoch ms. */
  entryTime: number;
  /** Raw market price at entry (the entry bar's open), before slippage. */
  entryPrice: number;
  /** Open time of the exit bar for 'signal' exits, its end (close time) otherwise (stops too: the time inside the bar is unknown). */
  exitTime: number;
  /** Raw market price at exit (an open, a close, or a stop/target level), before slippage. */
  exitPrice: number;
  exitReason: ExitReason;
  /** Market move in the trade's direction: side * (exitPrice / entryPrice - 1), no costs. */
  grossReturn: number;
  /** Return on the capital put in, after slippage and fees on both sides (see trade-costs.ts). */
  netReturn: number;
  /**
   * Cash put in at entry: size x the portfolio's equity then (shared portfolio, which starts at 1),
   * or size x the sleeve's equity (sleeves, each starting at 1).
   */
  capital: number;
  /** Fraction of the equity put in (the signal's size; 1 for a signal without one). */
  size: number;
  /** Bars of its symbol the position was held (exit at an open: the bars before it). */
  bars: number;
}

/** An order the shared portfolio did not carry out, and why. */
export interface SkippedOrder {
  symbol: string;
  /** The open (bar start) it was to fill at. */
  time: number;
  side: Side;
  size: number;
  /** size x equity: the cash it needed. */
  capital: number;
  /** Cash left at that moment. */
  cash: number;
  reason: 'insufficient-cash';
}

export interface EquityPoint {
  t: number;
  equity: number;
}

export interface BacktestMetrics {
  trades: number;
  /** Last equity / first equity - 1 over the traded window. */
  totalReturn: number;
  /** (1 + totalReturn)^(1 / years) - 1, years of calendar time (365.25 days) of the window; null when undefined. */
  cagr: number | null;
  /** Population std of the period returns x sqrt(barsPerYear). */
  volatility: number;
  /** Annualized, see BacktestConfig. */
  sharpe: number;
  /** mean / sqrt(mean(min(r, 0)^2)) x sqrt(barsPerYear); null when no period lost. */
  sortino: number | null;
  /** cagr / maxDrawdown; null when either is 0 or unknown. */
  calmar: number | null;
  /** Largest peak-to-trough fall of the equity curve, as a positive fraction of the peak. */
  maxDrawdown: number;
  /** Longest time (ms) from a peak until the equity is back at it, or until the window ends. */
  maxDrawdownDurationMs: number;
  /** Share of trades with netReturn > 0; null without trades. */
  winRate: number | null;
  /** Sum of positive netReturns / |sum of negative netReturns|; null when no trade lost. */
  profitFactor: number | null;
  /** Mean netReturn per trade; null without trades. */
  expectancy: number | null;
  /** Mean netReturn of winning / losing trades (avgLoss is negative); null when there are none. */
  avgWin: number | null;
  avgLoss: number | null;
  /** Share of (symbol, bar) pairs of the window during which a position was held. */
  exposure: number;
  /** Traded notional (entry + exit, at market prices) per year, as a multiple of the mean equity. */
  turnover: number;
  /** Share of trades that were LONG; null without trades. */
  longRatio: number | null;
  /** Same as expectancy (kept from earlier reports). */
  avgTradeReturn: number | null;
  /** P(true Sharpe > 0) (Bailey & López de Prado); null when undefined. */
  probabilisticSharpe: number | null;
  /** PSR against the expected best Sharpe of the trials; null with deflatedSharpeReason when unknown. */
  deflatedSharpe: number | null;
  deflatedSharpeReason: string | null;
  /** Where the trial count and the spread of trial Sharpes came from (sharpe-significance.ts); null when deflatedSharpe is. */
  deflatedSharpeBasis: string | null;
  /** Period returns behind the ratios and the factor that annualised them. */
  periods: number;
  barsPerYear: number;
}

export interface BaselineCurve {
  totalReturn: number;
  sharpe: number;
  maxDrawdown: number;
  equityCurve: EquityPoint[];
}

export interface RandomEntryBaseline {
  draws: number;
  seed: number;
  mean: number | null;
  sd: number | null;
  /** (1 + draws whose total return >= the strategy's) / (1 + draws); null without draws or trades. */
  pValue: number | null;
  /** Total return of every draw, in draw order. */
  returns: number[];
}

export interface BacktestReport {
  /** shared: one cash account over all symbols; sleeves: each symbol its own capital, equity the mean (backtest-config.ts). */
  portfolio: 'shared' | 'sleeves';
  trades: TradeRecord[];
  /** Orders skipped for want of cash (shared portfolio only; always empty with sleeves), in time order. */
  skippedOrders: SkippedOrder[];
  /**
   * The traded window: a first point {t: window start, equity: 1}, then one point per distinct bar
   * close inside it.
   */
  equityCurve: EquityPoint[];
  metrics: BacktestMetrics;
  window: { from: number; to: number };
  /** Session calendar of each symbol (detected or given). */
  calendars: Record<string, string>;
  /** The same symbols bought at the window's first open and held, with the same costs. */
  buyAndHold: BaselineCurve;
  randomEntry: RandomEntryBaseline;
}
