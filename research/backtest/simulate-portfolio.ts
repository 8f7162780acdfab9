import type { Bar } from '../../schemas/index.ts';
import type { EquityPoint, ExitReason, Side, SkippedOrder, TradeRecord } from './backtest-report.ts';
import { averageTrueRange, exitLevels, touchedExit } from './exit-levels.ts';
import { closedTrade, firstEndAfter, type Order, type SymbolCosts } from './simulate-symbol.ts';
import { direction, fillSlippage, markedTradeValue } from './trade-costs.ts';

/** One symbol of the portfolio: its bars sorted by time and the order (if any) to carry out at each bar's open. */
export interface PortfolioSymbol {
  bars: readonly Bar[];
  orders: readonly (Order | undefined)[];
}

export interface PortfolioResult {
  trades: TradeRecord[];
  /** Portfolio equity (starting at 1) after every distinct bar close time, ascending. */
  closes: EquityPoint[];
  /** (symbol, bar) pairs during which a position was held. */
  exposedBars: number;
  /** Orders not carried out because the cash left could not pay for them. */
  skipped: SkippedOrder[];
}

/**
 * The order in which bar opens and closes of all symbols happen: by time; at one time every close
 * before any open (a bar ending at t comes before the next one starting at t), and within each,
 * symbols in the given order (the caller sorts them by name). Built once, reused by every draw of
 * the random-entry baseline.
 */
export interface Schedule {
  /** Groups of events at one time: kind, then parallel arrays of symbol index and bar index. */
  groups: { t: number; kind: 'close' | 'open'; k: Int32Array; j: Int32Array }[];
}

export function buildSchedule(symbols: readonly { bars: readonly Bar[] }[]): Schedule {
  const events: { t: number; kind: 0 | 1; k: number; j: number }[] = [];
  symbols.forEach((s, k) => {
    s.bars.forEach((b, j) => {
      events.push({ t: b.start, kind: 1, k, j });
      events.push({ t: b.end, kind: 0, k, j });
    });
  });
  events.sort((a, b) => a.t - b.t || a.kind - b.kind || a.k - b.k || a.j - b.j);
  const groups: Schedule['groups'] = [];
  for (let i = 0; i < events.length; ) {
    const first = events[i] as (typeof events)[number];
    let n = i;
    while (n < events.length && (events[n] as (typeof events)[number]).t === first.t && (events[n] as (typeof events)[number]).kind === first.kind) n++;
    const slice = events.slice(i, n);
    groups.push({ t: first.t, kind: first.kind === 0 ? 'close' : 'open', k: Int32Array.from(slice, (e) => e.k), j: Int32Array.from(slice, (e) => e.j) });
    i = n;
  }
  return { groups };
}

interface Position {
  side: Side;
  dir: 1 | -1;
  entryIdx: number;
  exitIdx: number;
  /** Cash put in at entry: size x the portfolio's equity then. */
  capital: number;
  size: number;
  entrySlip: number;
  stop: number | null;
  target: number | null;
}

/**
 * A shared-cash portfolio over all symbols. One cash account starts at 1; every position is held in
 * it. Events run in time order across symbols (buildSchedule):
 * - At an open time: every symbol opening then is marked at its open; positions with an opposite
 *   order exit at that open (cash back); the portfolio's equity is taken once (cash plus every open
 *   position marked at its symbol's latest price, entry costs paid, exit costs not); then, symbol
 *   by symbol, each order enters with capital = size x that equity, paid from cash. When the cash
 *   left is less than the capital, the order is skipped and recorded with reason
 *   'insufficient-cash' (no partial fills: the size the policy chose is the trade or nothing).
 *   A same-side order while holding does nothing (no pyramiding, the exit is not extended).
 * - At a close time: every symbol closing then is marked at its close; a held position checks its
 *   stop and target inside the bar (touchedExit: both touched => the stop, the worse one), else
 *   exits at the close of its horizon bar or of its symbol's last bar; then equity is recorded.
 * Exit levels and horizons follow simulateSymbol's rules; an order with holdBars (the random-entry
 * baseline) exits at the close of its holdBars-th bar instead. Sums run in symbol order, so the
 * result is the same bit for bit for the same input.
 */
export function simulatePortfolio(symbols: readonly PortfolioSymbol[], costs: SymbolCosts, schedule: Schedule = buildSchedule(symbols)): PortfolioResult {
  const { fee, slippage, slippageRange, horizonBars, exits } = costs;
  const configured = exits.stopPct !== null || exits.targetPct !== null || exits.stopAtr !== null || exits.targetAtr !== null;
  const n = symbols.length;
  const pos: (Position | null)[] = new Array<Position | null>(n).fill(null);
  const mark = new Float64Array(n);
  const trades: TradeRecord[] = [];
  const closes: EquityPoint[] = [];
  const skipped: SkippedOrder[] = [];
  let cash = 1;
  let exposedBars = 0;

  const equityNow = (): number => {
    let e = cash;
    for (let k = 0; k < n; k++) {
      const p = pos[k];
      if (!p) continue;
      const entryBar = (symbols[k] as PortfolioSymbol).bars[p.entryIdx] as Bar;
      e += p.capital * markedTradeValue(p.dir, entryBar.open, mark[k] as number, fee, p.entrySlip);
    }
    return e;
  };

  const exit = (k: number, idx: number, at: 'open' | 'close' | number, reason: ExitReason): void => {
    const p = pos[k] as Position;
    const bars = (symbols[k] as PortfolioSymbol).bars;
    const entryBar = bars[p.entryIdx] as Bar;
    const bar = bars[idx] as Bar;
    const trade = closedTrade(p, entryBar, bar, idx, at, reason, costs);
    cash += p.capital * (1 + trade.netReturn);
    trades.push(trade);
    pos[k] = null;
  };

  for (const g of schedule.groups) {
    const m = g.k.length;
    if (g.kind === 'open') {
      for (let e = 0; e < m; e++) mark[g.k[e] as number] = ((symbols[g.k[e] as number] as PortfolioSymbol).bars[g.j[e] as number] as Bar).open;
      for (let e = 0; e < m; e++) {
        const k = g.k[e] as number;
        const order = (symbols[k] as PortfolioSymbol).orders[g.j[e] as number];
        const p = pos[k];
        if (order !== undefined && p && p.side !== order.side) exit(k, g.j[e] as number, 'open', 'signal');
      }
      let equity: number | null = null;
      for (let e = 0; e < m; e++) {
        const k = g.k[e] as number;
        const j = g.j[e] as number;
        const s = symbols[k] as PortfolioSymbol;
        const order = s.orders[j];
        if (order === undefined || pos[k]) continue;
        equity ??= equityNow();
        const bar = s.bars[j] as Bar;
        const capital = order.size * equity;
        if (capital > cash) {
          skipped.push({ symbol: bar.symbol, time: bar.start, side: order.side, size: order.size, capital, cash, reason: 'insufficient-cash' });
          continue;
        }
        cash -= capital;
        const dir = direction(order.side);
        const levels = configured ? exitLevels(dir, bar.open, exits, averageTrueRange(s.bars, j, exits.atrBars)) : { stop: order.stop, target: order.target };
        const exitIdx =
          order.holdBars !== undefined
            ? j + order.holdBars - 1
            : order.expiresAt === null
              ? j + horizonBars - 1
              : Math.max(j, firstEndAfter(s.bars, order.expiresAt) - 1);
        pos[k] = { side: order.side, dir, entryIdx: j, exitIdx, capital, size: order.size, entrySlip: fillSlippage(bar, slippage, slippageRange), ...levels };
      }
    } else {
      for (let e = 0; e < m; e++) {
        const k = g.k[e] as number;
        const j = g.j[e] as number;
        const bars = (symbols[k] as PortfolioSymbol).bars;
        const bar = bars[j] as Bar;
        mark[k] = bar.close;
        const p = pos[k];
        if (!p) continue;
        exposedBars++;
        const touched = touchedExit(p.dir, bar, p.stop, p.target);
        if (touched) exit(k, j, touched.price, touched.reason);
        else if (j === p.exitIdx) exit(k, j, 'close', 'horizon');
        else if (j === bars.length - 1) exit(k, j, 'close', 'end');
      }
      closes.push({ t: g.t, equity: equityNow() });
    }
  }
  return { trades, closes, exposedBars, skipped };
}
