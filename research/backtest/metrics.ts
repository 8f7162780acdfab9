import type { BacktestMetrics, EquityPoint, TradeRecord } from './backtest-report.ts';
import { deflatedSharpe, probabilisticSharpe, returnMoments, type TrialStats } from './sharpe-significance.ts';

/** Calendar year used for CAGR and turnover: 365.25 days. */
export const YEAR_MS = 365.25 * 86_400_000;

/**
 * mean / population std * sqrt(barsPerYear); 0 when there are fewer than two returns or std is 0.
 * Sums run in array order, so the result is reproducible bit for bit.
 */
export function sharpeRatio(returns: readonly number[], barsPerYear: number): number {
  const n = returns.length;
  if (n < 2) return 0;
  let sum = 0;
  for (const r of returns) sum += r;
  const mean = sum / n;
  let sq = 0;
  for (const r of returns) sq += (r - mean) * (r - mean);
  const std = Math.sqrt(sq / n);
  return std === 0 ? 0 : (mean / std) * Math.sqrt(barsPerYear);
}

/** mean / downside deviation (root mean square of min(r, 0) over all n) * sqrt(barsPerYear); null when nothing fell. */
export function sortinoRatio(returns: readonly number[], barsPerYear: number): number | null {
  const n = returns.length;
  if (n < 2) return null;
  let sum = 0;
  let down = 0;
  for (const r of returns) {
    sum += r;
    if (r < 0) down += r * r;
  }
  if (down === 0) return null;
  return (sum / n / Math.sqrt(down / n)) * Math.sqrt(barsPerYear);
}

/** Population std * sqrt(barsPerYear); 0 with fewer than two returns. */
export function annualVolatility(returns: readonly number[], barsPerYear: number): number {
  const m = returnMoments(returns);
  return m ? m.std * Math.sqrt(barsPerYear) : 0;
}

/** Largest (peak - value) / peak over the path, as a positive fraction; 0 for a path that never falls. */
export function maxDrawdown(equity: readonly number[]): number {
  let peak = -Infinity;
  let worst = 0;
  for (const e of equity) {
    if (e > peak) peak = e;
    else if (peak > 0) worst = Math.max(worst, (peak - e) / peak);
  }
  return worst;
}

/** Longest time from a peak until the curve is back at (or above) it, or until the curve ends. */
export function maxDrawdownDuration(curve: readonly EquityPoint[]): number {
  const first = curve[0];
  if (!first) return 0;
  let peak = first.equity;
  let peakT = first.t;
  let longest = 0;
  for (const p of curve) {
    if (p.equity >= peak) {
      longest = Math.max(longest, p.t - peakT);
      peak = p.equity;
      peakT = p.t;
    }
  }
  const last = curve[curve.length - 1] as EquityPoint;
  if (last.equity < peak) longest = Math.max(longest, last.t - peakT);
  return longest;
}

/** Returns between consecutive points of the curve. */
export function periodReturns(curve: readonly EquityPoint[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < curve.length; i++) {
    out.push((curve[i] as EquityPoint).equity / (curve[i - 1] as EquityPoint).equity - 1);
  }
  return out;
}

/** (1 + total)^(1 / years) - 1; null for an empty window, a wiped-out curve or an overflow. */
export function cagr(totalReturn: number, spanMs: number): number | null {
  if (!(spanMs > 0) || !(1 + totalReturn > 0)) return null;
  const v = Math.pow(1 + totalReturn, YEAR_MS / spanMs) - 1;
  return Number.isFinite(v) ? v : null;
}

function nullIfNotFinite(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

export interface MetricsContext {
  /** Share of (symbol, bar) pairs held. */
  exposure: number;
  barsPerYear: number;
  /** Sleeves in the portfolio: a trade's capital is 1 / symbols of the portfolio's unit. */
  symbols: number;
  trials: TrialStats | null;
}

export function computeMetrics(trades: readonly TradeRecord[], curve: readonly EquityPoint[], ctx: MetricsContext): BacktestMetrics {
  const { barsPerYear } = ctx;
  let wins = 0;
  let losses = 0;
  let longs = 0;
  let winSum = 0;
  let lossSum = 0;
  let netSum = 0;
  let notional = 0;
  for (const t of trades) {
    netSum += t.netReturn;
    if (t.side === 'LONG') longs++;
    notional += (t.capital * (1 + t.exitPrice / t.entryPrice)) / ctx.symbols;
    if (t.netReturn > 0) {
      wins++;
      winSum += t.netReturn;
    } else if (t.netReturn < 0) {
      losses++;
      lossSum -= t.netReturn;
    }
  }
  const n = trades.length;
  const first = curve[0];
  const last = curve[curve.length - 1];
  const totalReturn = first && last ? last.equity / first.equity - 1 : 0;
  const spanMs = first && last ? last.t - first.t : 0;
  const returns = periodReturns(curve);
  const moments = returnMoments(returns);
  const dd = maxDrawdown(curve.map((p) => p.equity));
  const growth = cagr(totalReturn, spanMs);
  let equitySum = 0;
  for (const p of curve) equitySum += p.equity;
  const meanEquity = curve.length === 0 ? 1 : equitySum / curve.length;
  const dsr = deflatedSharpe(moments, ctx.trials, barsPerYear);
  return {
    trades: n,
    totalReturn,
    cagr: growth,
    volatility: annualVolatility(returns, barsPerYear),
    sharpe: sharpeRatio(returns, barsPerYear),
    sortino: sortinoRatio(returns, barsPerYear),
    calmar: growth === null || dd === 0 ? null : nullIfNotFinite(growth / dd),
    maxDrawdown: dd,
    maxDrawdownDurationMs: maxDrawdownDuration(curve),
    winRate: n === 0 ? null : wins / n,
    profitFactor: lossSum === 0 ? null : winSum / lossSum,
    expectancy: n === 0 ? null : netSum / n,
    avgWin: wins === 0 ? null : winSum / wins,
    avgLoss: losses === 0 ? null : -lossSum / losses,
    exposure: ctx.exposure,
    turnover: spanMs > 0 ? notional / meanEquity / (spanMs / YEAR_MS) : 0,
    longRatio: n === 0 ? null : longs / n,
    avgTradeReturn: n === 0 ? null : netSum / n,
    probabilisticSharpe: probabilisticSharpe(moments),
    deflatedSharpe: dsr.value,
    deflatedSharpeReason: dsr.reason,
    deflatedSharpeBasis: dsr.basis,
    periods: returns.length,
    barsPerYear,
  };
}
