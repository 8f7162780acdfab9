import type { Bar, Signal } from '../../schemas/index.ts';
import { resolveBacktestConfig, type BacktestConfig } from './backtest-config.ts';
import type { BacktestReport, EquityPoint, Side, TradeRecord } from './backtest-report.ts';
import { computeMetrics } from './metrics.ts';
import { simulateSymbol } from './simulate-symbol.ts';

export interface BacktestInput {
  /** Signal-interval bars of every symbol, stamped at close (tsEvent = end), in any order. */
  bars: readonly Bar[];
  /** Signals in any order; HOLD is ignored. */
  signals: readonly Signal[];
  config?: Partial<BacktestConfig>;
}

/** Code-unit order: unlike localeCompare it cannot change with the machine's locale. */
function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** First index whose bar starts at or after t (bars sorted by time), bars.length if none. */
function firstStartAtOrAfter(bars: readonly Bar[], t: number): number {
  let lo = 0;
  let hi = bars.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((bars[mid] as Bar).start < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function groupBars(bars: readonly Bar[]): Map<string, Bar[]> {
  const sorted = [...bars].sort((a, b) => a.end - b.end || cmpStr(a.symbol, b.symbol));
  const bySymbol = new Map<string, Bar[]>();
  for (const bar of sorted) {
    const ok = [bar.start, bar.end, bar.open, bar.close].every(Number.isFinite);
    if (!ok || bar.start >= bar.end || bar.open <= 0 || bar.close <= 0) {
      throw new Error(`bad bar ${bar.symbol}@${bar.end}: needs start < end and finite positive open/close`);
    }
    const list = bySymbol.get(bar.symbol) ?? [];
    const prev = list[list.length - 1];
    if (prev && bar.start < prev.end) {
      throw new Error(`bars of ${bar.symbol} overlap or repeat at end=${bar.end}: one interval per backtest`);
    }
    list.push(bar);
    bySymbol.set(bar.symbol, list);
  }
  return bySymbol;
}

/**
 * orders[j] = side to take at bar j's open. A signal at barEnd t acts at the open of the first bar
 * starting at or after t (never at t's own close, never earlier). When a data gap sends several
 * signals to the same open, the latest one wins.
 */
function buildOrders(bySymbol: ReadonlyMap<string, Bar[]>, signals: readonly Signal[]): Map<string, (Side | undefined)[]> {
  const sorted = [...signals].sort(
    (a, b) => cmpStr(a.symbol, b.symbol) || a.barEnd - b.barEnd || cmpStr(a.id, b.id),
  );
  const orders = new Map<string, (Side | undefined)[]>();
  let prev: Signal | undefined;
  for (const s of sorted) {
    const same = prev !== undefined && prev.symbol === s.symbol && prev.barEnd === s.barEnd;
    if (same && prev?.id === s.id) continue; // an at-least-once duplicate
    if (same) {
      throw new Error(`two signals for ${s.symbol} at barEnd ${s.barEnd} (${prev?.id}, ${s.id}): backtest one model at a time`);
    }
    prev = s;
    const bars = bySymbol.get(s.symbol);
    if (s.action === 'HOLD' || !bars) continue;
    const idx = firstStartAtOrAfter(bars, s.barEnd);
    if (idx >= bars.length) continue; // no later bar: nothing to trade on
    const list = orders.get(s.symbol) ?? new Array<Side | undefined>(bars.length).fill(undefined);
    list[idx] = s.action === 'BUY' ? 'LONG' : 'SHORT';
    orders.set(s.symbol, list);
  }
  return orders;
}

/**
 * Event-driven backtest over bars and signals; pure and deterministic (the same input in any order
 * gives the same report, bit for bit). Each symbol is a sleeve with equal starting capital that
 * compounds trade by trade; portfolio equity is the mean of the sleeves, so it starts at 1.
 */
export function runBacktest(input: BacktestInput): BacktestReport {
  const config = resolveBacktestConfig(input.config);
  const costs = {
    fee: config.feeBps / 10_000,
    slippage: config.slippageBps / 10_000,
    horizonBars: config.horizonBars,
  };
  const bySymbol = groupBars(input.bars);
  const orders = buildOrders(bySymbol, input.signals);
  const symbols = [...bySymbol.keys()].sort(cmpStr);

  const trades: TradeRecord[] = [];
  const values: Float64Array[] = [];
  let exposed = 0;
  let totalBars = 0;
  for (const symbol of symbols) {
    const bars = bySymbol.get(symbol) as Bar[];
    const r = simulateSymbol(bars, orders.get(symbol) ?? [], costs);
    trades.push(...r.trades);
    values.push(r.closeValues);
    exposed += r.exposedBars;
    totalBars += bars.length;
  }
  trades.sort((a, b) => a.entryTime - b.entryTime || cmpStr(a.symbol, b.symbol));

  const equityCurve = portfolioCurve(symbols, bySymbol, values);
  const exposure = totalBars === 0 ? 0 : exposed / totalBars;
  return { trades, equityCurve, metrics: computeMetrics(trades, equityCurve, exposure, config.barsPerYear) };
}

/** {earliest start, 1}, then the mean sleeve value at each distinct bar close (last known value per sleeve). */
function portfolioCurve(
  symbols: readonly string[],
  bySymbol: ReadonlyMap<string, Bar[]>,
  values: readonly Float64Array[],
): EquityPoint[] {
  const barsOf = symbols.map((s) => bySymbol.get(s) as Bar[]);
  if (barsOf.length === 0) return [];
  const ends = new Set<number>();
  let first = Infinity;
  for (const bars of barsOf) {
    for (const b of bars) ends.add(b.end);
    first = Math.min(first, (bars[0] as Bar).start);
  }
  const times = [...ends].sort((a, b) => a - b);
  const cursor = new Array<number>(symbols.length).fill(0);
  const current = new Array<number>(symbols.length).fill(1);
  const curve: EquityPoint[] = [{ t: first, equity: 1 }];
  for (const t of times) {
    let sum = 0;
    for (let k = 0; k < symbols.length; k++) {
      const bars = barsOf[k] as Bar[];
      const i = cursor[k] as number;
      if (i < bars.length && (bars[i] as Bar).end === t) {
        current[k] = (values[k] as Float64Array)[i] as number;
        cursor[k] = i + 1;
      }
      sum += current[k] as number;
    }
    curve.push({ t, equity: sum / symbols.length });
  }
  return curve;
}
