import { z } from 'zod';
import { CALENDARS } from '../../processors/calendar/index.ts';

/**
 * Backtest knobs. Costs are in basis points of traded notional, charged on entry AND on exit.
 *
 * Sharpe is annualized as mean(r) / std(r) * sqrt(barsPerYear), where r is the per-bar portfolio
 * return between consecutive equity-curve points of the traded window and std is the population
 * standard deviation (divide by n); it is 0 when std is 0 (including fewer than two points).
 * barsPerYear comes from the symbols' session calendar (annualisation.ts) unless set here.
 */
export interface BacktestConfig {
  /** Commission per side, bps of the notional traded on that side. */
  feeBps: number;
  /** Slippage per side, bps of price, always against the trader (buy higher, sell lower). */
  slippageBps: number;
  /** Extra slippage per side as a fraction of the fill bar's range ((high - low) / open); 0 = fixed bps only. */
  slippageRange: number;
  /** Stop-loss / take-profit as a fraction of the entry price or a multiple of ATR(atrBars); null = none (exit-levels.ts). */
  stopPct: number | null;
  targetPct: number | null;
  stopAtr: number | null;
  targetAtr: number | null;
  atrBars: number;
  /** A position is held for this many bars of its symbol, the entry bar counting as the first. */
  horizonBars: number;
  /**
   * Starting capital of each symbol's sleeve (sleeves mode). Every reported number is a fraction of capital
   * (returns, equity normalized to start at 1), so this only sets the unit; kept so callers can
   * state it explicitly.
   */
  capitalPerSymbol: number;
  /**
   * Bars per year for annualizing; null = from the session calendar and the bar interval
   * (crypto 365 x 1440 min, us-equity 252 x 390 min, nse 252 x 375 min).
   */
  barsPerYear: number | null;
  /** Session calendar of the symbols; 'auto' detects it from the bars' times (annualisation.ts). */
  calendar: 'auto' | keyof typeof CALENDARS;
  /**
   * How capital is shared: 'shared' (default) one cash account over all symbols, each position
   * size x the portfolio's equity, an order skipped when the cash left cannot pay for it
   * (simulate-portfolio.ts); 'sleeves' each symbol its own capital compounding its own trades,
   * portfolio equity the mean of the sleeves (simulate-symbol.ts, the model before the shared one).
   */
  portfolio: 'shared' | 'sleeves';
  /** Random-entry baseline: number of seeded draws (0 = none) and the seed. */
  randomDraws: number;
  seed: number;
}

export const DEFAULT_BACKTEST_CONFIG: Readonly<BacktestConfig> = Object.freeze({
  feeBps: 5,
  slippageBps: 2,
  slippageRange: 0,
  stopPct: null,
  targetPct: null,
  stopAtr: null,
  targetAtr: null,
  atrBars: 14,
  horizonBars: 6,
  capitalPerSymbol: 1,
  barsPerYear: null,
  calendar: 'auto',
  portfolio: 'shared',
  randomDraws: 1000,
  seed: 1,
});

const configSchema = z.strictObject({
  feeBps: z.number().min(0).max(10_000),
  slippageBps: z.number().min(0).lt(10_000),
  slippageRange: z.number().min(0).max(1),
  stopPct: z.number().positive().lt(1).nullable(),
  targetPct: z.number().positive().nullable(),
  stopAtr: z.number().positive().nullable(),
  targetAtr: z.number().positive().nullable(),
  atrBars: z.number().int().positive(),
  horizonBars: z.number().int().positive(),
  capitalPerSymbol: z.number().positive(),
  barsPerYear: z.number().positive().nullable(),
  calendar: z.enum(['auto', 'crypto', 'nse', 'us-equity']),
  portfolio: z.enum(['shared', 'sleeves']),
  randomDraws: z.number().int().min(0).max(1_000_000),
  seed: z.number().int().min(0).max(0xffffffff),
});

/** Defaults overlaid with `partial`, validated once; throws a readable error on bad values. */
export function resolveBacktestConfig(partial: Partial<BacktestConfig> = {}): BacktestConfig {
  const parsed = configSchema.safeParse({ ...DEFAULT_BACKTEST_CONFIG, ...partial });
  if (!parsed.success) {
    throw new Error(`invalid backtest config: ${z.prettifyError(parsed.error)}`);
  }
  return parsed.data;
}
