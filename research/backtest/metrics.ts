import type { BacktestMetrics, EquityPoint, TradeRecord } from './backtest-report.ts';

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

/** Returns between consecutive points of the curve. */
export function periodReturns(curve: readonly EquityPoint[]): number[] {
  const out: number[] = [];
  for (let i = 1; i < curve.length; i++) {
    out.push((curve[i] as EquityPoint).equity / (curve[i - 1] as EquityPoint).equity - 1);
  }
  return out;
}

export function computeMetrics(
  trades: readonly TradeRecord[],
  curve: readonly EquityPoint[],
  exposure: number,
  barsPerYear: number,
): BacktestMetrics {
  let wins = 0;
  let winSum = 0;
  let lossSum = 0;
  let netSum = 0;
  for (const t of trades) {
    netSum += t.netReturn;
    if (t.netReturn > 0) {
      wins++;
      winSum += t.netReturn;
    } else if (t.netReturn < 0) {
      lossSum -= t.netReturn;
    }
  }
  const n = trades.length;
  const last = curve[curve.length - 1];
  return {
    trades: n,
    totalReturn: last ? last.equity - 1 : 0,
    sharpe: sharpeRatio(periodReturns(curve), barsPerYear),
    maxDrawdown: maxDrawdown(curve.map((p) => p.equity)),
    winRate: n === 0 ? null : wins / n,
    profitFactor: lossSum === 0 ? null : winSum / lossSum,
    exposure,
    avgTradeReturn: n === 0 ? null : netSum / n,
  };
}
