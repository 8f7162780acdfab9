import { z } from 'zod';
import type { BacktestMetrics } from './backtest-report.ts';

/**
 * Backtest gates: what a strategy must show before anyone trades it. The defaults below apply to
 * every field a gates file leaves out. A gate whose figure is null (no trades, so no win rate)
 * fails.
 */
export interface BacktestGates {
  /** At least this many trades: fewer say nothing. */
  minTrades: number;
  /** Annualised Sharpe of the traded window at least this. */
  minSharpe: number;
  /** Largest drawdown at most this fraction of the peak. */
  maxDrawdown: number;
  /** Share of winning trades at least this. */
  minWinRate: number;
}

export const DEFAULT_GATES: Readonly<BacktestGates> = Object.freeze({
  minTrades: 30,
  minSharpe: 1,
  maxDrawdown: 0.2,
  minWinRate: 0.4,
});

const gatesSchema = z.strictObject({
  minTrades: z.number().int().min(0).optional(),
  minSharpe: z.number().optional(),
  maxDrawdown: z.number().min(0).max(1).optional(),
  minWinRate: z.number().min(0).max(1).optional(),
});

/** A gates file's JSON text over the defaults; throws a one-line reason on bad content. */
export function parseGates(text: string): BacktestGates {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error('gates file is not JSON');
  }
  const parsed = gatesSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`gates file: ${z.prettifyError(parsed.error).replace(/\n/g, ' ')}`);
  const g = { ...DEFAULT_GATES };
  for (const [k, v] of Object.entries(parsed.data)) if (v !== undefined) g[k as keyof BacktestGates] = v;
  return g;
}

export interface GateVerdict {
  passed: boolean;
  /** Names of the gates that failed, in a fixed order. */
  failed: string[];
  /** Each gate's figure beside its threshold. */
  figures: Record<string, { value: number | null; threshold: number }>;
}

export function evaluateGates(m: BacktestMetrics, g: BacktestGates): GateVerdict {
  const checks: [string, number | null, number, (v: number, t: number) => boolean][] = [
    ['minTrades', m.trades, g.minTrades, (v, t) => v >= t],
    ['minSharpe', m.sharpe, g.minSharpe, (v, t) => v >= t],
    ['maxDrawdown', m.maxDrawdown, g.maxDrawdown, (v, t) => v <= t],
    ['minWinRate', m.winRate, g.minWinRate, (v, t) => v >= t],
  ];
  const failed: string[] = [];
  const figures: GateVerdict['figures'] = {};
  for (const [name, value, threshold, ok] of checks) {
    figures[name] = { value, threshold };
    if (value === null || !ok(value, threshold)) failed.push(name);
  }
  return { passed: failed.length === 0, failed, figures };
}
