import type { Bar } from '../../schemas/index.ts';
import type { ExitReason, Side, TradeRecord } from './backtest-report.ts';
import { direction, markedTradeValue, netTradeReturn } from './trade-costs.ts';

export interface SymbolCosts {
  /** Fractions, not bps. */
  fee: number;
  slippage: number;
  horizonBars: number;
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
}

/**
 * One symbol's sleeve, bar by bar. `bars` are that symbol's bars sorted by time; `orders[j]` is the
 * side to take at bar j's open (from a signal stamped at or before bar j's start), if any.
 * At a bar's open: an opposite order exits the position there and enters the new side at the same
 * open; a same-side order is ignored (no pyramiding, and the planned exit is NOT extended).
 * At its close: the position exits if this is its horizon bar or the symbol's last bar.
 */
export function simulateSymbol(
  bars: readonly Bar[],
  orders: readonly (Side | undefined)[],
  costs: SymbolCosts,
): SymbolResult {
  const { fee, slippage, horizonBars } = costs;
  const trades: TradeRecord[] = [];
  const closeValues = new Float64Array(bars.length);
  let equity = 1; // realized sleeve equity (cash) when flat
  let pos = null as OpenPosition | null;
  let exposedBars = 0;

  const exit = (p: OpenPosition, idx: number, atOpen: boolean, reason: ExitReason): void => {
    const entryBar = bars[p.entryIdx] as Bar;
    const bar = bars[idx] as Bar;
    const exitPrice = atOpen ? bar.open : bar.close;
    const netReturn = netTradeReturn(p.dir, entryBar.open, exitPrice, fee, slippage);
    equity = p.capital * (1 + netReturn);
    trades.push({
      symbol: bar.symbol,
      side: p.side,
      entryTime: entryBar.start,
      entryPrice: entryBar.open,
      exitTime: atOpen ? bar.start : bar.end,
      exitPrice,
      exitReason: reason,
      grossReturn: p.dir * (exitPrice / entryBar.open - 1),
      netReturn,
      capital: p.capital,
      bars: idx - p.entryIdx + (atOpen ? 0 : 1),
    });
  };

  for (let j = 0; j < bars.length; j++) {
    const bar = bars[j] as Bar;
    const order = orders[j];
    if (order !== undefined && pos?.side !== order) {
      if (pos) exit(pos, j, true, 'signal');
      pos = { side: order, dir: direction(order), entryIdx: j, exitIdx: j + horizonBars - 1, capital: equity };
    }
    if (pos) {
      exposedBars++;
      const last = j === bars.length - 1;
      if (j === pos.exitIdx || last) {
        exit(pos, j, false, j === pos.exitIdx ? 'horizon' : 'end');
        pos = null;
      }
    }
    const entryBar = pos ? (bars[pos.entryIdx] as Bar) : null;
    closeValues[j] =
      pos && entryBar
        ? pos.capital * markedTradeValue(pos.dir, entryBar.open, bar.close, fee, slippage)
        : equity;
  }
  return { trades, closeValues, exposedBars };
}
