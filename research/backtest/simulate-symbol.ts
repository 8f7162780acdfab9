import type { Bar } from '../../schemas/index.ts';
import type { ExitReason, Side, TradeRecord } from './backtest-report.ts';
import { averageTrueRange, exitLevels, touchedExit, type ExitRules } from './exit-levels.ts';
import { direction, fillSlippage, markedTradeValue, netTradeReturn } from './trade-costs.ts';

export interface SymbolCosts {
  /** Fractions, not bps. */
  fee: number;
  slippage: number;
  /** Extra slippage as a fraction of the fill bar's range (0 = fixed slippage only). */
  slippageRange: number;
  horizonBars: number;
  exits: ExitRules;
}

/** What to do at a bar's open: the side, and the signal's size, exit levels and timeout (null = none given). */
export interface Order {
  side: Side;
  size: number;
  stop: number | null;
  target: number | null;
  expiresAt: number | null;
  /** Exit at the close of the holdBars-th bar (the entry bar counting as the first), overriding expiresAt and the horizon: the random-entry baseline's placed trades. */
  holdBars?: number;
}

export interface SymbolResult {
  trades: TradeRecord[];
  /** Sleeve equity (starting at 1) at each bar's close, aligned with the bars. */
  closeValues: Float64Array;
  /** Bars during which a position was held. */
  exposedBars: number;
}

interface OpenPosition {
  side: Side;
  dir: 1 | -1;
  entryIdx: number;
  exitIdx: number;
  /** Sleeve equity committed at entry (size x the sleeve's equity). */
  capital: number;
  size: number;
  /** Slippage fraction of the entry fill. */
  entrySlip: number;
  stop: number | null;
  target: number | null;
}

/**
 * One symbol's sleeve, bar by bar. `bars` are that symbol's bars sorted by time; `orders[j]` is the
 * order to carry out at bar j's open (from a signal stamped at or before bar j's start), if any.
 * A position commits `size` of the sleeve's equity; the rest stays in cash. Its exit levels are the
 * configured rules (costs.exits) when any is set, else the order's own stop/target; it times out
 * at the close of the last bar ending by the order's expiresAt (at least the entry bar), else
 * after horizonBars.
 * At a bar's open: an opposite order exits the position there and enters the new side at the same
 * open; a same-side order is ignored (no pyramiding, and the planned exit is NOT extended).
 * Inside the bar: a stop or target (exit-levels.ts) touched by its low/high exits there; both in
 * one bar count as the stop (the worse one: the path inside a bar is unknown).
 * At its close: the position exits if this is its horizon bar or the symbol's last bar.
 */
export function simulateSymbol(
  bars: readonly Bar[],
  orders: readonly (Order | undefined)[],
  costs: SymbolCosts,
): SymbolResult {
  const { fee, slippage, slippageRange, horizonBars, exits } = costs;
  const trades: TradeRecord[] = [];
  const closeValues = new Float64Array(bars.length);
  let equity = 1; // realized sleeve equity (cash) when flat
  let pos = null as OpenPosition | null;
  let exposedBars = 0;
  const configured = exits.stopPct !== null || exits.targetPct !== null || exits.stopAtr !== null || exits.targetAtr !== null;

  const exit = (p: OpenPosition, idx: number, at: 'open' | 'close' | number, reason: ExitReason): void => {
    const entryBar = bars[p.entryIdx] as Bar;
    const bar = bars[idx] as Bar;
    const trade = closedTrade(p, entryBar, bar, idx, at, reason, costs);
    equity += p.capital * trade.netReturn;
    trades.push(trade);
  };

  for (let j = 0; j < bars.length; j++) {
    const bar = bars[j] as Bar;
    const order = orders[j];
    if (order !== undefined && pos?.side !== order.side) {
      if (pos) exit(pos, j, 'open', 'signal');
      const dir = direction(order.side);
      const levels = configured ? exitLevels(dir, bar.open, exits, averageTrueRange(bars, j, exits.atrBars)) : { stop: order.stop, target: order.target };
      const exitIdx = order.expiresAt === null ? j + horizonBars - 1 : Math.max(j, firstEndAfter(bars, order.expiresAt) - 1);
      pos = { side: order.side, dir, entryIdx: j, exitIdx, capital: equity * order.size, size: order.size, entrySlip: fillSlippage(bar, slippage, slippageRange), ...levels };
    }
    if (pos) {
      exposedBars++;
      const touched = touchedExit(pos.dir, bar, pos.stop, pos.target);
      const last = j === bars.length - 1;
      if (touched) {
        exit(pos, j, touched.price, touched.reason);
        pos = null;
      } else if (j === pos.exitIdx || last) {
        exit(pos, j, 'close', j === pos.exitIdx ? 'horizon' : 'end');
        pos = null;
      }
    }
    const entryBar = pos ? (bars[pos.entryIdx] as Bar) : null;
    closeValues[j] =
      pos && entryBar
        ? equity - pos.capital + pos.capital * markedTradeValue(pos.dir, entryBar.open, bar.close, fee, pos.entrySlip)
        : equity;
  }
  return { trades, closeValues, exposedBars };
}

/** First index whose bar ends after t, bars.length if none (bars sorted by time); minus one, the last bar ending at or before t. */
export function firstEndAfter(bars: readonly Bar[], t: number): number {
  let lo = 0;
  let hi = bars.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((bars[mid] as Bar).end <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What closing a position needs to know of it (a sleeve's or the shared portfolio's). */
export interface ClosingPosition {
  side: Side;
  dir: 1 | -1;
  entryIdx: number;
  capital: number;
  size: number;
  entrySlip: number;
}

/**
 * The trade record of closing `p` at bar `idx` (`bar`): at its open, its close or a price inside
 * it (a stop or target), net of the fee and both fills' slippage.
 */
export function closedTrade(p: ClosingPosition, entryBar: Bar, bar: Bar, idx: number, at: 'open' | 'close' | number, reason: ExitReason, costs: Pick<SymbolCosts, 'fee' | 'slippage' | 'slippageRange'>): TradeRecord {
  const exitPrice = at === 'open' ? bar.open : at === 'close' ? bar.close : at;
  return {
    symbol: bar.symbol,
    side: p.side,
    entryTime: entryBar.start,
    entryPrice: entryBar.open,
    exitTime: at === 'open' ? bar.start : bar.end,
    exitPrice,
    exitReason: reason,
    grossReturn: p.dir * (exitPrice / entryBar.open - 1),
    netReturn: netTradeReturn(p.dir, entryBar.open, exitPrice, costs.fee, p.entrySlip, fillSlippage(bar, costs.slippage, costs.slippageRange)),
    capital: p.capital,
    size: p.size,
    bars: idx - p.entryIdx + (at === 'open' ? 0 : 1),
  };
}
