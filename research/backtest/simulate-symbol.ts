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
  /** Sleeve equity committed at entry. */
  capital: number;
  /** Slippage fraction of the entry fill. */
  entrySlip: number;
  stop: number | null;
  target: number | null;
}

/**
 * One symbol's sleeve, bar by bar. `bars` are that symbol's bars sorted by time; `orders[j]` is the
 * side to take at bar j's open (from a signal stamped at or before bar j's start), if any.
 * At a bar's open: an opposite order exits the position there and enters the new side at the same
 * open; a same-side order is ignored (no pyramiding, and the planned exit is NOT extended).
 * Inside the bar: a stop or target (exit-levels.ts) touched by its low/high exits there; both in
 * one bar count as the stop (the worse one: the path inside a bar is unknown).
 * At its close: the position exits if this is its horizon bar or the symbol's last bar.
 */
export function simulateSymbol(
  bars: readonly Bar[],
  orders: readonly (Side | undefined)[],
  costs: SymbolCosts,
): SymbolResult {
  const { fee, slippage, slippageRange, horizonBars, exits } = costs;
  const trades: TradeRecord[] = [];
  const closeValues = new Float64Array(bars.length);
  let equity = 1; // realized sleeve equity (cash) when flat
  let pos = null as OpenPosition | null;
  let exposedBars = 0;

  const exit = (p: OpenPosition, idx: number, at: 'open' | 'close' | number, reason: ExitReason): void => {
    const entryBar = bars[p.entryIdx] as Bar;
    const bar = bars[idx] as Bar;
    const exitPrice = at === 'open' ? bar.open : at === 'close' ? bar.close : at;
    const netReturn = netTradeReturn(p.dir, entryBar.open, exitPrice, fee, p.entrySlip, fillSlippage(bar, slippage, slippageRange));
    equity = p.capital * (1 + netReturn);
    trades.push({
      symbol: bar.symbol,
      side: p.side,
      entryTime: entryBar.start,
      entryPrice: entryBar.open,
      exitTime: at === 'open' ? bar.start : bar.end,
      exitPrice,
      exitReason: reason,
      grossReturn: p.dir * (exitPrice / entryBar.open - 1),
      netReturn,
      capital: p.capital,
      bars: idx - p.entryIdx + (at === 'open' ? 0 : 1),
    });
  };

  for (let j = 0; j < bars.length; j++) {
    const bar = bars[j] as Bar;
    const order = orders[j];
    if (order !== undefined && pos?.side !== order) {
      if (pos) exit(pos, j, 'open', 'signal');
      const dir = direction(order);
      const levels = exitLevels(dir, bar.open, exits, averageTrueRange(bars, j, exits.atrBars));
      pos = { side: order, dir, entryIdx: j, exitIdx: j + horizonBars - 1, capital: equity, entrySlip: fillSlippage(bar, slippage, slippageRange), ...levels };
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
        ? pos.capital * markedTradeValue(pos.dir, entryBar.open, bar.close, fee, pos.entrySlip)
        : equity;
  }
  return { trades, closeValues, exposedBars };
}
