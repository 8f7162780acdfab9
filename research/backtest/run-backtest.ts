import type { Bar, Signal } from '../../schemas/index.ts';
import type { CalendarName } from '../../processors/calendar/index.ts';
import { detectCalendar, portfolioBarsPerYear } from './annualisation.ts';
import { resolveBacktestConfig, type BacktestConfig } from './backtest-config.ts';
import type { BacktestReport, EquityPoint, Side, TradeRecord } from './backtest-report.ts';
import { buyAndHoldValues } from './buy-and-hold.ts';
import { computeMetrics, maxDrawdown, periodReturns, sharpeRatio } from './metrics.ts';
import { randomEntryBaseline } from './random-entry.ts';
import type { TrialStats } from './sharpe-significance.ts';
import { simulatePortfolio, type PortfolioResult } from './simulate-portfolio.ts';
import { firstEndAfter, simulateSymbol, type Order } from './simulate-symbol.ts';

export interface BacktestInput {
  /** Signal-interval bars of every symbol, stamped at close (tsEvent = end), in any order. */
  bars: readonly Bar[];
  /** Signals in any order; HOLD is ignored. */
  signals: readonly Signal[];
  config?: Partial<BacktestConfig>;
  /**
   * Only signals with from <= barEnd < to are traded; the metrics cover the traded window, from
   * `from` (or the first bar) to `to` or the last exit, whichever is later (or the last bar).
   */
  window?: { from?: number; to?: number };
  /** Trials behind this strategy (for the deflated Sharpe); null or absent = unknown. */
  trials?: TrialStats | null;
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
function buildOrders(bySymbol: ReadonlyMap<string, Bar[]>, signals: readonly Signal[]): Map<string, (Order | undefined)[]> {
  const sorted = [...signals].sort(
    (a, b) => cmpStr(a.symbol, b.symbol) || a.barEnd - b.barEnd || cmpStr(a.id, b.id),
  );
  const orders = new Map<string, (Order | undefined)[]>();
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
    const list = orders.get(s.symbol) ?? new Array<Order | undefined>(bars.length).fill(undefined);
    const side: Side = s.action === 'BUY' ? 'LONG' : 'SHORT';
    const size = s.size ?? 1;
    if (!(size > 0 && size <= 1)) throw new Error(`signal ${s.id} (${s.symbol}@${s.barEnd}): size ${size} is not in (0, 1]`);
    list[idx] = { side, size, stop: s.stop ?? null, target: s.target ?? null, expiresAt: s.expiresAt ?? null };
    orders.set(s.symbol, list);
  }
  return orders;
}

/**
 * Event-driven backtest over bars and signals; pure and deterministic (the same input in any order
 * gives the same report, bit for bit). config.portfolio 'shared' (default): one cash account over
 * all symbols (simulate-portfolio.ts); 'sleeves': each symbol a sleeve with equal starting capital
 * that compounds trade by trade, portfolio equity the mean of the sleeves. Both start at 1.
 * Beside the strategy: buy-and-hold of the same symbols over the same window, and a random-entry
 * baseline with the same trades placed at random (random-entry.ts).
 */
export function runBacktest(input: BacktestInput): BacktestReport {
  const config = resolveBacktestConfig(input.config);
  const fee = config.feeBps / 10_000;
  const slippage = config.slippageBps / 10_000;
  const exits = { stopPct: config.stopPct, targetPct: config.targetPct, stopAtr: config.stopAtr, targetAtr: config.targetAtr, atrBars: config.atrBars };
  const costs = { fee, slippage, slippageRange: config.slippageRange, horizonBars: config.horizonBars, exits };
  const bySymbol = groupBars(input.bars);
  const from = input.window?.from ?? -Infinity;
  const to = input.window?.to ?? Infinity;
  const traded = input.signals.filter((s) => s.barEnd >= from && s.barEnd < to);
  const orders = buildOrders(bySymbol, traded);
  const symbols = [...bySymbol.keys()].sort(cmpStr);

  const trades: TradeRecord[] = [];
  const values: Float64Array[] = [];
  let exposed = 0;
  let shared: PortfolioResult | null = null;
  if (config.portfolio === 'shared') {
    shared = simulatePortfolio(symbols.map((symbol) => ({ bars: bySymbol.get(symbol) as Bar[], orders: orders.get(symbol) ?? [] })), costs);
    trades.push(...shared.trades);
    exposed = shared.exposedBars;
  } else {
    for (const symbol of symbols) {
      const bars = bySymbol.get(symbol) as Bar[];
      const r = simulateSymbol(bars, orders.get(symbol) ?? [], costs);
      trades.push(...r.trades);
      values.push(r.closeValues);
      exposed += r.exposedBars;
    }
  }
  trades.sort((a, b) => a.entryTime - b.entryTime || cmpStr(a.symbol, b.symbol));

  // The traded window: [ws, we].
  let firstStart = Infinity;
  let lastEnd = -Infinity;
  for (const s of symbols) {
    const bars = bySymbol.get(s) as Bar[];
    firstStart = Math.min(firstStart, (bars[0] as Bar).start);
    lastEnd = Math.max(lastEnd, (bars[bars.length - 1] as Bar).end);
  }
  let lastExit = -Infinity;
  for (const t of trades) lastExit = Math.max(lastExit, t.exitTime);
  const ws = symbols.length === 0 ? 0 : Math.min(Math.max(from, firstStart), lastEnd);
  const we = symbols.length === 0 ? 0 : Math.max(Math.min(to, lastEnd), lastExit, ws);

  const calendars: Record<string, string> = {};
  const calendarList: CalendarName[] = [];
  let intervalMs = 300_000;
  let windowBars = 0;
  const sleeves = symbols.map((symbol) => {
    const bars = bySymbol.get(symbol) as Bar[];
    const calendar = config.calendar === 'auto' ? detectCalendar(bars) : config.calendar;
    calendars[symbol] = calendar;
    calendarList.push(calendar);
    const first = bars[0] as Bar;
    intervalMs = first.end - first.start;
    // Window bars: start at or after ws and end by we.
    const a = firstStartAtOrAfter(bars, ws);
    const b = Math.max(a, firstEndAfter(bars, we));
    windowBars += b - a;
    return { symbol, bars, a, b };
  });
  const bpy = config.barsPerYear ?? portfolioBarsPerYear(calendarList, intervalMs);

  const equityCurve = shared === null ? portfolioCurve(sleeves.map((s) => s.bars), values, ws, we) : sharedCurve(shared.closes, symbols.length, ws, we);
  const exposure = windowBars === 0 ? 0 : exposed / windowBars;
  // A trade's capital is in units of the portfolio's starting equity (shared) or of one sleeve's.
  const units = shared === null ? Math.max(1, symbols.length) : 1;
  const metrics = computeMetrics(trades, equityCurve, { exposure, barsPerYear: bpy, symbols: units, trials: input.trials ?? null });

  const holdCurve = portfolioCurve(sleeves.map((s) => s.bars), sleeves.map((s) => buyAndHoldValues(s.bars, s.a, s.b, fee, slippage, config.slippageRange)), ws, we);
  const holdLast = holdCurve[holdCurve.length - 1];
  const buyAndHold = {
    totalReturn: holdLast ? holdLast.equity - 1 : 0,
    sharpe: sharpeRatio(periodReturns(holdCurve), bpy),
    maxDrawdown: maxDrawdown(holdCurve.map((p) => p.equity)),
    equityCurve: holdCurve,
  };
  const randomEntry = randomEntryBaseline(
    sleeves.map((s) => ({ bars: s.bars, a: s.a, b: s.b, trades: trades.filter((t) => t.symbol === s.symbol).map((t) => ({ side: t.side, bars: t.bars, size: t.size })) })),
    metrics.totalReturn,
    { draws: config.randomDraws, seed: config.seed, fee, slippage, slippageRange: config.slippageRange, portfolio: config.portfolio },
  );
  const skippedOrders = shared?.skipped ?? [];
  return { portfolio: config.portfolio, trades, skippedOrders, equityCurve, metrics, window: { from: ws, to: we }, calendars, buyAndHold, randomEntry };
}

/**
 * The shared portfolio's curve over the window: {ws, 1} (nothing is traded before the window, so
 * the account is still whole), then its equity at each distinct bar close in (ws, we].
 */
function sharedCurve(closes: readonly EquityPoint[], symbols: number, ws: number, we: number): EquityPoint[] {
  if (symbols === 0) return [];
  const curve: EquityPoint[] = [{ t: ws, equity: 1 }];
  for (const p of closes) if (p.t > ws && p.t <= we) curve.push(p);
  return curve;
}

/**
 * {ws, 1}, then the mean sleeve value at each distinct bar close in (ws, we] (last known value per
 * sleeve). Sleeves are flat at 1 before the window: no signal before it is traded.
 */
function portfolioCurve(barsOf: readonly Bar[][], values: readonly Float64Array[], ws: number, we: number): EquityPoint[] {
  if (barsOf.length === 0) return [];
  const ends = new Set<number>();
  for (const bars of barsOf) for (const b of bars) if (b.end > ws && b.end <= we) ends.add(b.end);
  const times = [...ends].sort((a, b) => a - b);
  const cursor = new Array<number>(barsOf.length).fill(0);
  const current = new Array<number>(barsOf.length).fill(1);
  const curve: EquityPoint[] = [{ t: ws, equity: 1 }];
  for (const t of times) {
    let sum = 0;
    for (let k = 0; k < barsOf.length; k++) {
      const bars = barsOf[k] as Bar[];
      let i = cursor[k] as number;
      while (i < bars.length && (bars[i] as Bar).end <= t) {
        current[k] = (values[k] as Float64Array)[i] as number;
        i++;
      }
      cursor[k] = i;
      sum += current[k] as number;
    }
    curve.push({ t, equity: sum / barsOf.length });
  }
  return curve;
}
